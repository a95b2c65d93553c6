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

    private ExceptionTable table;
    private long[] sortedOld;
    private long[] keys;

    /** Loads the table as a snapshot does (append, compact) and picks the keys. */
    @Setup
    public void setup() {
        table = new ExceptionTable();
        sortedOld = new long[count];
        for (int i = 0; i < count; i++) {
            long old = scatter(i);
            table.append(old, 2 + i);
            sortedOld[i] = old;
        }
        table.compact();
        Arrays.sort(sortedOld);
        SplittableRandom random = new SplittableRandom(42);
        keys = new long[KEYS];
        for (int i = 0; i < KEYS; i++) {
            keys[i] = scatter(random.nextInt(count));
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
     * @param cursor this thread's place in the key list
     * @return the sum of the new chunks found
     */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public long table(Cursor cursor) {
        long sum = 0;
        for (int i = cursor.advance(), end = i + BATCH; i < end; i++) {
            sum += table.lookup(keys[i]);
        }
        return sum;
    }

    /**
     * {@value #BATCH} binary searches of the plain sorted array.
     *
     * @param cursor this thread's place in the key list
     * @return the sum of the indexes found
     */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public long raw(Cursor cursor) {
        long sum = 0;
        for (int i = cursor.advance(), end = i + BATCH; i < end; i++) {
            sum += Arrays.binarySearch(sortedOld, keys[i]);
        }
        return sum;
    }

    /** Distinct, never adjacent chunks across a 2^40 space, as in ExceptionTableMemoryTest. */
    static long scatter(long i) {
        return (i * 0x9E37_79B9L + 12_345) & ((1L << 40) - 1);
    }
}
