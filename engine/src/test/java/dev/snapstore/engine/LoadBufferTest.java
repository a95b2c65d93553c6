package dev.snapstore.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Comparator;
import java.util.Random;
import java.util.function.LongUnaryOperator;
import org.junit.jupiter.api.Test;

/** {@link LoadBuffer}: pages that never copy, and a stable unsigned sort straight out of them. */
class LoadBufferTest {

    /** Sorts (key, load index) pairs as the buffer must: unsigned keys, load order among equal ones. */
    static void check(int n, LongUnaryOperator key) {
        LoadBuffer buffer = new LoadBuffer();
        Long[][] expected = new Long[n][];
        for (int i = 0; i < n; i++) {
            long k = key.applyAsLong(i);
            buffer.add(k, i);
            expected[i] = new Long[] {k, (long) i};
        }
        assertEquals(n, buffer.size());
        Arrays.sort(expected, Comparator.comparing((Long[] e) -> e[0], Long::compareUnsigned));
        long[] keys = new long[n];
        long[] values = new long[n];
        buffer.sortInto(keys, values);
        long[] wantKeys = Arrays.stream(expected).mapToLong(e -> e[0]).toArray();
        long[] wantValues = Arrays.stream(expected).mapToLong(e -> e[1]).toArray();
        assertArrayEquals(wantKeys, keys);
        assertArrayEquals(wantValues, values, "equal keys keep their load order");
        for (int i = 0; i < n; i++) {
            assertEquals(key.applyAsLong(i), buffer.old(i), "the pages keep the load order");
        }
    }

    @Test
    void sortsAnyDistributionStably() {
        Random r = new Random(12);
        long[] random = r.longs(300_000).toArray();
        check(300_000, i -> random[(int) i]); // all 64 bits, the sign bit included
        check(200_000, i -> (i * 0x9E3779B97F4A7C15L) & ((1L << 25) - 1)); // few high bits differ
        check(100_000, i -> (i % 7) << 40); // many equal keys
        check(70_000, i -> 5); // all equal
        check(50_000, i -> 1L << 63 | (i % 3)); // differing only in the lowest bits
        check(1, i -> 3);
        check(0, i -> 3);
        check(1500, i -> 1500 - i); // past the first page's first growth
        check(100_000, i -> 2 * i); // already sorted: copied, not sorted
        check(50_000, i -> i / 3); // sorted with equal keys
        check(40_000, i -> i == 39_999 ? 0 : i + 1); // sorted but for the last
        check(200_000, i -> (i * 0x9E3779B97F4A7C15L) & ((1L << 40) - 1)); // passes of 11 bits and fewer
        check(200_000, i -> (i * 0x9E3779B97F4A7C15L) & ((1L << 17) - 1)); // one lower pass
    }

    /**
     * {@link LoadBuffer#finish} of single-chunk runs with these keys in load order: the main arrays
     * hold them as {@link LoadBuffer#sortInto} sorts them, or, with a key twice, it refuses and keeps
     * the pages in load order for the replay.
     */
    static void checkFinish(int n, LongUnaryOperator key, boolean batch) {
        LoadBuffer buffer = new LoadBuffer();
        LoadBuffer reference = new LoadBuffer();
        long[] records = new long[2 * n];
        for (int i = 0; i < n; i++) {
            records[2 * i] = key.applyAsLong(i);
            records[2 * i + 1] = 2 * i;
            reference.add(records[2 * i], 2 * i);
            if (!batch) {
                buffer.append(records[2 * i], 2 * i);
            }
        }
        if (batch) {
            buffer.appendAll(records, n);
        }
        long[] keys = new long[n];
        long[] values = new long[n];
        reference.sortInto(keys, values);
        boolean distinct = true;
        for (int i = 1; i < n; i++) {
            distinct &= keys[i] != keys[i - 1];
        }
        MainBuilder[] built = new MainBuilder[1];
        long[] exceptions = new long[1];
        boolean finished = buffer.finish((main, count) -> {
            built[0] = main;
            exceptions[0] = count;
        });
        assertEquals(distinct, finished, "a chunk twice is refused");
        if (!distinct) {
            assertEquals(n, buffer.size());
            for (int i = 0; i < n; i++) {
                assertEquals(records[2 * i], buffer.old(i), "the pages keep the load order");
                assertEquals(2 * i, buffer.encodedNew(i));
            }
            return;
        }
        MainBuilder want = new MainBuilder(values);
        for (int i = 0; i < n; i++) {
            want.start(i, keys[i]);
        }
        assertEquals(n, exceptions[0]);
        assertArrayEquals(want.lows, built[0].lows);
        assertArrayEquals(want.news, built[0].news);
        assertArrayEquals(want.highKeys(), built[0].highKeys());
        assertArrayEquals(want.highStart(), built[0].highStart());
        assertEquals(0, buffer.size(), "the pages are dropped");
    }

    @Test
    void finishSortsOutOfOrderLoadsStraightIntoTheMainArrays() {
        Random r = new Random(7);
        long[] random = r.longs(60_000).toArray();
        for (boolean batch : new boolean[] {false, true}) {
            // A permutation over 2^25 chunks, as c10m.img's: one upper word, low-word pages.
            checkFinish(100_000, i -> (i * 0x9E3779B97F4A7C15L) >>> 39, batch);
            // Across 2^40 chunks: two upper words and more, wide pages, the passes on low words.
            checkFinish(50_000, i -> (i * 0x9E3779B97F4A7C15L) >>> 24, batch);
            // All 64 bits, above Long.MAX_VALUE too: the sort of full keys.
            checkFinish(60_000, i -> random[(int) i], batch);
            // One upper word above 2^63, a second one only at the end.
            checkFinish(40_000, i -> i == 39_999 ? 3 : 0xF000_0001L << 32 | (i * 0x9E3779B9L & 0xFFFF_FFFFL), batch);
            // Across a multiple of 2^32 in few chunks.
            checkFinish(3_000, i -> (5L << 32) - 1_500 + (i * 7 % 3_000), batch);
            // Keys that differ only in their lowest bits; small loads, first page growing.
            checkFinish(200, i -> 1_000 - i * 3, batch);
            checkFinish(3, i -> 10 - i * 2, batch);
            checkFinish(2, i -> 1L << 63 | (1 - i), batch);
            checkFinish(1_500, i -> (i * 0x9E3779B97F4A7C15L) >>> 52 << 2, batch);
            // A key twice, many equal keys: refused, the pages kept.
            checkFinish(40_000, i -> (i * 0x9E3779B97F4A7C15L) >>> 50, batch);
            checkFinish(20_000, i -> i % 5 == 4 ? 17 : (i * 0x9E3779B97F4A7C15L) >>> 20, batch);
            checkFinish(2, i -> 9, batch);
        }
    }

    @Test
    void twoThreadsSortTheBucketsAndSeeAnOverlapAcrossTheirBoundary() {
        int n = 1 << 19;
        assertTrue(n >= LoadSort.PARALLEL_RUNS);
        checkFinish(n, i -> (i * 0x9E3779B1L) & (n - 1), true);
        checkFinish(n, i -> i < 3 ? 1 << 20 | i : (i * 0x9E3779B1L) & (n - 1), true);
        checkFinish(n, i -> i == 5 ? n / 2 : (i * 0x9E3779B1L) & (n - 1), false);
        // A permutation of [0, 2^19): 256 buckets of 2048 runs, the upper thread's from n / 2 on. A
        // run of two chunks ending there overlaps the upper half's first run.
        for (int length = 1; length <= 2; length++) {
            LoadBuffer buffer = new LoadBuffer();
            for (int i = 0; i < n; i++) {
                long key = (i * 0x9E3779B1L) & (n - 1);
                buffer.add(key, ExceptionTable.encode(key, key == n / 2 - 1 ? length : 1));
            }
            assertEquals(length == 1, buffer.finish((main, count) -> {}));
        }
    }

    @Test
    void pagesHoldTwelveBytesPerRunUnderOneUpperWordAndSixteenOtherwise() {
        LoadBuffer buffer = new LoadBuffer();
        for (int i = 0; i < 1_000_000; i++) {
            buffer.add(i, i);
        }
        double perRun = (double) buffer.memoryBytes() / 1_000_000;
        // In order: 12 bytes per run (the main arrays' form), and at most one page partly used.
        assertTrue(perRun >= 12 && perRun <= 12.5, "bytes per run: " + perRun);
        // append joins the last run upwards and downwards, in place.
        buffer.append(1_000_000, 1_000_000);
        assertEquals(1_000_000, buffer.size());
        assertEquals(999_999, buffer.old(999_999));
        assertEquals(999_999 + (1L << ExceptionTable.COUNT_SHIFT), buffer.encodedNew(999_999));
        buffer.append(999_998, 999_998);
        assertEquals(999_998, buffer.old(999_999));
        assertEquals(999_998 + (2L << ExceptionTable.COUNT_SHIFT), buffer.encodedNew(999_999));
        buffer.append(5, 5);
        assertEquals(1_000_001, buffer.size());
        // Out of order, one upper word: still 12 bytes per run, the runs unchanged.
        perRun = (double) buffer.memoryBytes() / 1_000_001;
        assertTrue(perRun >= 12 && perRun <= 12.5, "bytes per run: " + perRun);
        assertEquals(999_998, buffer.old(999_999));
        assertEquals(5, buffer.old(1_000_000));
        assertEquals(999_998 + (2L << ExceptionTable.COUNT_SHIFT), buffer.encodedNew(999_999));
        // Out of order with a second upper word: full first old chunks, 16 bytes per run.
        buffer.append(7L << 32, 9);
        perRun = (double) buffer.memoryBytes() / 1_000_002;
        assertTrue(perRun >= 16 && perRun <= 16.5, "bytes per run: " + perRun);
        assertEquals(999_998, buffer.old(999_999));
        assertEquals(5, buffer.old(1_000_000));
        assertEquals(7L << 32, buffer.old(1_000_001));
        assertEquals(999_998 + (2L << ExceptionTable.COUNT_SHIFT), buffer.encodedNew(999_999));
        buffer.clear();
        assertEquals(0, buffer.memoryBytes());
    }
}
