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

    @Test
    void pagesHoldTwelveBytesPerRunInOrderAndSixteenOtherwise() {
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
        // Out of order: full first old chunks, 16 bytes per run, the runs unchanged.
        perRun = (double) buffer.memoryBytes() / 1_000_001;
        assertTrue(perRun >= 16 && perRun <= 16.5, "bytes per run: " + perRun);
        assertEquals(999_998, buffer.old(999_999));
        assertEquals(5, buffer.old(1_000_000));
        assertEquals(999_998 + (2L << ExceptionTable.COUNT_SHIFT), buffer.encodedNew(999_999));
        buffer.clear();
        assertEquals(0, buffer.memoryBytes());
    }
}
