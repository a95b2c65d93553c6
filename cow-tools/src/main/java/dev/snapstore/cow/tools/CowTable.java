package dev.snapstore.cow.tools;

import dev.snapstore.cow.CowAreaReader;
import dev.snapstore.cow.CowFormat;
import dev.snapstore.cow.CowHeader;
import dev.snapstore.cow.CowRecord;
import dev.snapstore.spi.BlockDevice;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Walks a COW's exception table as the kernel's {@code read_exceptions} does: area after area
 * while areas are full, up to the first record whose new chunk is 0. Memory stays at one chunk
 * whatever the size of the table. Read-only.
 */
public final class CowTable {

    /** Receives the table in order. */
    public interface Visitor {

        /**
         * One record of the table (never the terminator).
         *
         * @param record the record and its place
         * @throws IOException to stop the walk
         */
        void record(DumpRecord record) throws IOException;

        /**
         * The end of the table: the record at {@code index} of {@code area} has new chunk 0 (or
         * it would be index {@code exceptionsPerArea} of a full area, which never happens: the
         * walk then goes on to the next area). Called at most once, after the last record.
         *
         * @param area the area holding the terminator
         * @param index its index
         * @param areaBytes the whole area, little-endian; valid only during the call
         * @throws IOException to fail the walk
         */
        default void end(long area, int index, ByteBuffer areaBytes) throws IOException {}
    }

    private CowTable() {}

    /**
     * Walks the table.
     *
     * @param cow the COW
     * @param header its header; its magic and chunk size must be usable
     *     ({@link CowHeader#whyUndecodable()} empty)
     * @param visitor receives the records and the end
     * @return how many records the table holds
     * @throws TruncatedTableException when an area the table needs lies beyond the end of the COW;
     *     the records before it were visited
     * @throws IOException on a read error, or what the visitor throws
     * @throws IllegalArgumentException when the header's chunk size is not usable
     */
    public static long walk(BlockDevice cow, CowHeader header, Visitor visitor) throws IOException {
        CowAreaReader reader = new CowAreaReader(cow, header.chunkSize());
        int epa = reader.exceptionsPerArea();
        long count = 0;
        for (long area = 0; ; area++) {
            if (!reader.areaFits(area)) {
                long location = CowFormat.areaLocation(epa, area);
                throw new TruncatedTableException(
                        area,
                        location,
                        location * header.chunkSize() * 512,
                        cow.sizeInSectors() << CowFormat.SECTOR_SHIFT);
            }
            ByteBuffer buffer = reader.readArea(area);
            for (int i = 0; i < epa; i++) {
                CowRecord record = CowRecord.decode(buffer, i);
                if (record.isTerminator()) {
                    visitor.end(area, i, buffer);
                    return count;
                }
                visitor.record(DumpRecord.at(area, i, record));
                count++;
            }
        }
    }
}
