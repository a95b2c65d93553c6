package dev.snapstore.store.persistent;

import dev.snapstore.cow.CowFormat;
import dev.snapstore.cow.CowHeader;
import dev.snapstore.spi.BeyondEndOfDeviceException;
import dev.snapstore.spi.BlockDevice;
import dev.snapstore.spi.ChunkSize;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The store's own part of dm-snap-persistent.c's disk handling: chunk-sized I/O ({@code chunk_io})
 * and the read-ahead constant. The format itself (constants, layout arithmetic, header and record
 * codec) lives in module {@code dev.snapstore.cow}: {@link CowFormat}, {@link CowHeader}.
 *
 * <p>Chunk numbers are unsigned 64-bit values in a {@code long}. Conversions to sectors are
 * checked, so that a hostile chunk number becomes an "attempt to access beyond end of device"
 * rather than a wrapped sector number.
 */
final class DiskFormat {

    /** {@code DM_PREFETCH_CHUNKS}: how many areas the kernel reads ahead while loading. */
    static final int DM_PREFETCH_CHUNKS = 12;

    /** Large zero-filled or header chunks are transferred in pieces of at most this many bytes. */
    static final int MAX_PIECE_BYTES = 1 << 20;

    private DiskFormat() {}

    /**
     * A new little-endian buffer of one chunk, zero-filled.
     *
     * @param chunkSize the chunk size in sectors
     * @return the buffer
     */
    static ByteBuffer chunkBuffer(int chunkSize) {
        return ByteBuffer.allocate(chunkSize << ChunkSize.SECTOR_SHIFT).order(ByteOrder.LITTLE_ENDIAN);
    }

    /**
     * The first sector of a chunk, after checking that the whole chunk lies on the device, as the
     * block layer's "attempt to access beyond end of device" check does. The check comes first so
     * that nothing is allocated or transferred for a chunk that cannot exist.
     *
     * @param device the device
     * @param chunk the chunk number (unsigned)
     * @param chunkSize the chunk size in sectors
     * @return the chunk's first sector
     * @throws BeyondEndOfDeviceException when the chunk does not fit on the device
     */
    static long checkedChunkSector(BlockDevice device, long chunk, int chunkSize) throws BeyondEndOfDeviceException {
        long size = device.sizeInSectors();
        // chunk + 1 <= size / chunkSize, unsigned, without overflow
        if (Long.compareUnsigned(chunk, size / chunkSize) >= 0) {
            long sector =
                    Long.compareUnsigned(chunk, Long.MAX_VALUE / chunkSize) <= 0 ? chunk * chunkSize : Long.MAX_VALUE;
            throw new BeyondEndOfDeviceException(device.name(), sector, chunkSize, size);
        }
        return chunk * chunkSize;
    }

    /**
     * {@code chunk_io(READ)}: reads one whole chunk into {@code dst} (its capacity must be one chunk).
     *
     * @param device the device
     * @param chunk the chunk number
     * @param chunkSize the chunk size in sectors
     * @param dst the chunk buffer; cleared and filled
     * @throws IOException on an I/O error or when the chunk lies beyond the end of the device
     */
    static void readChunk(BlockDevice device, long chunk, int chunkSize, ByteBuffer dst) throws IOException {
        long sector = checkedChunkSector(device, chunk, chunkSize);
        dst.clear();
        device.read(sector, dst);
        dst.clear();
    }

    /**
     * {@code chunk_io(READ)} of a chunk of which only the first {@code headBytes} are wanted, such
     * as chunk 0 for the header: the whole chunk is read, as the kernel reads it (a chunk beyond
     * the end fails), but in pieces, so that a large chunk needs no chunk-sized buffer.
     *
     * @param device the device
     * @param chunk the chunk number
     * @param chunkSize the chunk size in sectors
     * @param headBytes how many bytes to return, at most 512
     * @return the chunk's first {@code headBytes} bytes, little-endian
     * @throws IOException on an I/O error or when the chunk lies beyond the end of the device
     */
    static ByteBuffer readChunkHead(BlockDevice device, long chunk, int chunkSize, int headBytes) throws IOException {
        long sector = checkedChunkSector(device, chunk, chunkSize);
        long chunkBytes = (long) chunkSize << ChunkSize.SECTOR_SHIFT;
        int pieceBytes = (int) Math.min(chunkBytes, MAX_PIECE_BYTES);
        ByteBuffer piece = ByteBuffer.allocate(pieceBytes).order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer head = ByteBuffer.allocate(headBytes).order(ByteOrder.LITTLE_ENDIAN);
        for (long done = 0; done < chunkBytes; done += pieceBytes) {
            device.read(sector + (done >>> ChunkSize.SECTOR_SHIFT), piece.clear());
            if (done == 0) {
                head.put(piece.array(), 0, headBytes).clear();
            }
        }
        return head;
    }

    /**
     * {@code chunk_io(WRITE)} of one whole chunk from {@code src} (its capacity must be one chunk).
     *
     * @param device the device
     * @param chunk the chunk number
     * @param chunkSize the chunk size in sectors
     * @param src the chunk buffer; its position and limit are not changed
     * @throws IOException on an I/O error or when the chunk lies beyond the end of the device
     */
    static void writeChunk(BlockDevice device, long chunk, int chunkSize, ByteBuffer src) throws IOException {
        long sector = checkedChunkSector(device, chunk, chunkSize);
        device.write(sector, src.duplicate().clear());
    }

    /**
     * Writes a chunk that is all zero except for {@code head} at its start: {@code write_header}
     * (head = the 16 header bytes) and {@code zero_disk_area} (no head). Large chunks go out in
     * pieces so that no chunk-sized zero buffer is needed; the whole chunk is range-checked first,
     * so a chunk beyond the end transfers nothing, as one kernel bio would.
     *
     * @param device the device
     * @param chunk the chunk number
     * @param chunkSize the chunk size in sectors
     * @param head bytes for the start of the chunk, at most one piece long; may be empty
     * @throws IOException on an I/O error or when the chunk lies beyond the end of the device
     */
    static void writeZeroChunk(BlockDevice device, long chunk, int chunkSize, byte[] head) throws IOException {
        long sector = checkedChunkSector(device, chunk, chunkSize);
        long chunkBytes = (long) chunkSize << ChunkSize.SECTOR_SHIFT;
        int pieceBytes = (int) Math.min(chunkBytes, MAX_PIECE_BYTES);
        ByteBuffer piece = ByteBuffer.allocate(pieceBytes);
        piece.put(head).clear();
        for (long done = 0; done < chunkBytes; done += pieceBytes) {
            device.write(sector + (done >>> ChunkSize.SECTOR_SHIFT), piece.clear());
            if (done == 0 && head.length > 0) {
                piece.clear();
                piece.put(new byte[head.length]).clear();
            }
        }
    }
}
