package dev.snapstore.cow;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

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
}
