package dev.snapstore.engine;

import java.util.Arrays;

/**
 * The delta part of an {@link ExceptionTable}: an open-addressing hash of the runs added since the
 * table's main arrays were last rebuilt, keyed by the 256-chunk group of the run (as the kernel's
 * {@code exception_hash} with {@code hash_shift = 8}), so that a lookup of any chunk finds the run
 * holding it. A delta run stays inside one 256-aligned group. Runs are encoded as in the table:
 * the first new chunk with (length - 1) in its top 8 bits. Not thread-safe, like the table.
 */
final class DeltaRuns {

    /** An empty slot. */
    private static final long EMPTY = -1L;

    /** The runs' first old chunks, {@link #EMPTY} for a free slot; {@code null} until the first run. */
    private long[] olds;
    /** The runs' encoded new chunks; {@link ExceptionTable#TOMB} for a removed run. */
    private long[] news;

    private int mask;
    /** Slots taken, removed runs included (they keep probe chains whole). */
    private int used;

    private int live;

    /** Whether a run was ever added since the delta was last emptied. */
    boolean allocated() {
        return olds != null;
    }

    /** Slots taken, removed runs included. */
    int used() {
        return used;
    }

    /** Runs held. */
    int live() {
        return live;
    }

    /** The bytes of the two arrays, as {@link ExceptionTable#memoryBytes()} counts them. */
    long memoryBytes() {
        return olds == null ? 0 : 2 * (ExceptionTable.ARRAY_HEADER + 8L * olds.length);
    }

    private static int hash(long group) {
        long h = group * 0x9E37_79B9_7F4A_7C15L;
        return (int) (h ^ (h >>> 29));
    }

    /** The slot of the live run holding oldChunk, or -1. */
    private int find(long oldChunk) {
        if (live == 0) {
            return -1;
        }
        long group = oldChunk >>> 8;
        for (int i = hash(group) & mask; olds[i] != EMPTY; i = (i + 1) & mask) {
            long start = olds[i];
            if ((start >>> 8) == group && news[i] != ExceptionTable.TOMB) {
                // Both lie in one 256-chunk group, so the signed difference is exact.
                long offset = oldChunk - start;
                if (offset >= 0 && offset < ExceptionTable.runLength(news[i])) {
                    return i;
                }
            }
        }
        return -1;
    }

    /** The COW chunk of oldChunk, or {@link ExceptionTable#NONE}. */
    long lookup(long oldChunk) {
        int i = find(oldChunk);
        return i < 0 ? ExceptionTable.NONE : (news[i] & ExceptionTable.NEW_MASK) + (oldChunk - olds[i]);
    }

    /** Extends a run that ends just before the exception or starts just after it; whether one did. */
    boolean extend(long oldChunk, long newChunk) {
        if (live == 0) {
            return false;
        }
        long group = oldChunk >>> 8;
        for (int i = hash(group) & mask; olds[i] != EMPTY; i = (i + 1) & mask) {
            long start = olds[i];
            long nc = news[i];
            if ((start >>> 8) != group || nc == ExceptionTable.TOMB) {
                continue;
            }
            int length = ExceptionTable.runLength(nc);
            if (length >= ExceptionTable.MAX_RUN) {
                continue;
            }
            // Append: the run ends just before oldChunk (same 256-group, so it cannot wrap).
            if (start + length == oldChunk && (nc & ExceptionTable.NEW_MASK) + length == newChunk) {
                news[i] = nc + (1L << ExceptionTable.COUNT_SHIFT);
                return true;
            }
            // Prepend: the run starts just after oldChunk, in the same group.
            if (start == oldChunk + 1 && (nc & ExceptionTable.NEW_MASK) == newChunk + 1) {
                olds[i] = oldChunk;
                news[i] = nc + (1L << ExceptionTable.COUNT_SHIFT) - 1;
                return true;
            }
        }
        return false;
    }

    /** Adds a run: its first old chunk and its encoded new chunk. */
    void add(long start, long nc) {
        if (olds == null) {
            olds = new long[16];
            news = new long[16];
            Arrays.fill(olds, EMPTY);
            mask = 15;
        } else if ((used + 1) * 4L > olds.length * 3L) {
            grow();
        }
        int i = hash(start >>> 8) & mask;
        while (olds[i] != EMPTY) {
            i = (i + 1) & mask;
        }
        olds[i] = start;
        news[i] = nc;
        used++;
        live++;
    }

    private void grow() {
        long[] oldKeys = olds;
        long[] oldValues = news;
        int capacity = oldKeys.length;
        // Tombstones are dropped on the way, so only grow when live runs need the room.
        if ((live + 1) * 2L > capacity) {
            capacity *= 2;
        }
        olds = new long[capacity];
        news = new long[capacity];
        Arrays.fill(olds, EMPTY);
        mask = capacity - 1;
        used = 0;
        live = 0;
        for (int i = 0; i < oldKeys.length; i++) {
            if (oldKeys[i] != EMPTY && oldValues[i] != ExceptionTable.TOMB) {
                add(oldKeys[i], oldValues[i]);
            }
        }
    }

    /**
     * Removes one chunk from the end of its run.
     *
     * @return {@code false} when no delta run holds the chunk
     * @throws IllegalStateException when the chunk lies inside its run
     */
    boolean remove(long oldChunk) {
        int i = find(oldChunk);
        if (i < 0) {
            return false;
        }
        long start = olds[i];
        long nc = news[i];
        int length = ExceptionTable.runLength(nc);
        if (length == 1) {
            // The key stays so that probe chains through this slot are not cut.
            news[i] = ExceptionTable.TOMB;
            live--;
        } else if (oldChunk == start) {
            olds[i] = start + 1;
            news[i] = nc - (1L << ExceptionTable.COUNT_SHIFT) + 1;
        } else if (oldChunk == start + length - 1) {
            news[i] = nc - (1L << ExceptionTable.COUNT_SHIFT);
        } else {
            throw ExceptionTable.middle(oldChunk, start, length);
        }
        return true;
    }

    /**
     * Copies the live runs into the arrays, in slot order.
     *
     * @return how many were copied ({@link #live()})
     */
    int copyLive(long[] starts, long[] encoded) {
        int d = 0;
        if (olds != null) {
            for (int i = 0; i < olds.length; i++) {
                if (olds[i] != EMPTY && news[i] != ExceptionTable.TOMB) {
                    starts[d] = olds[i];
                    encoded[d] = news[i];
                    d++;
                }
            }
        }
        return d;
    }

    /** Calls the visitor for every live run. */
    void forEachRun(ExceptionTable.RunVisitor visitor) {
        if (olds != null) {
            for (int i = 0; i < olds.length; i++) {
                if (olds[i] != EMPTY && news[i] != ExceptionTable.TOMB) {
                    visitor.run(olds[i], news[i] & ExceptionTable.NEW_MASK, ExceptionTable.runLength(news[i]));
                }
            }
        }
    }
}
