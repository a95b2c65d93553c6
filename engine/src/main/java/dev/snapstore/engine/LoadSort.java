package dev.snapstore.engine;

import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;

/**
 * Sorts the runs of a {@link LoadBuffer} loaded out of order straight into the main arrays' 12-byte
 * form ({@link MainBuilder}: the flipped low words of the first old chunks and the encoded new
 * chunks), with no 16-byte sorted copy in between: one stable scatter out of the pages by the top
 * eight differing bits, then, inside each bucket (small enough to stay in the cache), a stable pass
 * per lower digit on the low words between the bucket and a scratch area the size of the largest
 * bucket, checking the bucket for overlapping runs while it is in the cache. That needs every bit
 * below the top eight differing ones to lie in the low words: {@link #fits}, true when the first old
 * chunks spread over less than 2<sup>40</sup> chunks (any real origin); other loads take {@link
 * LoadBuffer#sortInto}. Runs with equal first chunks keep their load order.
 *
 * <p>From {@value #PARALLEL_RUNS} runs on, on more than one processor, a task in the {@linkplain
 * ForkJoinPool#commonPool() common pool} counts and scatters the upper half of the pages while the
 * calling thread does the lower half (whose runs take the first places of each bucket, so a bucket
 * keeps the load order), then sorts the buckets of the upper half of the runs while the calling
 * thread sorts the lower half: the buckets are disjoint, so the result is the same as with one
 * thread.
 */
final class LoadSort {

    private static final int BITS = 8;
    private static final int BUCKETS = 1 << BITS;
    /** The widest digit of the passes inside a bucket: 2048 counts, 8 KiB. */
    private static final int DIGIT_BITS = 11;
    /** From this many runs on the buckets are sorted by two threads. */
    static final int PARALLEL_RUNS = 1 << 18;

    private LoadSort() {}

    /** The lowest bit of the top eight of the bits where the keys differ ({@code differing}). */
    static int shift(long differing) {
        return Math.max(0, 63 - Long.numberOfLeadingZeros(differing) - (BITS - 1));
    }

    /** Whether keys differing in these bits can be sorted here: below the top eight, only low words differ. */
    static boolean fits(long differing) {
        return shift(differing) <= Integer.SIZE;
    }

    /**
     * Sorts the first {@code n} runs of the pages into main arrays.
     *
     * @param lowPages the flipped low words of the first old chunks (all with {@code reference}'s upper
     *     word), or {@code null} when {@code oldPages} hold the full chunks
     * @param oldPages the full first old chunks when {@code lowPages} is {@code null}
     * @param newPages the encoded new chunks
     * @param n the number of runs
     * @param reference any one of the first old chunks, or one differing from them only in {@code
     *     differing}
     * @param differing a superset of the bits in which the first old chunks differ, so that {@link
     *     #fits} holds
     * @return the main arrays, or {@code null} when two runs share a chunk
     */
    static MainBuilder sort(
            List<int[]> lowPages, List<long[]> oldPages, List<long[]> newPages, int n, long reference, long differing) {
        int shift = shift(differing);
        int[] lows = new int[n];
        long[] news = new long[n];
        int pages = newPages.size();
        boolean parallel = n >= PARALLEL_RUNS && Runtime.getRuntime().availableProcessors() > 1;
        // Two threads count and scatter half of the pages each: the lower half's runs take the first
        // places of each bucket, so the order inside a bucket is the load order, as with one thread.
        int half = parallel ? pages / 2 : pages;
        int[] lowerCounts = new int[BUCKETS];
        int[] upperCounts = new int[BUCKETS];
        both(
                parallel,
                () -> countPages(lowPages, oldPages, n, shift, 0, half, lowerCounts),
                () -> countPages(lowPages, oldPages, n, shift, half, pages, upperCounts));
        int[] starts = new int[BUCKETS + 1];
        int[] upperNext = new int[BUCKETS];
        int largest = 0;
        for (int b = 0; b < BUCKETS; b++) {
            int size = lowerCounts[b] + upperCounts[b];
            largest = Math.max(largest, size);
            starts[b + 1] = starts[b] + size;
            upperNext[b] = starts[b] + lowerCounts[b];
        }
        int[] lowerNext = Arrays.copyOf(starts, BUCKETS);
        both(
                parallel,
                () -> scatterPages(lowPages, oldPages, newPages, n, shift, 0, half, lowerNext, lows, news),
                () -> scatterPages(lowPages, oldPages, newPages, n, shift, half, pages, upperNext, lows, news));
        // The bits below the top digit in as few passes as digits of at most DIGIT_BITS allow (a
        // bucket's counts stay in the L1 cache); a last digit reaching into the top bits is harmless,
        // as they are the same inside a bucket.
        int low = Long.numberOfTrailingZeros(differing);
        int passes = low < shift ? (shift - low + DIGIT_BITS - 1) / DIGIT_BITS : 0;
        int bits = passes == 0 ? 0 : (shift - low + passes - 1) / passes;
        long above = reference >>> shift & -(long) BUCKETS;
        // The buckets are independent: two threads take half of the runs each when there are many.
        int split = BUCKETS;
        ForkJoinTask<Boolean> upper = null;
        if (parallel) {
            split = 0;
            while (starts[split + 1] <= n / 2) {
                split++;
            }
            int from = split;
            int scratch = largest;
            upper = ForkJoinPool.commonPool()
                    .submit(() ->
                            sortBuckets(lows, news, starts, from, BUCKETS, scratch, low, passes, bits, above, shift));
        }
        boolean apart = sortBuckets(lows, news, starts, 0, split, largest, low, passes, bits, above, shift);
        if (upper != null) {
            apart &= upper.join();
        }
        MainBuilder main = new MainBuilder();
        main.arrays(lows, news);
        for (int b = 0; b < BUCKETS; b++) {
            if (starts[b + 1] > starts[b]) {
                main.group(starts[b], high(above, b, shift));
            }
        }
        int first = starts[split];
        if (!apart
                || (first > 0
                        && first < n
                        && Long.compareUnsigned(main.startOf(first, lows[first]), end(main, lows, news, first - 1))
                                <= 0)) {
            return null;
        }
        return main;
    }

    /** The last chunk of run {@code i}, once its group is noted in {@code main}. */
    private static long end(MainBuilder main, int[] lows, long[] news, int i) {
        return main.startOf(i, lows[i]) + ExceptionTable.runLength(news[i]) - 1;
    }

    /** The upper word of the starts in bucket {@code b}: the digit's bits reach at most bit 39. */
    private static long high(long above, int b, int shift) {
        return ((above | b) << shift) >>> Integer.SIZE;
    }

    /**
     * Sorts the buckets {@code [fromBucket, toBucket)} by the bits below the top digit, each between
     * itself and a scratch area, and checks them for overlapping runs while they are in the cache.
     *
     * @return {@code false} when two runs in them share a chunk
     */
    private static boolean sortBuckets(
            int[] lows,
            long[] news,
            int[] starts,
            int fromBucket,
            int toBucket,
            int largest,
            int low,
            int passes,
            int bits,
            long above,
            int shift) {
        int[] tk = new int[passes == 0 ? 0 : largest];
        long[] tv = new long[passes == 0 ? 0 : largest];
        int[] counts = new int[1 << bits];
        long previousEnd = 0;
        for (int b = fromBucket; b < toBucket; b++) {
            int from = starts[b];
            int length = starts[b + 1] - from;
            if (length == 0) {
                continue;
            }
            boolean inScratch = false;
            for (int pass = 0; pass < passes && length > 1; pass++) {
                int s = low + pass * bits;
                if (inScratch) {
                    scatter(tk, tv, 0, lows, news, from, length, s, bits, counts);
                } else {
                    scatter(lows, news, from, tk, tv, 0, length, s, bits, counts);
                }
                inScratch = !inScratch;
            }
            if (inScratch) {
                System.arraycopy(tk, 0, lows, from, length);
                System.arraycopy(tv, 0, news, from, length);
            }
            long upper = high(above, b, shift) << Integer.SIZE;
            for (int i = from; i < from + length; i++) {
                long start = upper | ((lows[i] ^ Integer.MIN_VALUE) & 0xFFFF_FFFFL);
                if (i > starts[fromBucket] && Long.compareUnsigned(start, previousEnd) <= 0) {
                    return false;
                }
                previousEnd = start + ExceptionTable.runLength(news[i]) - 1;
            }
        }
        return true;
    }

    /** One stable counting pass by the {@code bits} at {@code shift} of the low words. */
    private static void scatter(
            int[] sk,
            long[] sv,
            int sFrom,
            int[] dk,
            long[] dv,
            int dFrom,
            int length,
            int shift,
            int bits,
            int[] counts) {
        int mask = (1 << bits) - 1;
        Arrays.fill(counts, 0);
        for (int i = sFrom; i < sFrom + length; i++) {
            counts[lowDigit(sk[i], shift) & mask]++;
        }
        int sum = dFrom;
        for (int d = 0; d <= mask; d++) {
            int c = counts[d];
            counts[d] = sum;
            sum += c;
        }
        for (int i = sFrom; i < sFrom + length; i++) {
            int at = counts[lowDigit(sk[i], shift) & mask]++;
            dk[at] = sk[i];
            dv[at] = sv[i];
        }
    }

    /** Runs {@code lower} here and {@code upper} in the common pool at the same time, or both here. */
    private static void both(boolean parallel, Runnable lower, Runnable upper) {
        if (!parallel) {
            lower.run();
            upper.run();
            return;
        }
        ForkJoinTask<?> task = ForkJoinPool.commonPool().submit(upper);
        lower.run();
        task.join();
    }

    /** Counts the runs of pages {@code [fromPage, toPage)} by their top digit. */
    private static void countPages(
            List<int[]> lowPages, List<long[]> oldPages, int n, int shift, int fromPage, int toPage, int[] counts) {
        for (int p = fromPage; p < toPage; p++) {
            if (lowPages != null) {
                int[] page = lowPages.get(p);
                int end = Math.min(page.length, n - (p << LoadBuffer.PAGE_SHIFT));
                for (int i = 0; i < end; i++) {
                    counts[lowDigit(page[i], shift) & (BUCKETS - 1)]++;
                }
            } else {
                long[] page = oldPages.get(p);
                int end = Math.min(page.length, n - (p << LoadBuffer.PAGE_SHIFT));
                for (int i = 0; i < end; i++) {
                    counts[digit(page[i], shift)]++;
                }
            }
        }
    }

    /** Moves the runs of pages {@code [fromPage, toPage)} to their buckets' next places, in order. */
    private static void scatterPages(
            List<int[]> lowPages,
            List<long[]> oldPages,
            List<long[]> newPages,
            int n,
            int shift,
            int fromPage,
            int toPage,
            int[] next,
            int[] lows,
            long[] news) {
        for (int p = fromPage; p < toPage; p++) {
            long[] nw = newPages.get(p);
            int end = Math.min(nw.length, n - (p << LoadBuffer.PAGE_SHIFT));
            if (lowPages != null) {
                int[] lw = lowPages.get(p);
                for (int i = 0; i < end; i++) {
                    int at = next[lowDigit(lw[i], shift) & (BUCKETS - 1)]++;
                    lows[at] = lw[i];
                    news[at] = nw[i];
                }
            } else {
                long[] od = oldPages.get(p);
                for (int i = 0; i < end; i++) {
                    int at = next[digit(od[i], shift)]++;
                    lows[at] = MainBuilder.low(od[i]);
                    news[at] = nw[i];
                }
            }
        }
    }

    /** The top digit of a full first old chunk: the bucket of its run. */
    static int digit(long key, int shift) {
        return (int) (key >>> shift) & (BUCKETS - 1);
    }

    /**
     * Counts the first {@code n} runs of the pages of full first old chunks by their top digit into
     * {@code starts}, then makes the counts each bucket's first place.
     *
     * @param starts {@code BUCKETS + 1} zeros; the buckets' places on return, the last one {@code n}
     * @return the largest bucket's size
     */
    static int bucketStarts(List<long[]> oldPages, int n, int shift, int[] starts) {
        for (int p = 0; p < oldPages.size(); p++) {
            long[] page = oldPages.get(p);
            int end = Math.min(page.length, n - (p << LoadBuffer.PAGE_SHIFT));
            for (int i = 0; i < end; i++) {
                starts[digit(page[i], shift) + 1]++;
            }
        }
        return bucketStarts(starts);
    }

    /** Makes the counts in {@code starts[1..]} each bucket's first place; returns the largest count. */
    private static int bucketStarts(int[] starts) {
        int largest = 0;
        for (int b = 0; b < BUCKETS; b++) {
            largest = Math.max(largest, starts[b + 1]);
            starts[b + 1] += starts[b];
        }
        return largest;
    }

    /** The bits from {@code shift} (below 32) up of a flipped low word, unmasked. */
    private static int lowDigit(int flipped, int shift) {
        return (flipped ^ Integer.MIN_VALUE) >>> shift;
    }
}
