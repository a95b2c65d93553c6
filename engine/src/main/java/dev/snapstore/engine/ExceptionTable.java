package dev.snapstore.engine;

import dev.snapstore.dm.KernelMessages;
import dev.snapstore.spi.ExceptionSink;
import java.util.Arrays;

/**
 * A snapshot's table of completed exceptions: which origin chunk ({@code old}) has its copy in which
 * COW chunk ({@code new}). It plays the part of the kernel's {@code complete} exception table in
 * dm-snap.c ({@code dm_insert_exception}, {@code dm_lookup_exception},
 * {@code __remove_single_exception_chunk}), built for millions of entries.
 *
 * <p><b>Runs.</b> Like the kernel, consecutive exceptions whose old and new chunks both go up by one
 * are stored once, as a run of up to {@value #MAX_RUN} chunks (the kernel keeps the count in the top
 * 8 bits of {@code new_chunk}, {@code DM_CHUNK_CONSECUTIVE_BITS}). A new exception extends the run
 * that ends just before it or starts just after it ({@code dm_insert_exception}'s "insert after" and
 * "insert before"); two runs are never joined, so that merging, which removes exceptions newest
 * first, always takes chunks from the end of a run ({@link #remove}). Unlike the kernel, a run may
 * cross a multiple of 256 in the main arrays, but never a multiple of 2<sup>32</sup>.
 *
 * <p><b>Layout.</b> No boxed objects per entry. Runs live in two places:
 * <ul>
 * <li>the <em>main</em> part: runs sorted by their first old chunk, in exactly-sized primitive
 *     arrays: the low 32 bits of the first old chunk in an {@code int[]}, the first new chunk with the
 *     run length in its top 8 bits in a {@code long[]}, and a tiny index of the distinct upper 32
 *     bits. That is 12 bytes per run. Lookups binary-search it.</li>
 * <li>the <em>delta</em> part: an open-addressing hash of runs added since the main arrays were
 *     last rebuilt, keyed by the 256-chunk group of the run (as the kernel's
 *     {@code exception_hash} with {@code hash_shift = 8}), so that a lookup of any chunk finds the
 *     run holding it (package-private {@code DeltaRuns}). Delta runs stay inside one 256-aligned
 *     group. When the delta holds more than about 1/16 of the main part it is merged into new main
 *     arrays ({@link #compact()}), so inserts cost amortised O(log n) and the delta never adds more
 *     than a few bytes per exception.</li>
 * </ul>
 * Most inserts at run time extend a run in place, in either part, because a store allocates COW
 * chunks in increasing order. Loading a store's metadata goes through {@link #append}, which buffers
 * the exceptions in load order and sorts them into exactly sized main arrays in one pass.
 *
 * <p>Chunk numbers are unsigned 64-bit values. An old chunk of {@code 2^64 - 1} and new chunks of
 * {@code 2^56 - 1} or more cannot be stored; no real device has them.
 *
 * <p>Not thread-safe: the snapshot guards it with its lock.
 */
public final class ExceptionTable {

    /** What {@link #lookup} returns for a chunk without an exception. */
    public static final long NONE = -1L;

    /** The longest run stored as one entry, as the kernel's 8-bit consecutive count allows. */
    public static final int MAX_RUN = 256;

    /** The largest new chunk that can be stored: 56 bits, less the tombstone pattern. */
    public static final long MAX_NEW_CHUNK = (1L << 56) - 2;

    static final long NEW_MASK = (1L << 56) - 1;
    static final int COUNT_SHIFT = 56;
    /** Marks a run that was removed entirely; never a valid encoding because of MAX_NEW_CHUNK. */
    static final long TOMB = -1L;

    private static final int MIN_DELTA_LIMIT = 1024;
    static final int ARRAY_HEADER = 16;
    private static final int SAMPLE_SHIFT = 6;
    private static final int SAMPLE = 1 << SAMPLE_SHIFT;

    // --- main part: sorted runs --------------------------------------------------------------
    /** Distinct upper 32 bits of the runs' first old chunks, ascending (unsigned). */
    private long[] highKeys = new long[0];
    /** highStart[g] .. highStart[g+1] are the runs whose first old chunk has highKeys[g] on top. */
    private int[] highStart = {0};
    /** Low 32 bits of each run's first old chunk, sign bit flipped so signed order is unsigned order. */
    private int[] lows = new int[0];
    /** Each run's first new chunk, with (length - 1) in the top 8 bits; TOMB when removed. */
    private long[] mainNew = new long[0];
    /** lows[k * SAMPLE], so that a search touches a small, cache-resident array first. */
    private int[] sample = new int[0];

    private int mainTombs;

    // --- delta part: open addressing by 256-chunk group --------------------------------------
    private DeltaRuns delta = new DeltaRuns();

    private long exceptions;

    // --- loading buffer: runs appended in load order, sorted into the main part in one go --------
    private LoadBuffer load;

    /** Creates an empty table. */
    public ExceptionTable() {}

    /**
     * Finds where an origin chunk's copy lives ({@code dm_lookup_exception} plus the remapping of
     * {@code remap_exception}).
     *
     * @param oldChunk the origin chunk
     * @return its COW chunk, or {@link #NONE}
     */
    public long lookup(long oldChunk) {
        finishLoading();
        long hit = delta.lookup(oldChunk);
        if (hit != NONE) {
            return hit;
        }
        int g = groupOf(oldChunk >>> 32);
        return g < 0 ? NONE : mainLookup(oldChunk, mainFloor(g, oldChunk));
    }

    private long mainLookup(long oldChunk, int i) {
        if (i < 0) {
            return NONE;
        }
        long nc = mainNew[i];
        if (nc == TOMB) {
            return NONE;
        }
        long offset = oldChunk - sameHigh(oldChunk, i);
        return offset < runLength(nc) ? (nc & NEW_MASK) + offset : NONE;
    }

    /**
     * Whether an origin chunk has an exception.
     *
     * @param oldChunk the origin chunk
     * @return {@code true} when {@link #lookup} finds it
     */
    public boolean contains(long oldChunk) {
        return lookup(oldChunk) != NONE;
    }

    /**
     * Adds an exception ({@code dm_insert_exception}), extending a run where it can. If the old chunk
     * already has an exception the table is left as it is: the kernel keeps duplicates but its lookup
     * always finds the first one added, so the first one wins here too.
     *
     * @param oldChunk the origin chunk, not {@code 2^64 - 1}
     * @param newChunk the COW chunk, at most {@link #MAX_NEW_CHUNK}
     * @return {@code false} when the old chunk was already mapped
     * @throws IllegalArgumentException when a chunk number cannot be stored
     */
    public boolean insert(long oldChunk, long newChunk) {
        checkChunks(oldChunk, newChunk);
        finishLoading();
        if (delta.lookup(oldChunk) != NONE) {
            return false;
        }
        int g = groupOf(oldChunk >>> 32);
        int floor = g < 0 ? -1 : mainFloor(g, oldChunk);
        if (mainLookup(oldChunk, floor) != NONE) {
            return false;
        }
        exceptions++;
        if ((g >= 0 && extendMain(oldChunk, newChunk, g, floor)) || delta.extend(oldChunk, newChunk)) {
            return true;
        }
        delta.add(oldChunk, encode(newChunk, 1));
        if (delta.used() > deltaLimit()) {
            compact();
        }
        return true;
    }

    /**
     * Removes one merged chunk ({@code __remove_single_exception_chunk}): the chunk must be the
     * first or the last of its run, as it always is when chunks are removed newest first.
     *
     * @param oldChunk the origin chunk
     * @throws IllegalStateException with the kernel's message, {@code "Corruption detected: exception
     *     for block N is on disk but not in memory"} or {@code "Attempt to merge block N from the
     *     middle of a chunk range [A - B]"}; the table is unchanged then
     */
    public void remove(long oldChunk) {
        finishLoading();
        if (delta.remove(oldChunk) || mainRemove(oldChunk)) {
            exceptions--;
            return;
        }
        throw new IllegalStateException(KernelMessages.mergeCorruption(oldChunk));
    }

    /** Forgets every exception at once, as a merge of all of them ends. */
    public void clear() {
        finishLoading();
        buildMain(new long[0], new long[0], 0);
    }

    /**
     * How many exceptions (chunks) the table maps.
     *
     * @return the number of chunks
     */
    public long size() {
        finishLoading();
        return exceptions;
    }

    /**
     * The highest origin chunk that has an exception, compared unsigned: an activation refuses an
     * origin that ends before it.
     *
     * @return the chunk, or {@link #NONE} when the table is empty
     */
    public long highestOldChunk() {
        long[] highest = {NONE};
        forEachRun((firstOld, firstNew, length) -> {
            long last = firstOld + length - 1;
            if (highest[0] == NONE || Long.compareUnsigned(last, highest[0]) > 0) {
                highest[0] = last;
            }
        });
        return highest[0];
    }

    /**
     * How many runs hold the exceptions; each costs one entry.
     *
     * @return the number of runs
     */
    public long runCount() {
        finishLoading();
        return (lows.length - mainTombs) + delta.live();
    }

    /**
     * The bytes the table's arrays take, counted from their lengths (16 bytes of header per array
     * plus the elements) and a fixed 64 bytes for the table object: a deterministic figure that does
     * not depend on the JVM's heap.
     *
     * @return the size in bytes
     */
    public long memoryBytes() {
        long bytes = 64;
        if (load != null) {
            bytes += load.memoryBytes();
        }
        bytes += ARRAY_HEADER + 8L * highKeys.length;
        bytes += ARRAY_HEADER + 4L * highStart.length;
        bytes += ARRAY_HEADER + 4L * lows.length;
        bytes += ARRAY_HEADER + 8L * mainNew.length;
        bytes += ARRAY_HEADER + 4L * sample.length;
        return bytes + delta.memoryBytes();
    }

    /**
     * Merges the delta part into new, exactly sized main arrays and drops removed runs. Called on its
     * own when the delta grows; the snapshot also calls it after loading its metadata so that a
     * loaded table holds no slack.
     */
    public void compact() {
        finishLoading();
        if (!delta.allocated() && mainTombs == 0) {
            return;
        }
        int mainLive = lows.length - mainTombs;
        int total = mainLive + delta.live();
        long[] dOld = new long[delta.live()];
        long[] dNew = new long[delta.live()];
        int d = delta.copyLive(dOld, dNew);
        RadixSort.sortUnsigned(dOld, dNew, d);
        long[] starts = new long[total];
        long[] news = new long[total];
        int m = 0;
        int mg = 0;
        int j = 0;
        for (int out = 0; out < total; out++) {
            while (m < lows.length && mainNew[m] == TOMB) {
                m++;
            }
            while (m < lows.length && highStart[mg + 1] <= m) {
                mg++;
            }
            boolean takeMain = m < lows.length && (j >= d || Long.compareUnsigned(mainStart(mg, m), dOld[j]) < 0);
            if (takeMain) {
                starts[out] = mainStart(mg, m);
                news[out] = mainNew[m++];
            } else {
                starts[out] = dOld[j];
                news[out] = dNew[j++];
            }
        }
        buildMain(starts, news, total);
    }

    /**
     * Adds an exception read from a store's metadata, cheaply: exceptions are buffered in load order
     * (each joined to the run of the one before it when both chunk numbers go up, or down, by one)
     * and sorted into the table in one pass when the table is next used. This is the path for
     * {@code read_metadata}'s callback ({@code dm_add_exception}); it touches memory sequentially,
     * where {@link #insert} searches the table for every exception. On a table that already holds
     * exceptions it is the same as {@link #insert}. As with {@link #insert}, the first exception
     * loaded for a chunk wins (metadata with such duplicates is replayed through {@link #insert}).
     *
     * @param oldChunk the origin chunk, not {@code 2^64 - 1}
     * @param newChunk the COW chunk, at most {@link #MAX_NEW_CHUNK}
     * @throws IllegalArgumentException when a chunk number cannot be stored
     */
    public void append(long oldChunk, long newChunk) {
        checkChunks(oldChunk, newChunk);
        if (!loading()) {
            insert(oldChunk, newChunk);
            return;
        }
        load.append(oldChunk, newChunk);
    }

    /**
     * A sink for a store's {@code readMetadata} that {@link #append appends} to this table, taking a
     * store's batches of records ({@link ExceptionSink#addAll}) without a call per record.
     *
     * @return the sink
     */
    public ExceptionSink loader() {
        return new ExceptionSink() {
            @Override
            public void add(long oldChunk, long newChunk) {
                append(oldChunk, newChunk);
            }

            @Override
            public void addAll(long[] records, int count) {
                if (!loading()) {
                    ExceptionSink.super.addAll(records, count);
                    return;
                }
                // Same checks as append, and the same runs; the first bad record throws after the
                // ones before it were taken, as one call per record would.
                load.appendAll(records, count);
            }
        };
    }

    /** Whether appended exceptions go to the load buffer: the table held nothing before loading. */
    private boolean loading() {
        if (load == null && lows.length == 0 && delta.live() == 0 && delta.used() == 0) {
            load = new LoadBuffer();
        }
        return load != null;
    }

    /**
     * Sorts the loaded runs into the main arrays ({@link LoadBuffer#finish}: at most 24 bytes per run
     * at once for starts under one upper word, 28 over two to 2<sup>40</sup> chunks, 32 beyond).
     */
    private void finishLoading() {
        if (load == null) {
            return;
        }
        LoadBuffer loaded = load;
        load = null;
        if (!loaded.finish(this::install)) {
            // Two loaded exceptions for one chunk: only corrupt metadata has them. Replay in load
            // order through insert(), where the first one wins, as in the kernel's lookup.
            for (int r = 0; r < loaded.size(); r++) {
                long nc = loaded.encodedNew(r);
                for (int c = 0; c < runLength(nc); c++) {
                    insert(loaded.old(r) + c, (nc & NEW_MASK) + c);
                }
            }
        }
    }

    /** Replaces the main part with these runs, sorted by unsigned start, and empties the delta. */
    private void buildMain(long[] starts, long[] news, int total) {
        // An exactly sized array of new chunks is taken over: no second copy of it at any time.
        MainBuilder main = new MainBuilder(news.length == total ? news : Arrays.copyOf(news, total));
        long count = 0;
        for (int i = 0; i < total; i++) {
            main.start(i, starts[i]);
            count += runLength(news[i]);
        }
        install(main, count);
    }

    /** Makes these runs the main part, with this many exceptions, and empties the delta. */
    void install(MainBuilder main, long count) {
        highKeys = main.highKeys();
        highStart = main.highStart();
        lows = main.lows;
        mainNew = main.news;
        int total = lows.length;
        sample = new int[(total + SAMPLE - 1) >>> SAMPLE_SHIFT];
        for (int k = 0; k < sample.length; k++) {
            sample[k] = lows[k << SAMPLE_SHIFT];
        }
        mainTombs = 0;
        delta = new DeltaRuns();
        exceptions = count;
    }

    /**
     * Calls {@code visitor} for every run, in no particular order.
     *
     * @param visitor receives each run's first old chunk, first new chunk and length
     */
    public void forEachRun(RunVisitor visitor) {
        finishLoading();
        for (int g = 0; g < highKeys.length; g++) {
            for (int i = highStart[g]; i < highStart[g + 1]; i++) {
                if (mainNew[i] != TOMB) {
                    visitor.run(mainStart(g, i), mainNew[i] & NEW_MASK, runLength(mainNew[i]));
                }
            }
        }
        delta.forEachRun(visitor);
    }

    /** Receives the runs of {@link #forEachRun}. */
    @FunctionalInterface
    public interface RunVisitor {
        /**
         * Takes one run: old chunks {@code [firstOld, firstOld + length)} map to new chunks
         * {@code [firstNew, firstNew + length)}.
         *
         * @param firstOld the first origin chunk
         * @param firstNew its COW chunk
         * @param length the number of chunks, 1 to {@link #MAX_RUN}
         */
        void run(long firstOld, long firstNew, int length);
    }

    // --- encoding ---------------------------------------------------------------------------

    static void checkChunks(long oldChunk, long newChunk) {
        if (oldChunk == -1L) {
            throw new IllegalArgumentException("old chunk 18446744073709551615 cannot be stored");
        }
        if (newChunk < 0 || newChunk > MAX_NEW_CHUNK) {
            throw new IllegalArgumentException(
                    "new chunk " + Long.toUnsignedString(newChunk) + " does not fit in 56 bits");
        }
    }

    static long encode(long newChunk, int length) {
        return ((long) (length - 1) << COUNT_SHIFT) | newChunk;
    }

    static int runLength(long nc) {
        return (int) (nc >>> COUNT_SHIFT) + 1;
    }

    /** The first old chunk of main run i, which lies in group g. */
    private long mainStart(int g, int i) {
        return (highKeys[g] << 32) | ((lows[i] ^ Integer.MIN_VALUE) & 0xFFFF_FFFFL);
    }

    /** The first old chunk of main run i, known to share its upper 32 bits with chunk. */
    private long sameHigh(long chunk, int i) {
        return (chunk & 0xFFFF_FFFF_0000_0000L) | ((lows[i] ^ Integer.MIN_VALUE) & 0xFFFF_FFFFL);
    }

    private int deltaLimit() {
        return Math.max(MIN_DELTA_LIMIT, (lows.length - mainTombs) >>> 4);
    }

    // --- main part --------------------------------------------------------------------------

    /** The index of the group holding chunks with these upper 32 bits, or -1. */
    private int groupOf(long high) {
        // Usually one entry; binary search keeps metadata with widely spread chunks fast too.
        int lo = 0;
        int hi = highKeys.length - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            int c = Long.compareUnsigned(highKeys[mid], high);
            if (c == 0) {
                return mid;
            } else if (c < 0) {
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        return -1;
    }

    /** The last main run of group g whose first chunk is <= oldChunk; or -1. */
    private int mainFloor(int g, long oldChunk) {
        int key = (int) oldChunk ^ Integer.MIN_VALUE;
        int first = highStart[g];
        int end = highStart[g + 1];
        // Narrow [first, end) with the samples that fall inside the group.
        int ks = (first + SAMPLE - 1) >>> SAMPLE_SHIFT;
        int ke = (end - 1) >>> SAMPLE_SHIFT;
        int k = -1;
        while (ks <= ke) {
            int mid = (ks + ke) >>> 1;
            if (sample[mid] <= key) {
                k = mid;
                ks = mid + 1;
            } else {
                ke = mid - 1;
            }
        }
        int lo;
        int hi;
        if (k < 0) {
            lo = first;
            hi = Math.min(end, ((first + SAMPLE - 1) >>> SAMPLE_SHIFT) << SAMPLE_SHIFT) - 1;
        } else {
            lo = k << SAMPLE_SHIFT;
            hi = Math.min(end, lo + SAMPLE) - 1;
        }
        int found = -1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            if (lows[mid] <= key) {
                found = mid;
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        return found;
    }

    private boolean extendMain(long oldChunk, long newChunk, int g, int i) {
        if (i >= 0 && mainNew[i] != TOMB) {
            long nc = mainNew[i];
            int length = runLength(nc);
            if (length < MAX_RUN
                    && sameHigh(oldChunk, i) + length == oldChunk
                    && (nc & NEW_MASK) + length == newChunk) {
                mainNew[i] = nc + (1L << COUNT_SHIFT);
                return true;
            }
        }
        int next = i < 0 ? highStart[g] : i + 1;
        if (next < highStart[g + 1] && mainNew[next] != TOMB && (i < 0 || sameHigh(oldChunk, i) != oldChunk)) {
            long nc = mainNew[next];
            if (runLength(nc) < MAX_RUN
                    && sameHigh(oldChunk, next) == oldChunk + 1
                    && (nc & NEW_MASK) == newChunk + 1) {
                setLow(next, lows[next] - 1);
                mainNew[next] = nc + (1L << COUNT_SHIFT) - 1;
                return true;
            }
        }
        return false;
    }

    private boolean mainRemove(long oldChunk) {
        int g = groupOf(oldChunk >>> 32);
        int i = g < 0 ? -1 : mainFloor(g, oldChunk);
        if (i < 0 || mainNew[i] == TOMB) {
            return false;
        }
        long nc = mainNew[i];
        long start = sameHigh(oldChunk, i);
        int length = runLength(nc);
        if (oldChunk - start >= length) {
            return false;
        }
        if (length == 1) {
            mainNew[i] = TOMB;
            mainTombs++;
            if (mainTombs > Math.max(MIN_DELTA_LIMIT, lows.length >>> 2)) {
                compact();
            }
        } else if (oldChunk == start) {
            setLow(i, lows[i] + 1);
            mainNew[i] = nc - (1L << COUNT_SHIFT) + 1;
        } else if (oldChunk == start + length - 1) {
            mainNew[i] = nc - (1L << COUNT_SHIFT);
        } else {
            throw middle(oldChunk, start, length);
        }
        return true;
    }

    /** Changes a run's first chunk in place, keeping the sample in step. */
    private void setLow(int i, int low) {
        lows[i] = low;
        if ((i & (SAMPLE - 1)) == 0) {
            sample[i >>> SAMPLE_SHIFT] = low;
        }
    }

    static IllegalStateException middle(long chunk, long start, int length) {
        return new IllegalStateException(KernelMessages.mergeFromMiddle(chunk, start, start + length - 1));
    }
}
