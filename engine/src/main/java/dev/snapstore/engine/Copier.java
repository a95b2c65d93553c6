package dev.snapstore.engine;

import dev.snapstore.spi.BlockDevice;
import dev.snapstore.spi.ChunkSize;
import java.io.IOException;
import java.nio.ByteBuffer;

/** Sector copies between devices, as kcopyd does them for dm-snap, in pieces of at most 1 MiB. */
final class Copier {

    private static final int MAX_PIECE = 1 << 20;

    private Copier() {}

    /** A copy that failed, telling whether reading or writing did (merge_callback's read_err/write_err). */
    static final class CopyFailure extends Exception {
        private static final long serialVersionUID = 1L;
        final boolean read;

        CopyFailure(boolean read, IOException cause) {
            super(cause);
            this.read = read;
        }
    }

    /** A buffer for copies of {@code bytes}, capped at the piece size, for callers that copy many times. */
    static ByteBuffer buffer(long bytes) {
        return ByteBuffer.allocate((int) Math.min(bytes, MAX_PIECE));
    }

    static void copy(BlockDevice src, long srcSector, BlockDevice dst, long dstSector, long sectors)
            throws CopyFailure {
        copy(src, srcSector, dst, dstSector, sectors, buffer(sectors << ChunkSize.SECTOR_SHIFT));
    }

    /**
     * The copy through the caller's buffer (whole sectors, reused: its content and position are
     * overwritten).
     */
    static void copy(BlockDevice src, long srcSector, BlockDevice dst, long dstSector, long sectors, ByteBuffer buffer)
            throws CopyFailure {
        long done = 0;
        while (done < sectors) {
            int n = (int) Math.min(sectors - done, buffer.capacity() >>> ChunkSize.SECTOR_SHIFT);
            buffer.clear().limit(n << ChunkSize.SECTOR_SHIFT);
            try {
                src.read(srcSector + done, buffer);
            } catch (IOException e) {
                throw new CopyFailure(true, e);
            }
            buffer.flip();
            try {
                dst.write(dstSector + done, buffer);
            } catch (IOException e) {
                throw new CopyFailure(false, e);
            }
            done += n;
        }
    }
}
