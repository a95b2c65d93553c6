package dev.snapstore.cow.tools;

import dev.snapstore.cow.CowFormat;
import dev.snapstore.cow.CowRecord;

/**
 * One record of a COW's exception table with its place in the table: what a dump lists, one line
 * or one JSON object each. All four numbers are unsigned 64-bit values in a {@code long}.
 *
 * @param area the metadata area
 * @param index the record's index within its area
 * @param oldChunk the origin chunk
 * @param newChunk the COW chunk holding its copy
 */
public record DumpRecord(long area, long index, long oldChunk, long newChunk) {

    /**
     * The record at a place in the table.
     *
     * @param area the metadata area
     * @param index the index within the area
     * @param record the record's two chunk numbers
     * @return the record with its place
     */
    public static DumpRecord at(long area, long index, CowRecord record) {
        return new DumpRecord(area, index, record.oldChunk(), record.newChunk());
    }

    /** @return the two chunk numbers as the format's record */
    public CowRecord record() {
        return new CowRecord(oldChunk, newChunk);
    }

    /**
     * The byte offset of this record on a COW of the given chunk size (wrapping like the kernel's
     * {@code chunk_t} arithmetic for a hostile area number).
     *
     * @param chunkSize the chunk size in sectors
     * @return the offset of the record's 16 bytes
     */
    public long byteOffset(int chunkSize) {
        long chunkBytes = (long) chunkSize << CowFormat.SECTOR_SHIFT;
        return CowFormat.areaLocation(CowFormat.exceptionsPerArea(chunkSize), area) * chunkBytes
                + index * CowFormat.DISK_EXCEPTION_SIZE;
    }
}
