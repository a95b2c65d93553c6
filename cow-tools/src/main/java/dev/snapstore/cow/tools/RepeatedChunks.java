package dev.snapstore.cow.tools;

import dev.snapstore.spi.BlockDevice;
import java.io.IOException;
import java.util.Arrays;
import java.util.OptionalLong;
import java.util.function.LongPredicate;

/**
 * Which old chunks a table maps more than once, found without a per-record map, so that
 * {@link CowCheck} (and its {@link TableChecker}) need remember the first holder of those chunks
 * only, and on a table without any need not walk it a second time. "Seen" is a bitmap of the
 * origin's chunks when the origin's size is known and the bitmap is no larger than a sorted
 * {@code long[]} of every record's old chunk could be (8 bytes per record, at most one record per
 * COW chunk); otherwise it is that array, sorted once at the end. Old chunks past the bitmap's end
 * (past the origin) go to a side array, sorted the same way. Fed one old chunk at a time in table
 * order ({@link #add(long)}), then {@link #finish()}. Not thread-safe.
 */
final class RepeatedChunks {

    /** Which structure held the "seen" old chunks, for tests and measurements. */
    enum Kind {
        /** One bit per origin chunk. */
        BITMAP,
        /** A sorted array of every record's old chunk. */
        SORTED_ARRAY
    }

    private final Kind kind;
    private final long originChunks;
    private final ChunkIndex repeated = new ChunkIndex();
    private long[] bits;
    private long[] others = new long[1024];
    private int otherCount;
    private boolean any;

    /**
     * @param originChunks the origin's chunks, or -1 when unknown
     * @param maxRecords at most how many records the table can hold (the COW's chunks)
     */
    RepeatedChunks(long originChunks, long maxRecords) {
        boolean bitmap =
                originChunks >= 0 && originChunks / 64 < Integer.MAX_VALUE - 8 && originChunks / 8 <= 8 * maxRecords;
        this.kind = bitmap ? Kind.BITMAP : Kind.SORTED_ARRAY;
        this.originChunks = bitmap ? originChunks : 0;
        this.bits = bitmap ? new long[(int) ((originChunks + 63) >>> 6)] : null;
    }

    Kind kind() {
        return kind;
    }

    /**
     * The old chunks of a batch of records.
     *
     * @param fields old and new chunk of each record, in turn
     * @param count how many records
     */
    void addAll(long[] fields, int count) {
        for (int i = 0; i < count; i++) {
            add(fields[2 * i]);
        }
    }

    /** One record's old chunk. */
    void add(long old) {
        if (Long.compareUnsigned(old, originChunks) < 0) {
            int word = (int) (old >>> 6);
            long bit = 1L << old;
            long w = bits[word];
            if ((w & bit) != 0) {
                repeated.putIfAbsent(old, 0);
                any = true;
            }
            bits[word] = w | bit;
        } else {
            if (otherCount == others.length) {
                others = Arrays.copyOf(others, Math.addExact(otherCount, (otherCount >>> 1) + 1));
            }
            others[otherCount++] = old;
        }
    }

    /** Ends the table: finds the repeats among the other chunks and lets go of the bitmap and the array. */
    void finish() {
        bits = null;
        Arrays.sort(others, 0, otherCount);
        for (int i = 1; i < otherCount; i++) {
            if (others[i] == others[i - 1]) {
                repeated.putIfAbsent(others[i], 0);
                any = true;
            }
        }
        others = new long[0];
        otherCount = 0;
    }

    /** @return whether some old chunk is mapped by more than one record (after {@link #finish()}) */
    boolean any() {
        return any;
    }

    /** @return whether an old chunk is mapped by more than one record */
    LongPredicate predicate() {
        return chunk -> repeated.get(chunk) >= 0;
    }

    /**
     * The smallest old chunk (as a signed long) that more than one of a dump's records holds, found
     * as the check finds repeats, without a map of every record: a bitmap over the span of the old
     * chunks when it is no larger than 8 bytes a record, else a sorted copy of them.
     *
     * @param records the records
     * @return the chunk, or empty when no old chunk repeats
     */
    static OptionalLong smallestRepeated(DumpRecords records) {
        int n = records.size();
        if (n < 2) {
            return OptionalLong.empty();
        }
        long min = Long.MAX_VALUE;
        long max = Long.MIN_VALUE;
        for (int i = 0; i < n; i++) {
            long old = records.oldChunk(i);
            min = Math.min(min, old);
            max = Math.max(max, old);
        }
        long span = max - min; // unsigned
        if (Long.compareUnsigned(span, 64L * n) < 0) {
            long[] bits = new long[(int) (span >>> 6) + 1];
            boolean any = false;
            long smallest = Long.MAX_VALUE;
            for (int i = 0; i < n; i++) {
                long old = records.oldChunk(i);
                long at = old - min;
                int word = (int) (at >>> 6);
                long bit = 1L << at;
                if ((bits[word] & bit) != 0) {
                    any = true;
                    smallest = Math.min(smallest, old);
                }
                bits[word] |= bit;
            }
            return any ? OptionalLong.of(smallest) : OptionalLong.empty();
        }
        long[] sorted = records.oldChunks();
        Arrays.sort(sorted);
        for (int i = 1; i < n; i++) {
            if (sorted[i] == sorted[i - 1]) {
                return OptionalLong.of(sorted[i]);
            }
        }
        return OptionalLong.empty();
    }

    /**
     * Walks the table once (as {@link CowCheck#walk} does: areas in order up to the first zero new
     * chunk, stopping quietly at an area beyond the end of the COW).
     *
     * @param cow the COW
     * @param chunkSize its chunk size in sectors, usable
     * @param originChunks the origin's chunks, or -1 when unknown
     */
    static RepeatedChunks scan(BlockDevice cow, int chunkSize, long originChunks) throws IOException {
        RepeatedChunks seen = new RepeatedChunks(originChunks, cow.sizeInSectors() / chunkSize);
        CowCheck.walk(cow, chunkSize, seen, null);
        seen.finish();
        return seen;
    }
}
