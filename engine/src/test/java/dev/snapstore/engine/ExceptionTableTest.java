package dev.snapstore.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.snapstore.spi.ExceptionSink;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.Test;

class ExceptionTableTest {

    /** spec §6 edge case 27: (10→100), (11→101), (12→102) form one run; (300→103) stands alone. */
    @Test
    void consecutiveRunsAsTheKernelLoadsThem() {
        ExceptionTable t = new ExceptionTable();
        t.insert(10, 100);
        t.insert(11, 101);
        t.insert(12, 102);
        t.insert(300, 103);
        assertEquals(100, t.lookup(10));
        assertEquals(101, t.lookup(11));
        assertEquals(102, t.lookup(12));
        assertEquals(103, t.lookup(300));
        assertEquals(ExceptionTable.NONE, t.lookup(13));
        assertEquals(ExceptionTable.NONE, t.lookup(9));
        assertEquals(2, t.runCount());
        assertEquals(4, t.size());
        t.compact();
        assertEquals(2, t.runCount());
        assertEquals(102, t.lookup(12));
    }

    @Test
    void prependsAndAppendsButNeverJoinsTwoRuns() {
        ExceptionTable t = new ExceptionTable();
        t.insert(11, 101);
        t.insert(10, 100); // prepend
        t.insert(13, 103);
        t.insert(12, 102); // could join both; the kernel appends to the first and stops
        assertEquals(2, t.runCount());
        for (long c = 10; c <= 13; c++) {
            assertEquals(90 + c, t.lookup(c));
        }
    }

    @Test
    void runsStopAt256Chunks() {
        ExceptionTable t = new ExceptionTable();
        for (int i = 0; i < 1000; i++) {
            t.insert(5120 + i, 2 + i);
        }
        assertEquals(4, t.runCount());
        t.compact();
        assertEquals(4, t.runCount());
        assertEquals(2 + 999, t.lookup(6119));
    }

    @Test
    void runsAddedAtRunTimeStayInside256AlignedGroupsAsTheKernelKeepsThem() {
        ExceptionTable t = new ExceptionTable();
        for (int i = 0; i < 1000; i++) {
            t.insert(5000 + i, 2 + i); // 5000 = 19 * 256 + 136
        }
        assertEquals(5, t.runCount());
        assertEquals(1000, t.size());
        assertEquals(2 + 999, t.lookup(5999));
    }

    @Test
    void loadingJoinsOnlyRunsInLoadOrder() {
        ExceptionTable t = new ExceptionTable();
        t.append(10, 100);
        t.append(11, 101);
        t.append(12, 102);
        t.append(300, 103);
        t.append(14, 105);
        t.append(13, 104); // prepends to the run of the record before it
        t.append(15, 200); // sorts right after 13..14 but is not consecutive in new chunks
        t.append(12, 999); // duplicate: the first one loaded wins
        assertEquals(4, t.runCount());
        assertEquals(8, t.size() + 1);
        assertEquals(102, t.lookup(12));
        assertEquals(104, t.lookup(13));
        assertEquals(200, t.lookup(15));
        assertEquals(103, t.lookup(300));
        // Loaded runs are removable from their ends like inserted ones.
        t.remove(15);
        t.remove(14);
        t.remove(13);
        t.remove(300);
        t.remove(12);
        t.remove(11);
        t.remove(10);
        assertEquals(0, t.size());
    }

    @Property(tries = 100)
    void loadingEqualsInserting(
            @ForAll long seed,
            @ForAll @IntRange(min = 1, max = 3000) int n,
            @ForAll @IntRange(min = 1, max = 100000) int span) {
        Random random = new Random(seed);
        ExceptionTable loaded = new ExceptionTable();
        ExceptionTable inserted = new ExceptionTable();
        long base = random.nextBoolean() ? 0 : random.nextLong() >>> 1;
        long old = base;
        for (int i = 0; i < n; i++) {
            old = random.nextInt(3) == 0 ? base + random.nextInt(span) : old + 1;
            loaded.append(old, 2 + i);
            inserted.insert(old, 2 + i);
        }
        assertEquals(inserted.size(), loaded.size());
        for (long c = base - 1; c < base + span + n + 1; c++) {
            assertEquals(inserted.lookup(c), loaded.lookup(c));
        }
    }

    /** A table loaded from {@code n} records (old, new in turn), one by one or in one batch. */
    private static ExceptionTable load(long[] records, int n, boolean batches) {
        ExceptionTable loaded = new ExceptionTable();
        ExceptionSink sink = loaded.loader();
        if (batches) {
            sink.addAll(records, n);
        } else {
            for (int i = 0; i < n; i++) {
                sink.add(records[2 * i], records[2 * i + 1]);
            }
        }
        return loaded;
    }

    /** A table the same records were inserted into, in order. */
    private static ExceptionTable insertAll(long[] records, int n) {
        ExceptionTable inserted = new ExceptionTable();
        for (int i = 0; i < n; i++) {
            inserted.insert(records[2 * i], records[2 * i + 1]);
        }
        return inserted;
    }

    @Property(tries = 100)
    void loadingInOrderWithOverlapsEqualsInserting(
            @ForAll long seed, @ForAll @IntRange(min = 1, max = 3000) int n, @ForAll boolean batches) {
        // Starts that never go down, as metadata written in origin order has, but with duplicates
        // and records inside the run before: the direct in-order build must see them and replay.
        Random random = new Random(seed);
        long[] records = new long[2 * n];
        // From 0, from somewhere high, or across a multiple of 2^32 (two groups of upper words).
        int from = random.nextInt(3);
        long base = from == 0 ? 0 : from == 1 ? (random.nextLong() >>> 1) - 4000 : (5L << 32) - random.nextInt(3000);
        long old = base;
        for (int i = 0; i < n; i++) {
            int step = random.nextInt(10);
            old += step < 6 ? 1 : step < 8 ? 2 + random.nextInt(5) : step < 9 ? 0 : -Math.min(old - base, 2);
            records[2 * i] = old;
            records[2 * i + 1] = 2 + i;
        }
        ExceptionTable loaded = load(records, n, batches);
        ExceptionTable inserted = insertAll(records, n);
        assertEquals(inserted.size(), loaded.size());
        // Not the run count: inserts keep runs inside 256-aligned groups, a load joins across them
        // (records 20, 21, 22 with 22 a multiple of 256 are two runs inserted, one loaded), so only
        // the mapping itself is the same.
        for (long c = base - 1; c < old + 2; c++) {
            assertEquals(inserted.lookup(c), loaded.lookup(c));
        }
    }

    @Property(tries = 60)
    void loadingInRandomOrderEqualsInserting(
            @ForAll long seed,
            @ForAll @IntRange(min = 1, max = 40_000) int n,
            @ForAll @IntRange(min = 0, max = 4) int shape,
            @ForAll boolean batches) {
        // Records in random origin order, as random writes leave them: over few chunks, a 2^25
        // origin, across a multiple of 2^32, over 2^40 chunks, or all 64 bits (above Long.MAX_VALUE
        // too); some runs joined in load order, some chunks twice (the first one loaded wins).
        Random random = new Random(seed);
        long base = shape == 2 ? (7L << 32) - random.nextInt(20_000) : shape == 3 ? random.nextLong() : 0;
        long spread = shape == 0 ? 3L * n : shape == 1 ? 1L << 25 : shape == 2 ? 40_000 : 1L << 40;
        long[] records = new long[2 * n];
        long old = base;
        for (int i = 0; i < n; i++) {
            int step = random.nextInt(8);
            if (step == 0) {
                old++;
            } else if (step > 1 || i == 0) {
                old = shape == 4 ? random.nextLong() : base + Math.floorMod(random.nextLong(), spread);
            } // else: the same chunk again
            old = old == -1L ? 0 : old;
            records[2 * i] = old;
            records[2 * i + 1] = 2 + i;
        }
        ExceptionTable loaded = load(records, n, batches);
        ExceptionTable inserted = insertAll(records, n);
        assertEquals(inserted.size(), loaded.size());
        for (int i = 0; i < n; i++) {
            for (long c = records[2 * i] - 1; c != records[2 * i] + 2; c++) {
                assertEquals(inserted.lookup(c), loaded.lookup(c));
            }
        }
        long[] chunks = {0};
        loaded.forEachRun((firstOld, firstNew, length) -> chunks[0] += length);
        assertEquals(inserted.size(), chunks[0]);
    }

    @Test
    void loadingSeesARunPrependedIntoTheOneBefore() {
        ExceptionTable t = new ExceptionTable();
        t.append(5, 50);
        t.append(6, 51);
        t.append(7, 52);
        t.append(9, 60);
        t.append(8, 59); // prepends: 8..9
        t.append(7, 58); // prepends again, into 5..7: a duplicate of 7, the first one wins
        assertEquals(52, t.lookup(7));
        assertEquals(59, t.lookup(8));
        assertEquals(5, t.size());
    }

    @Test
    void firstExceptionForAChunkWins() {
        ExceptionTable t = new ExceptionTable();
        assertTrue(t.insert(7, 70));
        assertFalse(t.insert(7, 71));
        assertEquals(70, t.lookup(7));
        assertEquals(1, t.size());
    }

    @Test
    void removalMessagesAreTheKernels() {
        ExceptionTable t = new ExceptionTable();
        t.insert(5, 2);
        t.insert(6, 3);
        t.insert(7, 4);
        IllegalStateException middle = assertThrows(IllegalStateException.class, () -> t.remove(6));
        assertEquals("Attempt to merge block 6 from the middle of a chunk range [5 - 7]", middle.getMessage());
        IllegalStateException missing = assertThrows(IllegalStateException.class, () -> t.remove(20));
        assertEquals("Corruption detected: exception for block 20 is on disk but not in memory", missing.getMessage());
        t.compact();
        assertThrows(IllegalStateException.class, () -> t.remove(6));
        t.remove(7);
        t.remove(5);
        t.remove(6);
        assertEquals(0, t.size());
        assertEquals(ExceptionTable.NONE, t.lookup(6));
    }

    @Test
    void unsignedChunksAndTheTopOf32Bits() {
        ExceptionTable t = new ExceptionTable();
        long edge = (1L << 32) - 1;
        t.insert(edge, 10);
        t.insert(edge + 1, 11); // crosses 2^32: a new run
        long huge = 0xF000_0000_0000_0000L;
        t.insert(huge, 12);
        t.insert(huge + 1, 13);
        assertEquals(3, t.runCount());
        t.compact();
        assertEquals(3, t.runCount());
        assertEquals(10, t.lookup(edge));
        assertEquals(11, t.lookup(edge + 1));
        assertEquals(13, t.lookup(huge + 1));
        assertEquals(ExceptionTable.NONE, t.lookup(huge - 1));
        assertEquals(ExceptionTable.NONE, t.lookup(0));
        assertThrows(IllegalArgumentException.class, () -> t.insert(-1L, 5));
        assertThrows(IllegalArgumentException.class, () -> t.insert(3, 1L << 56));
    }

    /** Random inserts, lookups, compactions and removals against a plain map. */
    @Property(tries = 60)
    void behavesLikeAMap(
            @ForAll long seed,
            @ForAll @IntRange(min = 10, max = 5000) int span,
            @ForAll @IntRange(min = 100, max = 6000) int operations) {
        Random random = new Random(seed);
        ExceptionTable table = new ExceptionTable();
        TreeMap<Long, Long> model = new TreeMap<>();
        List<Long> order = new ArrayList<>();
        long base = random.nextBoolean() ? 0 : (random.nextLong() >>> 1);
        long nextNew = 2;
        for (int op = 0; op < operations; op++) {
            int what = random.nextInt(100);
            if (what < 60) {
                // Mostly sequential old chunks, so that runs form, as sequential writes make them.
                long old = random.nextInt(4) == 0 && !order.isEmpty()
                        ? order.get(order.size() - 1) + 1
                        : base + random.nextInt(span);
                long fresh = random.nextInt(10) == 0 ? nextNew + 1 + random.nextInt(3) : nextNew;
                boolean added = table.insert(old, fresh);
                assertEquals(!model.containsKey(old), added);
                if (added) {
                    model.put(old, fresh);
                    order.add(old);
                    nextNew = fresh + 1;
                }
            } else if (what < 70 && !order.isEmpty()) {
                // Merge order: newest first always works.
                long old = order.remove(order.size() - 1);
                table.remove(old);
                model.remove(old);
            } else if (what < 75 && !model.isEmpty()) {
                long old = base + random.nextInt(span);
                Long before = model.get(old);
                try {
                    table.remove(old);
                    assertTrue(before != null, "removed a chunk that was not there");
                    model.remove(old);
                    order.remove(Long.valueOf(old));
                } catch (IllegalStateException e) {
                    assertTrue(before == null || e.getMessage().startsWith("Attempt to merge block"));
                }
            } else if (what < 76) {
                table.compact();
            } else {
                long old = base + random.nextInt(span + 2) - 1;
                Long expected = model.get(old);
                assertEquals(expected == null ? ExceptionTable.NONE : expected, table.lookup(old));
            }
        }
        assertEquals(model.size(), table.size());
        for (Map.Entry<Long, Long> e : model.entrySet()) {
            assertEquals(e.getValue(), table.lookup(e.getKey()));
        }
        long[] visited = new long[1];
        table.forEachRun((firstOld, firstNew, length) -> {
            for (int i = 0; i < length; i++) {
                assertEquals(model.get(firstOld + i), firstNew + i);
            }
            visited[0] += length;
        });
        assertEquals(model.size(), visited[0]);
    }

    @Property(tries = 200)
    void radixSortIsUnsignedAndStable(@ForAll @IntRange(min = 0, max = 5000) int n, @ForAll long seed) {
        Random random = new Random(seed);
        long[] k = new long[n];
        long[] v = new long[n];
        long[] pool = new long[1 + random.nextInt(50)];
        int shape = random.nextInt(3);
        for (int i = 0; i < pool.length; i++) {
            pool[i] = shape == 0 ? random.nextLong() : shape == 1 ? random.nextInt(1 << 20) : random.nextLong() >>> 20;
        }
        for (int i = 0; i < n; i++) {
            k[i] = random.nextInt(4) == 0
                    ? pool[random.nextInt(pool.length)]
                    : (shape == 0 ? random.nextLong() : random.nextInt(1 << 24));
            v[i] = i; // the load order, to check stability
        }
        long[] expected = k.clone();
        for (int i = 0; i < n; i++) {
            expected[i] ^= Long.MIN_VALUE;
        }
        Arrays.sort(expected);
        RadixSort.sortUnsigned(k, v, n);
        for (int i = 0; i < n; i++) {
            assertEquals(expected[i] ^ Long.MIN_VALUE, k[i]);
            if (i > 0 && k[i] == k[i - 1]) {
                assertTrue(v[i] > v[i - 1], "stable");
            }
        }
    }

    @Property(tries = 200)
    void radixSortSortsTheShapesCompactSees(
            @ForAll @IntRange(min = 0, max = 3000) int n,
            @ForAll long seed,
            @ForAll @LongRange(min = 1, max = 1000000) long range) {
        Random random = new Random(seed);
        long[] k = new long[n];
        long[] v = new long[n];
        int shape = random.nextInt(4);
        for (int i = 0; i < n; i++) {
            k[i] = switch (shape) {
                case 0 -> random.nextLong() % range;
                case 1 -> i;
                case 2 -> n - i;
                default -> i % 7;
            };
            v[i] = k[i] * 3 + 1;
        }
        // compact() sorts its delta runs with it (it replaced a signed introsort): negative keys are
        // the upper half of the unsigned range.
        RadixSort.sortUnsigned(k, v, n);
        for (int i = 0; i < n; i++) {
            if (i > 0) {
                assertTrue(Long.compareUnsigned(k[i - 1], k[i]) <= 0);
            }
            assertEquals(k[i] * 3 + 1, v[i]);
        }
    }
}
