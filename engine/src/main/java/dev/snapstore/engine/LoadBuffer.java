package dev.snapstore.engine;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The exceptions a store's metadata load hands to {@link ExceptionTable#append}, in load order, as
 * runs (first old chunk, first new chunk with the run length in its top 8 bits), in pages of
 * {@value #PAGE} entries (the first one grows up to that): growing never copies more than a page, so
 * the buffer holds about 16 bytes per run and nothing more. {@link #sortInto} then sorts them into exactly sized arrays with one stable radix scatter
 * straight from the pages and a pass per lower byte inside each bucket, with a scratch area as large
 * as the largest bucket only. The pages keep the load order for a replay until {@link #clear()}.
 */
final class LoadBuffer {

    // 128 KiB per array: below half a G1 region (1 MiB at small heaps), so no page is a humongous object.
    static final int PAGE_SHIFT = 14;
    static final int PAGE = 1 << PAGE_SHIFT;
    private static final int BITS = 8;
    private static final int BUCKETS = 1 << BITS;

    private final List<long[]> oldPages = new ArrayList<>();
    private final List<long[]> newPages = new ArrayList<>();
    private int count;

    int size() {
        return count;
    }

    long old(int i) {
        return oldPages.get(i >>> PAGE_SHIFT)[i & (PAGE - 1)];
    }

    long encodedNew(int i) {
        return newPages.get(i >>> PAGE_SHIFT)[i & (PAGE - 1)];
    }

    /** Replaces the last run, which the caller extended. */
    void setLast(long oldChunk, long encodedNew) {
        int i = count - 1;
        oldPages.get(i >>> PAGE_SHIFT)[i & (PAGE - 1)] = oldChunk;
        newPages.get(i >>> PAGE_SHIFT)[i & (PAGE - 1)] = encodedNew;
    }

    void add(long oldChunk, long encodedNew) {
        if (count == Integer.MAX_VALUE - PAGE) {
            throw new IllegalStateException("too many runs to load: " + count);
        }
        if ((count & (PAGE - 1)) == 0 && count > 0) {
            oldPages.add(new long[PAGE]);
            newPages.add(new long[PAGE]);
        } else if (oldPages.isEmpty()) {
            oldPages.add(new long[1024]);
            newPages.add(new long[1024]);
        } else if (count == oldPages.get(0).length) {
            // The first page grows by half up to a full page, so that a small table stays small.
            int size = Math.min(PAGE, count + (count >>> 1));
            oldPages.set(0, Arrays.copyOf(oldPages.get(0), size));
            newPages.set(0, Arrays.copyOf(newPages.get(0), size));
        }
        oldPages.get(count >>> PAGE_SHIFT)[count & (PAGE - 1)] = oldChunk;
        newPages.get(count >>> PAGE_SHIFT)[count & (PAGE - 1)] = encodedNew;
        count++;
    }

    /** Drops the pages. */
    void clear() {
        oldPages.clear();
        newPages.clear();
        count = 0;
    }

    long memoryBytes() {
        long bytes = 0;
        for (long[] page : oldPages) {
            bytes += 2 * (ExceptionTable.ARRAY_HEADER + 8L * page.length);
        }
        return bytes;
    }

    /**
     * Sorts the runs by first old chunk, as unsigned numbers, into {@code keys} and {@code values}
     * (both {@link #size()} long); runs with equal keys keep their load order. The pages are unchanged.
     */
    void sortInto(long[] keys, long[] values) {
        int n = count;
        long differing = 0;
        long first = n == 0 ? 0 : old(0);
        for (int p = 0; p < oldPages.size(); p++) {
            long[] page = oldPages.get(p);
            int end = Math.min(page.length, n - (p << PAGE_SHIFT));
            for (int i = 0; i < end; i++) {
                differing |= page[i] ^ first;
            }
        }
        if (differing == 0) {
            for (int i = 0; i < n; i++) {
                keys[i] = old(i);
                values[i] = encodedNew(i);
            }
            return;
        }
        // The scatter goes by the top eight differing bits (not a byte boundary), so that keys that
        // differ in few high bits still spread over all buckets and the scratch area stays small.
        int shift = Math.max(0, 63 - Long.numberOfLeadingZeros(differing) - (BITS - 1));
        int low = Long.numberOfTrailingZeros(differing);
        int[] starts = new int[BUCKETS + 1];
        for (int p = 0; p < oldPages.size(); p++) {
            long[] page = oldPages.get(p);
            int end = Math.min(page.length, n - (p << PAGE_SHIFT));
            for (int i = 0; i < end; i++) {
                starts[digit(page[i], shift) + 1]++;
            }
        }
        int largest = 0;
        for (int b = 0; b < BUCKETS; b++) {
            largest = Math.max(largest, starts[b + 1]);
            starts[b + 1] += starts[b];
        }
        int[] next = Arrays.copyOf(starts, BUCKETS);
        for (int p = 0; p < oldPages.size(); p++) {
            long[] olds = oldPages.get(p);
            long[] news = newPages.get(p);
            int end = Math.min(olds.length, n - (p << PAGE_SHIFT));
            for (int i = 0; i < end; i++) {
                int at = next[digit(olds[i], shift)]++;
                keys[at] = olds[i];
                values[at] = news[i];
            }
        }
        // The lower bits, eight at a time; a last digit reaching into the top bits is harmless, as
        // they are the same inside a bucket.
        int passes = low < shift ? (shift - low + BITS - 1) / BITS : 0;
        if (passes == 0) {
            return;
        }
        long[] tk = new long[largest];
        long[] tv = new long[largest];
        int[] counts = new int[BUCKETS];
        for (int b = 0; b < BUCKETS; b++) {
            int from = starts[b];
            int length = starts[b + 1] - from;
            if (length < 2) {
                continue;
            }
            boolean inScratch = false;
            for (int pass = 0; pass < passes; pass++) {
                int s = low + pass * BITS;
                if (inScratch) {
                    scatter(tk, tv, 0, keys, values, from, length, s, counts);
                } else {
                    scatter(keys, values, from, tk, tv, 0, length, s, counts);
                }
                inScratch = !inScratch;
            }
            if (inScratch) {
                System.arraycopy(tk, 0, keys, from, length);
                System.arraycopy(tv, 0, values, from, length);
            }
        }
    }

    /** One stable counting pass by the byte at {@code shift}, from one area to another. */
    private static void scatter(
            long[] sk, long[] sv, int sFrom, long[] dk, long[] dv, int dFrom, int length, int shift, int[] counts) {
        Arrays.fill(counts, 0);
        for (int i = sFrom; i < sFrom + length; i++) {
            counts[digit(sk[i], shift)]++;
        }
        int sum = dFrom;
        for (int d = 0; d < BUCKETS; d++) {
            int c = counts[d];
            counts[d] = sum;
            sum += c;
        }
        for (int i = sFrom; i < sFrom + length; i++) {
            int at = counts[digit(sk[i], shift)]++;
            dk[at] = sk[i];
            dv[at] = sv[i];
        }
    }

    private static int digit(long key, int shift) {
        return (int) (key >>> shift) & (BUCKETS - 1);
    }
}
