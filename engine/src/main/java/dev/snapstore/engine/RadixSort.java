package dev.snapstore.engine;

import java.util.Arrays;

/**
 * A stable radix sort of two parallel {@code long} arrays by the first, read as unsigned. One pass
 * scatters the entries into 256 buckets by their most significant differing byte; each bucket, small
 * enough to stay in cache, is then sorted by its remaining bytes, least significant first. Loading
 * millions of exceptions thus touches the big arrays in two sequential sweeps, where a comparison
 * sort or a search per element touches memory at random.
 */
final class RadixSort {

    private static final int BITS = 8;
    private static final int BUCKETS = 1 << BITS;

    private RadixSort() {}

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
        int top = (63 - Long.numberOfLeadingZeros(differing)) / BITS;
        int low = Long.numberOfTrailingZeros(differing) / BITS;
        long[] tk = new long[n];
        long[] tv = new long[n];
        int[] starts = new int[BUCKETS + 1];
        // The scatter by the top differing byte, into tk/tv.
        int shift = top * BITS;
        for (int i = 0; i < n; i++) {
            starts[digit(keys[i], shift) + 1]++;
        }
        for (int b = 0; b < BUCKETS; b++) {
            starts[b + 1] += starts[b];
        }
        int[] next = Arrays.copyOf(starts, BUCKETS);
        for (int i = 0; i < n; i++) {
            int at = next[digit(keys[i], shift)]++;
            tk[at] = keys[i];
            tv[at] = values[i];
        }
        // Each bucket by the lower bytes, ping-ponging between the two pairs of arrays.
        int passes = top - low;
        int[] counts = new int[BUCKETS];
        for (int b = 0; b < BUCKETS; b++) {
            int from = starts[b];
            int to = starts[b + 1];
            long[] sk = tk;
            long[] sv = tv;
            long[] dk = keys;
            long[] dv = values;
            for (int pass = 0; pass < passes && to - from > 1; pass++) {
                int s = (low + pass) * BITS;
                Arrays.fill(counts, 0);
                for (int i = from; i < to; i++) {
                    counts[digit(sk[i], s)]++;
                }
                int sum = from;
                for (int d = 0; d < BUCKETS; d++) {
                    int c = counts[d];
                    counts[d] = sum;
                    sum += c;
                }
                for (int i = from; i < to; i++) {
                    int at = counts[digit(sk[i], s)]++;
                    dk[at] = sk[i];
                    dv[at] = sv[i];
                }
                long[] swap = sk;
                sk = dk;
                dk = swap;
                swap = sv;
                sv = dv;
                dv = swap;
            }
            if (sk != keys) {
                System.arraycopy(sk, from, keys, from, to - from);
                System.arraycopy(sv, from, values, from, to - from);
            }
        }
    }

    private static int digit(long key, int shift) {
        return (int) (key >>> shift) & (BUCKETS - 1);
    }
}
