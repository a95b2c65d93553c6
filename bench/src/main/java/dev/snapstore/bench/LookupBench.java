package dev.snapstore.bench;

import dev.snapstore.engine.ExceptionTable;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Random hits in an {@link ExceptionTable} of scattered exceptions (the same spread as the engine's
 * ExceptionTableMemoryTest), against a binary search of a plain sorted {@code long[]} of the same
 * old chunks. The table is only read, so any number of threads may share it; the thread count is
 * chosen by the runner (1, then all cores).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class LookupBench {

    /** Lookups per benchmark call, from a precomputed key list so key making is not measured. */
    static final int BATCH = 1024;

    private static final int KEYS = 1 << 20;

    /** Exceptions in the table. */
    @Param({"10000000"})
    public int count;

    private long[] keys;

    /** Picks the keys: random hits. */
    @Setup
    public void setup() {
        SplittableRandom random = new SplittableRandom(42);
        keys = new long[KEYS];
        for (int i = 0; i < KEYS; i++) {
            keys[i] = scatter(random.nextInt(count));
        }
    }

    /** The table, loaded as a snapshot loads it (append, compact); built only for {@link #table}. */
    @State(Scope.Benchmark)
    public static class Table {
        ExceptionTable table;

        /** Builds it. */
        @Setup
        public void setup(LookupBench b) {
            table = new ExceptionTable();
            for (int i = 0; i < b.count; i++) {
                table.append(scatter(i), 2 + i);
            }
            table.compact();
        }
    }

    /** The same old chunks in a plain sorted array; built only for {@link #raw}. */
    @State(Scope.Benchmark)
    public static class Sorted {
        long[] old;

        /** Builds it. */
        @Setup
        public void setup(LookupBench b) {
            old = new long[b.count];
            for (int i = 0; i < b.count; i++) {
                old[i] = scatter(i);
            }
            Arrays.sort(old);
        }
    }

    /** Where each thread is in the key list; per thread, so threads share nothing they write. */
    @State(Scope.Thread)
    public static class Cursor {
        int next = new SplittableRandom().nextInt(KEYS / BATCH) * BATCH;

        int advance() {
            int at = next;
            next = (next + BATCH) & (KEYS - 1);
            return at;
        }
    }

    /**
     * {@value #BATCH} table lookups.
     *
     * @param t the table
     * @param cursor this thread's place in the key list
     * @return the sum of the new chunks found
     */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public long table(Table t, Cursor cursor) {
        ExceptionTable table = t.table;
        long sum = 0;
        for (int i = cursor.advance(), end = i + BATCH; i < end; i++) {
            sum += table.lookup(keys[i]);
        }
        return sum;
    }

    /**
     * {@value #BATCH} binary searches of the plain sorted array.
     *
     * @param s the sorted array
     * @param cursor this thread's place in the key list
     * @return the sum of the indexes found
     */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public long raw(Sorted s, Cursor cursor) {
        long[] sorted = s.old;
        long sum = 0;
        for (int i = cursor.advance(), end = i + BATCH; i < end; i++) {
            sum += Arrays.binarySearch(sorted, keys[i]);
        }
        return sum;
    }

    /** Distinct, never adjacent chunks across a 2^40 space, as in ExceptionTableMemoryTest. */
    static long scatter(long i) {
        return (i * 0x9E37_79B9L + 12_345) & ((1L << 40) - 1);
    }
}
