package dev.snapstore.engine;

import dev.snapstore.spi.ChunkSize;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Splits a request at chunk boundaries, as dm does with a target's {@code max_io_len} (and the
 * origin with its {@code split_boundary}), so that each piece lies inside one chunk.
 */
final class Pieces {

    /** Handles one piece. */
    @FunctionalInterface
    interface PieceIo {
        void run(long sector, ByteBuffer piece) throws IOException;
    }

    private Pieces() {}

    /**
     * Calls {@code io} for each piece of {@code buffer}'s remaining bytes, advancing its position.
     *
     * @param sector the request's first sector
     * @param buffer the request's bytes, whole sectors
     * @param boundary the chunk size in sectors, a power of two
     * @param io handles one piece, a slice of the buffer
     */
    static void split(long sector, ByteBuffer buffer, int boundary, PieceIo io) throws IOException {
        int end = buffer.limit();
        long mask = boundary - 1L;
        while (buffer.position() < end) {
            long left = (boundary - (sector & mask)) << ChunkSize.SECTOR_SHIFT;
            int n = (int) Math.min(left, end - buffer.position());
            io.run(sector, buffer.slice(buffer.position(), n));
            buffer.position(buffer.position() + n);
            sector += n >>> ChunkSize.SECTOR_SHIFT;
        }
    }
}
