package dev.snapstore.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * The memory goals of issue 4, measured from the table's own array sizes: at most 16 bytes per
 * scattered exception after loading 10 million, far less for long runs.
 */
class ExceptionTableMemoryTest {

    private static final int N = 10_000_000;

    @Test
    void tenMillionScatteredExceptions() {
        ExceptionTable table = new ExceptionTable();
        long start = System.nanoTime();
        for (int i = 0; i < N; i++) {
            // Distinct, never adjacent old chunks across a 2^40 space; new chunks in allocation
            // order, as read_metadata reports a kernel-written COW.
            table.append(scatter(i), 2 + i);
        }
        long bufferedBytes = table.memoryBytes();
        assertEquals(N, table.size());
        double loadSeconds = (System.nanoTime() - start) / 1e9;
        long bytes = table.memoryBytes();
        assertEquals(N, table.runCount());
        double perException = (double) bytes / N;

        int lookups = 300_000;
        long lookupStart = System.nanoTime();
        long hits = 0;
        for (int i = 0; i < lookups; i++) {
            int j = (int) ((i * 2_654_435_761L) % N);
            if (table.lookup(scatter(j)) == 2 + j) {
                hits++;
            }
        }
        double lookupSeconds = (System.nanoTime() - lookupStart) / 1e9;
        assertEquals(lookups, hits);
        assertEquals(ExceptionTable.NONE, table.lookup(scatter(17) + 1));
        System.out.printf(
                "ExceptionTable: %,d scattered exceptions loaded in %.2f s: %.2f bytes/exception"
                        + " (%.2f while buffering); %.2f M random lookups/s%n",
                N, loadSeconds, perException, (double) bufferedBytes / N, lookups / lookupSeconds / 1e6);
        assertTrue(perException <= 16.0, "scattered: " + perException + " bytes per exception");
    }

    /** Exceptions added one by one at run time, with the delta part in use: still within the goal. */
    @Test
    void scatteredInsertsAtRunTime() {
        ExceptionTable table = new ExceptionTable();
        int n = 400_000;
        long start = System.nanoTime();
        double worst = 0;
        for (int i = 0; i < n; i++) {
            table.insert(scatter(i), 2 + i);
            if (i > 50_000 && i % 25_000 == 0) {
                worst = Math.max(worst, (double) table.memoryBytes() / i);
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        assertEquals(n, table.size());
        System.out.printf(
                "ExceptionTable: %,d scattered inserts in %.2f s, at most %.2f bytes/exception on the way%n",
                n, seconds, worst);
        assertTrue(worst <= 16.0, "run-time inserts: " + worst + " bytes per exception");
    }

    @Test
    void tenMillionExceptionsInRuns() {
        ExceptionTable table = new ExceptionTable();
        // Sequential writes in 100 streams of 100,000 chunks each.
        long next = 2;
        for (int stream = 0; stream < 100; stream++) {
            long base = stream * 10_000_000L;
            for (int i = 0; i < N / 100; i++) {
                table.append(base + i, next++);
            }
        }
        long bytes = table.memoryBytes();
        assertEquals(N, table.size());
        double perException = (double) bytes / N;
        System.out.printf(
                "ExceptionTable: %,d exceptions in runs: %,d runs, %.4f bytes/exception%n",
                N, table.runCount(), perException);
        assertTrue(perException < 0.1, "runs: " + perException + " bytes per exception");
        assertEquals(2 + 5 * 100_000 + 77, table.lookup(5 * 10_000_000L + 77));
    }

    static long scatter(long i) {
        return (i * 0x9E37_79B9L + 12_345) & ((1L << 40) - 1);
    }
}
