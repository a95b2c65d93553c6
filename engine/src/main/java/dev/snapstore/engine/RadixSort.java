package dev.snapstore.engine;

/**
 * A stable least-significant-digit radix sort of two parallel {@code long} arrays by the first,
 * read as unsigned. It reads and writes memory in a few sequential streams, which matters when
 * millions of exceptions are loaded: a comparison sort or a search per element touches memory at
 * random.
 */
final class RadixSort {

    private static final int BITS = 8;
    private static final int BUCKETS = 1 << BITS;

    private RadixSort() {
    }

    /**
     * Sorts {@code keys[0, n)} ascending as unsigned numbers, moving {@code values} along; entries
     * with equal keys keep their order.
     *
     * @param keys the keys, sorted in place
     * @param values the values, same length
     * @param n how many leading entries to sort
     */
    static void sortUnsigned(long[] keys, long[] values, int n) {
        if (n < 2) {
            return;
        }
        long differing = 0;
        for (int i = 1; i < n; i++) {
            differing |= keys[i] ^ keys[0];
        }
        if (differing == 0) {
            return;
        }
        int passes = (64 - Long.numberOfLeadingZeros(differing) + BITS - 1) / BITS;
        int lowest = Long.numberOfTrailingZeros(differing) / BITS;
        long[] k = keys;
        long[] v = values;
        long[] tk = new long[n];
        long[] tv = new long[n];
        int[] counts = new int[BUCKETS];
        for (int pass = lowest; pass < passes; pass++) {
            int shift = pass * BITS;
            java.util.Arrays.fill(counts, 0);
            for (int i = 0; i < n; i++) {
                counts[(int) (k[i] >>> shift) & (BUCKETS - 1)]++;
            }
            int sum = 0;
            for (int b = 0; b < BUCKETS; b++) {
                int c = counts[b];
                counts[b] = sum;
                sum += c;
            }
            for (int i = 0; i < n; i++) {
                int at = counts[(int) (k[i] >>> shift) & (BUCKETS - 1)]++;
                tk[at] = k[i];
                tv[at] = v[i];
            }
            long[] swap = k;
            k = tk;
            tk = swap;
            swap = v;
            v = tv;
            tv = swap;
        }
        if (k != keys) {
            System.arraycopy(k, 0, keys, 0, n);
            System.arraycopy(v, 0, values, 0, n);
        }
    }
}
