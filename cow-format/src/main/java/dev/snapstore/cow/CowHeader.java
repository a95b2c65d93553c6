package dev.snapstore.cow;

import dev.snapstore.spi.ChunkSize;
import dev.snapstore.spi.StoreException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Optional;

/**
 * {@code struct disk_header}: the first 16 bytes of chunk 0, four little-endian 32-bit words.
 *
 * @param magic {@link CowFormat#SNAP_MAGIC} on a formatted COW
 * @param valid 1, or 0 once the snapshot was invalidated
 * @param version {@link CowFormat#SNAPSHOT_DISK_VERSION}
 * @param chunkSize the chunk size in sectors
 */
public record CowHeader(int magic, int valid, int version, int chunkSize) {

    /**
     * The header {@code write_header} writes: the kernel's magic with these words.
     *
     * @param valid the valid word
     * @param version the version word
     * @param chunkSize the chunk size word
     * @return the header
     */
    public static CowHeader of(int valid, int version, int chunkSize) {
        return new CowHeader(CowFormat.SNAP_MAGIC, valid, version, chunkSize);
    }

    /**
     * Decodes the header from the first 16 bytes at {@code src}'s position (byte order ignored;
     * position unchanged).
     *
     * @param src at least 16 bytes
     * @return the header
     */
    public static CowHeader decode(ByteBuffer src) {
        ByteBuffer b = src.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        int p = b.position();
        return new CowHeader(b.getInt(p), b.getInt(p + 4), b.getInt(p + 8), b.getInt(p + 12));
    }

    /**
     * Decodes the header from a byte array.
     *
     * @param bytes at least 16 bytes
     * @return the header
     */
    public static CowHeader decode(byte[] bytes) {
        return decode(ByteBuffer.wrap(bytes, 0, CowFormat.DISK_HEADER_SIZE));
    }

    /** @return the 16 header bytes, little-endian */
    public byte[] encode() {
        ByteBuffer h = ByteBuffer.allocate(CowFormat.DISK_HEADER_SIZE).order(ByteOrder.LITTLE_ENDIAN);
        h.putInt(magic).putInt(valid).putInt(version).putInt(chunkSize);
        return h.array();
    }

    /** @return whether the magic is the kernel's */
    public boolean hasMagic() {
        return magic == CowFormat.SNAP_MAGIC;
    }

    /**
     * Why the table behind this header cannot be read, in the words of the kernel's
     * {@code read_header}: no magic (a COW the kernel treats as new), a foreign magic, or an
     * on-disk chunk size that {@code dm_exception_store_set_chunk_size} rejects for 512-byte
     * sectors. The version and the valid flag are not judged here.
     *
     * @return the reason, or empty when the magic and the chunk size are usable
     */
    public Optional<String> whyUndecodable() {
        if (magic == 0) {
            return Optional.of("no snapshot header (magic 0: a COW the kernel would treat as new)");
        }
        if (!hasMagic()) {
            return Optional.of("Invalid or corrupt snapshot (magic 0x" + String.format("%08x", magic) + ", expected 0x"
                    + String.format("%08x", CowFormat.SNAP_MAGIC) + ")");
        }
        try {
            ChunkSize.validate(Integer.toUnsignedLong(chunkSize), ChunkSize.SECTOR_SIZE, ChunkSize.SECTOR_SIZE);
        } catch (StoreException e) {
            return Optional.of(
                    "invalid on-disk chunk size " + Integer.toUnsignedString(chunkSize) + ": " + e.getMessage() + ".");
        }
        return Optional.empty();
    }
}
