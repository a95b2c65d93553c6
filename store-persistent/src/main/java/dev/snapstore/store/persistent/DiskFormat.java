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
 * The store's view of the on-disk format of dm-snap-persistent.c: chunk-sized I/O
 * ({@code chunk_io}) and the store-only constants. The format's constants, layout arithmetic
 * ({@code area_location}, {@code skip_metadata}) and header codec live in module
 * {@code dev.snapstore.cow} ({@link CowFormat}, {@link CowHeader}); the names here are aliases so
 * that the store reads as the kernel's code does.
 *
 * <p>All chunk numbers are unsigned 64-bit values in a {@code long}; the arithmetic wraps exactly
 * as the kernel's {@code chunk_t} does. Conversions to sectors are checked instead, so that a
 * hostile chunk number becomes an "attempt to access beyond end of device" rather than a wrapped
 * sector number.
 */
final class DiskFormat {

    /** {@code SNAP_MAGIC}: "SnAp" read as a little-endian 32-bit word. */
    static final int SNAP_MAGIC = CowFormat.SNAP_MAGIC;
    /** {@code SNAPSHOT_DISK_VERSION}. */
    static final int SNAPSHOT_DISK_VERSION = CowFormat.SNAPSHOT_DISK_VERSION;
    /** {@code NUM_SNAPSHOT_HDR_CHUNKS}: chunk 0 holds the header. */
    static final long NUM_SNAPSHOT_HDR_CHUNKS = CowFormat.NUM_SNAPSHOT_HDR_CHUNKS;
    /** {@code DM_CHUNK_SIZE_DEFAULT_SECTORS}: the chunk size for a table chunk size of 0. */
    static final int DM_CHUNK_SIZE_DEFAULT_SECTORS = CowFormat.DM_CHUNK_SIZE_DEFAULT_SECTORS;
    /** {@code DM_PREFETCH_CHUNKS}: how many areas the kernel reads ahead while loading. */
    static final int DM_PREFETCH_CHUNKS = 12;
    /** {@code sizeof(struct disk_exception)}: two little-endian 64-bit chunk numbers. */
    static final int DISK_EXCEPTION_SIZE = CowFormat.DISK_EXCEPTION_SIZE;
    /** {@code sizeof(struct disk_header)}: magic, valid, version, chunk size as little-endian 32-bit words. */
    static final int DISK_HEADER_SIZE = CowFormat.DISK_HEADER_SIZE;

    /** Large zero-filled or header chunks are transferred in pieces of at most this many bytes. */
    static final int MAX_PIECE_BYTES = 1 << 20;

    private DiskFormat() {
    }

    /**
     * {@code exceptions_per_area = (chunk_size << SECTOR_SHIFT) / sizeof(struct disk_exception)}.
     *
     * @param chunkSize the chunk size in sectors
     * @return records per metadata area
     */
    static int exceptionsPerArea(int chunkSize) {
        return CowFormat.exceptionsPerArea(chunkSize);
    }

    /**
     * {@code area_location}: the chunk of metadata area {@code area},
     * {@code NUM_SNAPSHOT_HDR_CHUNKS + (exceptions_per_area + 1) * area}, wrapping like
     * {@code chunk_t}.
     *
     * @param exceptionsPerArea records per area
     * @param area the area index (unsigned)
     * @return the chunk number (unsigned)
     */
    static long areaLocation(int exceptionsPerArea, long area) {
        return CowFormat.areaLocation(exceptionsPerArea, area);
    }

    /**
     * {@code skip_metadata}: moves a free-chunk cursor past a metadata chunk, i.e. when
     * {@code next_free % stride == NUM_SNAPSHOT_HDR_CHUNKS}.
     *
     * @param exceptionsPerArea records per area
     * @param nextFree the cursor (unsigned)
     * @return the cursor, bumped by one if it sat on a metadata area
     */
    static long skipMetadata(int exceptionsPerArea, long nextFree) {
        return CowFormat.skipMetadata(exceptionsPerArea, nextFree);
    }

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
            long sector = Long.compareUnsigned(chunk, Long.MAX_VALUE / chunkSize) <= 0 ? chunk * chunkSize : Long.MAX_VALUE;
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

    /**
     * The 16 header bytes {@code write_header} puts at the start of chunk 0.
     *
     * @param valid the valid word
     * @param version the version word
     * @param chunkSize the chunk size word
     * @return the bytes, little-endian
     */
    static byte[] header(int valid, int version, int chunkSize) {
        return CowHeader.of(valid, version, chunkSize).encode();
    }
}
