package dev.snapstore.cow.tools;

import dev.snapstore.cow.CowAreaReader;
import dev.snapstore.cow.CowFormat;
import dev.snapstore.spi.BlockDevice;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.function.LongPredicate;

/**
 * The first of {@link CowCheck}'s two walks: which old chunks the table maps more than once, found
 * without a per-record map, so that the second walk ({@link TableChecker}) remembers the first
 * holder of those chunks only. "Seen" is a bitmap of the origin's chunks when the origin's size is
 * known and the bitmap is no larger than a sorted {@code long[]} of every record's old chunk could
 * be (8 bytes per record, at most one record per COW chunk); otherwise it is that array, sorted once.
 * Old chunks past the bitmap's end (past the origin) go to a side array, sorted the same way.
 * The walk reads the table as the kernel does (areas in order, up to the first zero new chunk) and
 * stops quietly at an area beyond the end of the COW; the second walk reports that.
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
    private final ChunkIndex repeated;

    private RepeatedChunks(Kind kind, ChunkIndex repeated) {
        this.kind = kind;
        this.repeated = repeated;
    }

    Kind kind() {
        return kind;
    }

    /** @return whether an old chunk is mapped by more than one record */
    LongPredicate predicate() {
        return chunk -> repeated.get(chunk) >= 0;
    }

    /**
     * Walks the table once.
     *
     * @param cow the COW
     * @param chunkSize its chunk size in sectors, usable
     * @param originChunks the origin's chunks, or -1 when unknown
     */
    static RepeatedChunks scan(BlockDevice cow, int chunkSize, long originChunks) throws IOException {
        CowAreaReader reader = new CowAreaReader(cow, chunkSize);
        int epa = reader.exceptionsPerArea();
        long maxRecords = reader.chunks();
        boolean bitmap =
                originChunks >= 0 && originChunks / 64 < Integer.MAX_VALUE - 8 && originChunks / 8 <= 8 * maxRecords;
        long[] bits = bitmap ? new long[(int) ((originChunks + 63) >>> 6)] : null;
        long[] others = new long[1024];
        int otherCount = 0;
        ChunkIndex repeated = new ChunkIndex();
        walk:
        for (long area = 0; reader.areaFits(area); area++) {
            ByteBuffer buffer = reader.readArea(area);
            for (int i = 0; i < epa; i++) {
                int at = i * CowFormat.DISK_EXCEPTION_SIZE;
                if (buffer.getLong(at + 8) == 0) {
                    break walk;
                }
                long old = buffer.getLong(at);
                if (bitmap && Long.compareUnsigned(old, originChunks) < 0) {
                    int word = (int) (old >>> 6);
                    long bit = 1L << old;
                    if ((bits[word] & bit) != 0) {
                        repeated.putIfAbsent(old, 0);
                    }
                    bits[word] |= bit;
                } else {
                    if (otherCount == others.length) {
                        others = Arrays.copyOf(others, Math.addExact(otherCount, (otherCount >>> 1) + 1));
                    }
                    others[otherCount++] = old;
                }
            }
        }
        bits = null;
        Arrays.sort(others, 0, otherCount);
        for (int i = 1; i < otherCount; i++) {
            if (others[i] == others[i - 1]) {
                repeated.putIfAbsent(others[i], 0);
            }
        }
        return new RepeatedChunks(bitmap ? Kind.BITMAP : Kind.SORTED_ARRAY, repeated);
    }
}
