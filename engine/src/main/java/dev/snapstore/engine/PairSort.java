package dev.snapstore.engine;

/**
 * Sorts two parallel {@code long} arrays by the first, in place, without boxing: an introsort
 * (quicksort with median-of-three, heapsort when the recursion goes too deep, insertion sort for
 * short ranges), so that no input, however ordered, takes more than O(n log n).
 */
final class PairSort {

    private static final int INSERTION = 24;

    private PairSort() {
    }

    /**
     * Sorts {@code keys[0, n)} ascending (signed) and moves {@code values} along.
     *
     * @param keys the keys
     * @param values the values, same length
     * @param n how many leading entries to sort
     */
    static void sort(long[] keys, long[] values, int n) {
        if (n > 1) {
            quick(keys, values, 0, n - 1, 2 * (64 - Long.numberOfLeadingZeros(n)));
        }
    }

    private static void quick(long[] k, long[] v, int lo, int hi, int depth) {
        while (hi - lo > INSERTION) {
            if (depth-- == 0) {
                heap(k, v, lo, hi);
                return;
            }
            int mid = (lo + hi) >>> 1;
            if (k[mid] < k[lo]) {
                swap(k, v, mid, lo);
            }
            if (k[hi] < k[lo]) {
                swap(k, v, hi, lo);
            }
            if (k[hi] < k[mid]) {
                swap(k, v, hi, mid);
            }
            long pivot = k[mid];
            int i = lo;
            int j = hi;
            while (i <= j) {
                while (k[i] < pivot) {
                    i++;
                }
                while (k[j] > pivot) {
                    j--;
                }
                if (i <= j) {
                    swap(k, v, i++, j--);
                }
            }
            // Recurse into the smaller side, loop on the larger one.
            if (j - lo < hi - i) {
                quick(k, v, lo, j, depth);
                lo = i;
            } else {
                quick(k, v, i, hi, depth);
                hi = j;
            }
        }
        insertion(k, v, lo, hi);
    }

    private static void insertion(long[] k, long[] v, int lo, int hi) {
        for (int i = lo + 1; i <= hi; i++) {
            long key = k[i];
            long value = v[i];
            int j = i - 1;
            while (j >= lo && k[j] > key) {
                k[j + 1] = k[j];
                v[j + 1] = v[j];
                j--;
            }
            k[j + 1] = key;
            v[j + 1] = value;
        }
    }

    private static void heap(long[] k, long[] v, int lo, int hi) {
        int n = hi - lo + 1;
        for (int i = n / 2 - 1; i >= 0; i--) {
            sift(k, v, lo, i, n);
        }
        for (int end = n - 1; end > 0; end--) {
            swap(k, v, lo, lo + end);
            sift(k, v, lo, 0, end);
        }
    }

    private static void sift(long[] k, long[] v, int base, int i, int n) {
        while (true) {
            int child = 2 * i + 1;
            if (child >= n) {
                return;
            }
            if (child + 1 < n && k[base + child + 1] > k[base + child]) {
                child++;
            }
            if (k[base + i] >= k[base + child]) {
                return;
            }
            swap(k, v, base + i, base + child);
            i = child;
        }
    }

    private static void swap(long[] k, long[] v, int a, int b) {
        long t = k[a];
        k[a] = k[b];
        k[b] = t;
        t = v[a];
        v[a] = v[b];
        v[b] = t;
    }
}
