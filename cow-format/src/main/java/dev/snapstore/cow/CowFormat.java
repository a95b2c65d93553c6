package dev.snapstore.cow;

/**
 * Constants and layout arithmetic of dm-snap-persistent.c.
 *
 * <p>Chunk 0 holds the header; metadata area {@code i} sits at chunk
 * {@code 1 + (epa + 1) * i} where {@code epa = chunkSize * 512 / 16} records fit one area; the data
 * chunks of area {@code i} follow it. All chunk numbers are unsigned 64-bit values in a
 * {@code long}; the arithmetic wraps as the kernel's {@code chunk_t} does.
 */
public final class CowFormat {

    /** {@code SNAP_MAGIC}: "SnAp" read as a little-endian 32-bit word. */
    public static final int SNAP_MAGIC = 0x70416e53;
    /** {@code SNAPSHOT_DISK_VERSION}. */
    public static final int SNAPSHOT_DISK_VERSION = 1;
    /** {@code NUM_SNAPSHOT_HDR_CHUNKS}: chunk 0 holds the header. */
    public static final long NUM_SNAPSHOT_HDR_CHUNKS = 1;
    /** {@code DM_CHUNK_SIZE_DEFAULT_SECTORS}: the chunk size for a table chunk size of 0. */
    public static final int DM_CHUNK_SIZE_DEFAULT_SECTORS = 32;
    /** {@code sizeof(struct disk_exception)}: two little-endian 64-bit chunk numbers. */
    public static final int DISK_EXCEPTION_SIZE = 16;
    /** {@code sizeof(struct disk_header)}: magic, valid, version, chunk size as little-endian 32-bit words. */
    public static final int DISK_HEADER_SIZE = 16;
    /** {@code SECTOR_SHIFT}. */
    public static final int SECTOR_SHIFT = 9;

    private CowFormat() {}

    /**
     * {@code exceptions_per_area = (chunk_size << SECTOR_SHIFT) / sizeof(struct disk_exception)}.
     *
     * @param chunkSize the chunk size in sectors
     * @return records per metadata area
     */
    public static int exceptionsPerArea(int chunkSize) {
        return (chunkSize << SECTOR_SHIFT) / DISK_EXCEPTION_SIZE;
    }

    /**
     * {@code area_location}: {@code NUM_SNAPSHOT_HDR_CHUNKS + (exceptions_per_area + 1) * area},
     * wrapping like {@code chunk_t}.
     *
     * @param exceptionsPerArea records per area
     * @param area the area index (unsigned)
     * @return the chunk number (unsigned)
     */
    public static long areaLocation(int exceptionsPerArea, long area) {
        return NUM_SNAPSHOT_HDR_CHUNKS + (exceptionsPerArea + 1L) * area;
    }

    /**
     * {@code skip_metadata}: moves a free-chunk cursor past a metadata chunk, i.e. when
     * {@code next_free % stride == NUM_SNAPSHOT_HDR_CHUNKS}.
     *
     * @param exceptionsPerArea records per area
     * @param nextFree the cursor (unsigned)
     * @return the cursor, bumped by one if it sat on a metadata area
     */
    public static long skipMetadata(int exceptionsPerArea, long nextFree) {
        return isMetadataChunk(exceptionsPerArea, nextFree) ? nextFree + 1 : nextFree;
    }

    /**
     * Whether a chunk holds a metadata area (not the header).
     *
     * @param exceptionsPerArea records per area
     * @param chunk the chunk number (unsigned)
     * @return true for chunk {@code 1 + (epa + 1) * i}
     */
    public static boolean isMetadataChunk(int exceptionsPerArea, long chunk) {
        return Long.remainderUnsigned(chunk, exceptionsPerArea + 1L) == NUM_SNAPSHOT_HDR_CHUNKS;
    }

    /**
     * Whether a chunk holds the header or a metadata area.
     *
     * @param exceptionsPerArea records per area
     * @param chunk the chunk number (unsigned)
     * @return true for chunk 0 and every metadata chunk
     */
    public static boolean isReservedChunk(int exceptionsPerArea, long chunk) {
        return chunk == 0 || isMetadataChunk(exceptionsPerArea, chunk);
    }
}
