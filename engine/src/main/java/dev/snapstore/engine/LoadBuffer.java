package dev.snapstore.engine;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The exceptions a store's metadata load hands to {@link ExceptionTable#append}, in load order, as
 * runs (first old chunk, first new chunk with the run length in its top 8 bits), in pages of
 * {@value #PAGE} entries (the first one grows up to that): growing never copies more than a page.
 * While each run starts after the one before it ends (metadata written in origin order), the pages
 * hold the main arrays' own form, 12 bytes per run: the low 32 bits of each start (as
 * {@link MainBuilder} keeps them, with the index of the upper bits) and the new chunks; {@link
 * #finish} then only concatenates them. Runs out of order keep that form while their starts share one
 * upper word (origins below 2<sup>32</sup> chunks); a second upper word turns the pages into 16 bytes
 * per run, the full first old chunk ("wide"). {@link #finish} then sorts them straight into the main
 * arrays' form ({@link LoadSort}), or, for starts spread over 2<sup>40</sup> chunks and more, with
 * {@link #sortInto}. The pages keep the load order for a replay until {@link #clear()}.
 */
final class LoadBuffer {

    // 128 KiB per array: below half a G1 region (1 MiB at small heaps), so no page is a humongous object.
    static final int PAGE_SHIFT = 14;
    static final int PAGE = 1 << PAGE_SHIFT;
    private static final int BITS = 8;
    private static final int BUCKETS = 1 << BITS;
    /** The widest digit of the passes inside a bucket: 2048 counts, 8 KiB. */
    private static final int DIGIT_BITS = 11;

    /** The full first old chunks, once the runs are out of order with two upper words (wide). */
    private final List<long[]> oldPages = new ArrayList<>();
    /** The low words of the first old chunks unless wide (the upper ones in starts). */
    private final List<int[]> lowPages = new ArrayList<>();

    private final List<long[]> newPages = new ArrayList<>();
    private int count;
    /** Whether each run so far starts after the one before it ends: lowPages and starts hold them. */
    private boolean inOrder = true;
    /** Whether the runs' first chunks never went down (unsigned) so far: then no sort is needed. */
    private boolean sorted = true;
    /** Whether oldPages hold the full first old chunks: out of order, with two upper words. */
    private boolean wide;
    /** Out of order and not wide: the one upper word of every start. */
    private long high;
    /** The upper words of the starts unless wide (out of order: one); the low words are in lowPages. */
    private MainBuilder starts = new MainBuilder();
    /** The first start appended, and the bits in which any start since differs from it. */
    private long reference;

    private long differing;
    /** The exceptions appended: the chunks the runs hold when no two overlap. */
    private long records;
    /** The last run: its start, and the pages and place holding it, so appends touch no list. */
    private long tailStart;

    private int[] tailLow;
    private long[] tailOld;
    private long[] tailNew;
    private int tailAt;

    int size() {
        return count;
    }

    long old(int i) {
        if (!wide) {
            return starts.startOf(i, lowPages.get(i >>> PAGE_SHIFT)[i & (PAGE - 1)]);
        }
        return oldPages.get(i >>> PAGE_SHIFT)[i & (PAGE - 1)];
    }

    long encodedNew(int i) {
        return newPages.get(i >>> PAGE_SHIFT)[i & (PAGE - 1)];
    }

    /**
     * {@link ExceptionTable#append} of a checked exception: joined to the last run when both chunk
     * numbers go up, or down, by one from it (within one 2<sup>32</sup> group, up to
     * {@link ExceptionTable#MAX_RUN}), else a new run.
     */
    void append(long oldChunk, long newChunk) {
        if (count > 0) {
            long nc = tailNew[tailAt];
            int length = ExceptionTable.runLength(nc);
            long start = tailStart;
            if (length < ExceptionTable.MAX_RUN && (oldChunk >>> 32) == (start >>> 32)) {
                long first = nc & ExceptionTable.NEW_MASK;
                if (oldChunk == start + length && newChunk == first + length) {
                    tailNew[tailAt] = nc + (1L << ExceptionTable.COUNT_SHIFT);
                    records++;
                    return;
                }
                if (oldChunk == start - 1 && newChunk == first - 1) {
                    prepend(oldChunk, nc);
                    return;
                }
            }
        }
        add(oldChunk, ExceptionTable.encode(newChunk, 1));
    }

    /** Moves the last run's start down by one, to {@code oldChunk}, as the kernel's "insert before". */
    private void prepend(long oldChunk, long nc) {
        int i = count - 1;
        if (i > 0) {
            long before = old(i - 1);
            if (inOrder
                    && Long.compareUnsigned(oldChunk, before + ExceptionTable.runLength(encodedNew(i - 1)) - 1) <= 0) {
                leaveOrder();
            }
            sorted &= Long.compareUnsigned(before, oldChunk) <= 0;
        }
        tailStart = oldChunk;
        differing |= oldChunk ^ reference;
        if (wide) {
            tailOld[tailAt] = oldChunk;
        } else {
            tailLow[tailAt] = MainBuilder.low(oldChunk);
        }
        tailNew[tailAt] = nc + (1L << ExceptionTable.COUNT_SHIFT) - 1;
        records++;
    }

    /** {@link #append} of each record of {@link dev.snapstore.spi.ExceptionSink#addAll}, checked one by one. */
    void appendAll(long[] records, int n) {
        int i = 0;
        while (i < n) {
            if (count > 0 && !wide) {
                i = appendLows(records, i, n);
                if (i == n) {
                    break;
                }
            }
            long oldChunk = records[2 * i];
            long newChunk = records[2 * i + 1];
            ExceptionTable.checkChunks(oldChunk, newChunk);
            append(oldChunk, newChunk);
            i++;
        }
    }

    /**
     * {@link #appendAll}'s loop while the pages hold low words, with the state in locals: it takes the
     * records that start a new run in the last page or extend the last run upwards, under the last
     * run's upper word, and stops at the first other one (a bad chunk, a new page, a new upper word, a
     * run extended downwards, the first run out of order) for {@link #append} to take.
     *
     * @return the index of the first record not taken
     */
    private int appendLows(long[] batch, int i, int n) {
        int[] lw = tailLow;
        long[] nw = tailNew;
        int at = tailAt;
        int c = count;
        long start = tailStart;
        long nc = nw[at];
        long diff = differing;
        long ref = reference;
        long taken = records;
        boolean ordered = inOrder;
        boolean ascending = sorted;
        for (; i < n; i++) {
            long oldChunk = batch[2 * i];
            long newChunk = batch[2 * i + 1];
            if (oldChunk == -1L
                    || newChunk < 0
                    || newChunk > ExceptionTable.MAX_NEW_CHUNK
                    || (oldChunk >>> 32) != (start >>> 32)) {
                break;
            }
            int length = ExceptionTable.runLength(nc);
            if (length < ExceptionTable.MAX_RUN) {
                long first = nc & ExceptionTable.NEW_MASK;
                if (oldChunk == start + length && newChunk == first + length) {
                    nc += 1L << ExceptionTable.COUNT_SHIFT;
                    nw[at] = nc;
                    taken++;
                    continue;
                }
                if (oldChunk == start - 1 && newChunk == first - 1) {
                    break;
                }
            }
            if (at + 1 == lw.length || c == Integer.MAX_VALUE - PAGE) {
                break;
            }
            // Out of order, the first chunks going down settle the flag once: no branch per record
            // on random order after that.
            if (ordered) {
                if (Long.compareUnsigned(oldChunk, start + length - 1) <= 0) {
                    break;
                }
            } else if (ascending
                    && Long.compareUnsigned(oldChunk, start + length - 1) <= 0
                    && Long.compareUnsigned(start, oldChunk) > 0) {
                ascending = false;
            }
            at++;
            c++;
            lw[at] = MainBuilder.low(oldChunk);
            // A new run of one chunk: its encoding is the new chunk itself.
            nw[at] = newChunk;
            nc = newChunk;
            diff |= oldChunk ^ ref;
            start = oldChunk;
            taken++;
        }
        tailAt = at;
        count = c;
        tailStart = start;
        differing = diff;
        records = taken;
        sorted = ascending;
        return i;
    }

    void add(long oldChunk, long encodedNew) {
        if (count == Integer.MAX_VALUE - PAGE) {
            throw new IllegalStateException("too many runs to load: " + count);
        }
        int at = count & (PAGE - 1);
        if (count > 0
                && Long.compareUnsigned(oldChunk, tailStart + ExceptionTable.runLength(tailNew[tailAt]) - 1) <= 0) {
            if (inOrder) {
                leaveOrder();
            }
            sorted &= Long.compareUnsigned(tailStart, oldChunk) <= 0;
        }
        if (!inOrder && !wide && oldChunk >>> 32 != high) {
            widen();
        }
        if (count == 0) {
            reference = oldChunk;
            newPage(1024);
        } else if (at == 0) {
            newPage(PAGE);
        } else if (at == tailNew.length) {
            // The first page grows by half up to a full page, so that a small table stays small.
            int size = Math.min(PAGE, at + (at >>> 1));
            tailNew = Arrays.copyOf(tailNew, size);
            newPages.set(0, tailNew);
            if (wide) {
                tailOld = Arrays.copyOf(tailOld, size);
                oldPages.set(0, tailOld);
            } else {
                tailLow = Arrays.copyOf(tailLow, size);
                lowPages.set(0, tailLow);
            }
        }
        if (wide) {
            tailOld[at] = oldChunk;
        } else {
            if (inOrder) {
                starts.group(count, oldChunk >>> 32);
            }
            tailLow[at] = MainBuilder.low(oldChunk);
        }
        differing |= oldChunk ^ reference;
        tailNew[at] = encodedNew;
        tailStart = oldChunk;
        tailAt = at;
        count++;
        records += ExceptionTable.runLength(encodedNew);
    }

    private void newPage(int size) {
        tailNew = new long[size];
        newPages.add(tailNew);
        if (wide) {
            tailOld = new long[size];
            oldPages.add(tailOld);
        } else {
            tailLow = new int[size];
            lowPages.add(tailLow);
        }
    }

    /** A run out of order, or a chunk twice: the pages stay as they are unless two upper words are in them. */
    private void leaveOrder() {
        inOrder = false;
        long[] highs = starts.highKeys();
        if (highs.length == 1) {
            high = highs[0];
        } else {
            widen();
        }
    }

    /** Out of order with a second upper word: the low words become full first old chunks. */
    private void widen() {
        for (int p = 0; p < lowPages.size(); p++) {
            int[] lows = lowPages.get(p);
            long[] olds = new long[lows.length];
            int from = p << PAGE_SHIFT;
            int end = Math.min(lows.length, count - from);
            for (int i = 0; i < end; i++) {
                olds[i] = starts.startOf(from + i, lows[i]);
            }
            oldPages.add(olds);
        }
        lowPages.clear();
        tailLow = null;
        tailOld = oldPages.isEmpty() ? null : oldPages.get(oldPages.size() - 1);
        starts = new MainBuilder();
        wide = true;
    }

    /** Drops the pages. */
    void clear() {
        oldPages.clear();
        lowPages.clear();
        newPages.clear();
        tailLow = null;
        tailOld = null;
        tailNew = null;
        tailAt = 0;
        tailStart = 0;
        count = 0;
        inOrder = true;
        sorted = true;
        wide = false;
        high = 0;
        reference = 0;
        differing = 0;
        starts = new MainBuilder();
        records = 0;
    }

    long memoryBytes() {
        long bytes = 0;
        for (long[] page : newPages) {
            bytes += ExceptionTable.ARRAY_HEADER + 8L * page.length;
        }
        for (long[] page : oldPages) {
            bytes += ExceptionTable.ARRAY_HEADER + 8L * page.length;
        }
        for (int[] page : lowPages) {
            bytes += ExceptionTable.ARRAY_HEADER + 4L * page.length;
        }
        return bytes;
    }

    /** Receives the loaded runs as the table's main part, and how many exceptions they hold. */
    @FunctionalInterface
    interface Built {
        void install(MainBuilder main, long exceptions);
    }

    /**
     * Hands the runs, sorted by first old chunk, to {@code into} as main arrays and drops the pages,
     * unless two runs share a chunk (only corrupt metadata has them). Runs loaded in order are
     * already in the main arrays' form: the pages are concatenated, each dropped once copied (at most
     * 12 bytes per run for the pages and 12 for the main arrays at once). Other runs are sorted
     * straight into the main arrays ({@link LoadSort}: 12 bytes per run besides the pages' 12, or 16
     * when wide); starts spread over 2<sup>40</sup> chunks and more are sorted into two arrays (16
     * bytes per run besides the pages' 16), and the pages are dropped before the main arrays are built
     * from them.
     *
     * @return {@code false} when two runs overlap; the pages are then kept for a replay in load order
     */
    boolean finish(Built into) {
        int n = count;
        long exceptions = records;
        MainBuilder main;
        if (inOrder) {
            long[] news = new long[n];
            int[] lows = new int[n];
            for (int p = 0; p < newPages.size(); p++) {
                int from = p << PAGE_SHIFT;
                int length = Math.min(newPages.get(p).length, n - from);
                System.arraycopy(newPages.get(p), 0, news, from, length);
                newPages.set(p, null);
                System.arraycopy(lowPages.get(p), 0, lows, from, length);
                lowPages.set(p, null);
            }
            main = starts;
            main.arrays(lows, news);
            clear();
        } else if (sorted) {
            // In order, but a chunk twice.
            return false;
        } else if (LoadSort.fits(differing)) {
            main = LoadSort.sort(wide ? null : lowPages, oldPages, newPages, n, reference, differing);
            if (main == null) {
                return false;
            }
            clear();
        } else {
            long[] keys = new long[n];
            long[] values = new long[n];
            sortInto(keys, values);
            for (int i = 1; i < n; i++) {
                long previousEnd = keys[i - 1] + ExceptionTable.runLength(values[i - 1]) - 1;
                if (Long.compareUnsigned(keys[i], previousEnd) <= 0) {
                    return false;
                }
            }
            // The pages are no longer needed for a replay: gone before the main arrays are built.
            clear();
            main = new MainBuilder(values);
            for (int i = 0; i < n; i++) {
                main.start(i, keys[i]);
            }
        }
        into.install(main, exceptions);
        return true;
    }

    private void copyPages(List<long[]> pages, long[] into) {
        for (int p = 0; p < pages.size(); p++) {
            int from = p << PAGE_SHIFT;
            System.arraycopy(pages.get(p), 0, into, from, Math.min(pages.get(p).length, count - from));
        }
    }

    /**
     * Sorts the runs by first old chunk, as unsigned numbers, into {@code keys} and {@code values}
     * (both {@link #size()} long); runs with equal keys keep their load order. The pages are unchanged.
     */
    void sortInto(long[] keys, long[] values) {
        int n = count;
        if (!wide) {
            inOrder = false;
            widen();
        }
        if (sorted) {
            // Metadata written in origin order: already sorted, copied page by page.
            copyPages(oldPages, keys);
            copyPages(newPages, values);
            return;
        }
        // The scatter goes by the top eight differing bits (not a byte boundary), so that keys that
        // differ in few high bits still spread over all buckets and the scratch area stays small.
        int shift = LoadSort.shift(differing);
        int low = Long.numberOfTrailingZeros(differing);
        int[] starts = new int[BUCKETS + 1];
        int largest = LoadSort.bucketStarts(oldPages, n, shift, starts);
        int[] next = Arrays.copyOf(starts, BUCKETS);
        for (int p = 0; p < oldPages.size(); p++) {
            long[] olds = oldPages.get(p);
            long[] news = newPages.get(p);
            int end = Math.min(olds.length, n - (p << PAGE_SHIFT));
            for (int i = 0; i < end; i++) {
                int at = next[LoadSort.digit(olds[i], shift)]++;
                keys[at] = olds[i];
                values[at] = news[i];
            }
        }
        // The lower bits in as few passes as digits of at most DIGIT_BITS allow (a bucket's counts
        // stay in the L1 cache); a last digit reaching into the top bits is harmless, as they are the
        // same inside a bucket.
        int passes = low < shift ? (shift - low + DIGIT_BITS - 1) / DIGIT_BITS : 0;
        if (passes == 0) {
            return;
        }
        int bits = (shift - low + passes - 1) / passes;
        long[] tk = new long[largest];
        long[] tv = new long[largest];
        int[] counts = new int[1 << bits];
        for (int b = 0; b < BUCKETS; b++) {
            int from = starts[b];
            int length = starts[b + 1] - from;
            if (length < 2) {
                continue;
            }
            boolean inScratch = false;
            for (int pass = 0; pass < passes; pass++) {
                int s = low + pass * bits;
                if (inScratch) {
                    scatter(tk, tv, 0, keys, values, from, length, s, bits, counts);
                } else {
                    scatter(keys, values, from, tk, tv, 0, length, s, bits, counts);
                }
                inScratch = !inScratch;
            }
            if (inScratch) {
                System.arraycopy(tk, 0, keys, from, length);
                System.arraycopy(tv, 0, values, from, length);
            }
        }
    }

    /** One stable counting pass by the {@code bits} at {@code shift}, from one area to another. */
    private static void scatter(
            long[] sk,
            long[] sv,
            int sFrom,
            long[] dk,
            long[] dv,
            int dFrom,
            int length,
            int shift,
            int bits,
            int[] counts) {
        int mask = (1 << bits) - 1;
        Arrays.fill(counts, 0);
        for (int i = sFrom; i < sFrom + length; i++) {
            counts[(int) (sk[i] >>> shift) & mask]++;
        }
        int sum = dFrom;
        for (int d = 0; d <= mask; d++) {
            int c = counts[d];
            counts[d] = sum;
            sum += c;
        }
        for (int i = sFrom; i < sFrom + length; i++) {
            int at = counts[(int) (sk[i] >>> shift) & mask]++;
            dk[at] = sk[i];
            dv[at] = sv[i];
        }
    }
}
