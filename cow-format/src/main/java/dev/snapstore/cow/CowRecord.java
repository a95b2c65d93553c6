package dev.snapstore.cow;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * {@code struct disk_exception}: one 16-byte record of a metadata area, little-endian 64-bit
 * {@code old_chunk} then {@code new_chunk} (both unsigned). A record with {@code new_chunk == 0}
 * ends the table.
 *
 * @param oldChunk the origin chunk
 * @param newChunk the COW chunk holding its copy
 */
public record CowRecord(long oldChunk, long newChunk) {

    /**
     * Decodes record {@code index} of an area buffer.
     *
     * @param area the area bytes (position ignored; index 0 is at offset 0)
     * @param index the record index
     * @return the record
     */
    public static CowRecord decode(ByteBuffer area, int index) {
        ByteBuffer b = area.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        int offset = index * CowFormat.DISK_EXCEPTION_SIZE;
        return new CowRecord(b.getLong(offset), b.getLong(offset + 8));
    }

    /**
     * Encodes this record as record {@code index} of an area buffer.
     *
     * @param area the area bytes (position and byte order unchanged)
     * @param index the record index
     */
    public void encode(ByteBuffer area, int index) {
        ByteBuffer b = area.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        int offset = index * CowFormat.DISK_EXCEPTION_SIZE;
        b.putLong(offset, oldChunk).putLong(offset + 8, newChunk);
    }

    /** @return whether this record ends the table ({@code new_chunk == 0}) */
    public boolean isTerminator() {
        return newChunk == 0;
    }

    /** @return whether both words are zero (an unused slot) */
    public boolean isZero() {
        return oldChunk == 0 && newChunk == 0;
    }
}
