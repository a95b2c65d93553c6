package dev.snapstore.cow.tools;

import dev.snapstore.cow.AreaStream;
import dev.snapstore.cow.CowAreaReader;
import dev.snapstore.cow.CowFormat;
import dev.snapstore.cow.CowHeader;
import dev.snapstore.spi.BlockDevice;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.LongBuffer;

/**
 * Walks a COW's exception table as the kernel's {@code read_exceptions} does: area after area
 * while areas are full, up to the first record whose new chunk is 0. Memory stays at one chunk
 * whatever the size of the table. Read-only.
 */
public final class CowTable {

    /**
     * From this area on, a walk reads ahead on a thread ({@link AreaStream}): a table this long is
     * worth a thread, and a shorter one is not read past its end.
     */
    static final long READ_AHEAD_FROM_AREA = 64;

    /** Records decoded at once: 8 KiB of longs, whatever the chunk size. */
    private static final int BATCH = 512;

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

    /**
     * Receives the table a batch of one area's records at a time, as plain {@code long}s: the
     * walk the tools use on large tables (check, dump), with no object and no call per record.
     */
    @FunctionalInterface
    interface Batches {

        /**
         * Records {@code from} to {@code from + count - 1} of {@code area}, none the terminator.
         *
         * @param fields old chunk, new chunk, old chunk, ...: {@code 2 * count} of them are valid,
         *     only during the call
         */
        void records(long area, int from, long[] fields, int count) throws IOException;

        /** As {@link Visitor#end}. */
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
        return walk(cow, header.chunkSize(), new Batches() {
            @Override
            public void records(long area, int from, long[] fields, int count) throws IOException {
                for (int i = 0; i < count; i++) {
                    visitor.record(new DumpRecord(area, from + i, fields[2 * i], fields[2 * i + 1]));
                }
            }

            @Override
            public void end(long area, int index, ByteBuffer areaBytes) throws IOException {
                visitor.end(area, index, areaBytes);
            }
        });
    }

    /**
     * Reads the whole table and only counts it: whether a walk would get to its end, with nothing
     * kept (what {@code snapstore dump --json} does before it prints anything).
     *
     * @param cow the COW
     * @param header its header, with a usable magic and chunk size
     * @return how many records the table holds
     * @throws TruncatedTableException when an area the table needs lies beyond the end of the COW
     * @throws IOException on a read error
     * @throws IllegalArgumentException when the header's chunk size is not usable
     */
    public static long count(BlockDevice cow, CowHeader header) throws IOException {
        return walk(cow, header.chunkSize(), (area, from, fields, count) -> {});
    }

    /**
     * Walks the table (as {@link #walk(BlockDevice, CowHeader, Visitor)}), a batch of an area's
     * records at a time, decoded with one bulk copy into a small {@code long[]}.
     *
     * @param cow the COW
     * @param chunkSize its chunk size in sectors
     * @param sink receives the batches and the end
     * @return how many records the table holds
     * @throws TruncatedTableException when an area the table needs lies beyond the end of the COW;
     *     the records before it were passed on
     * @throws IOException on a read error, or what the sink throws
     * @throws IllegalArgumentException when the chunk size is not usable
     */
    static long walk(BlockDevice cow, int chunkSize, Batches sink) throws IOException {
        Areas areas = new Areas(cow, chunkSize);
        long records = 0;
        AreaStream ahead = null;
        try {
            for (long area = 0; ; area++) {
                if (area == READ_AHEAD_FROM_AREA) {
                    ahead = new AreaStream(cow, chunkSize, area);
                }
                int n = areas.walk(area, ahead, sink);
                records += n;
                if (n < areas.exceptionsPerArea) {
                    return records;
                }
            }
        } finally {
            if (ahead != null) {
                ahead.close();
            }
        }
    }

    /**
     * The walk of one area at a time, with its buffers: what {@link #walk(BlockDevice, int,
     * Batches)} loops over, and what each thread that walks areas of the same table holds its own
     * of ({@link #copy()}). Not thread-safe.
     */
    static final class Areas {

        final int exceptionsPerArea;
        private final BlockDevice cow;
        private final int chunkSize;
        private final long sectors;
        private final long[] fields;
        private final ByteBuffer buffer;

        /** @throws IllegalArgumentException when the chunk size is not usable */
        Areas(BlockDevice cow, int chunkSize) throws IOException {
            this(cow, chunkSize, new CowAreaReader(cow, chunkSize).exceptionsPerArea(), cow.sizeInSectors());
        }

        private Areas(BlockDevice cow, int chunkSize, int exceptionsPerArea, long sectors) {
            this.cow = cow;
            this.chunkSize = chunkSize;
            this.exceptionsPerArea = exceptionsPerArea;
            this.sectors = sectors;
            this.fields = new long[2 * Math.min(BATCH, exceptionsPerArea)];
            // Direct: a heap buffer would be read through the JDK's own direct buffer and copied.
            this.buffer = ByteBuffer.allocateDirect(chunkSize << CowFormat.SECTOR_SHIFT)
                    .order(ByteOrder.LITTLE_ENDIAN);
        }

        /** The same walk with buffers of its own, for another thread; the COW's size is not asked again. */
        Areas copy() {
            return new Areas(cow, chunkSize, exceptionsPerArea, sectors);
        }

        /**
         * Reads {@code area} and passes its records on, a batch at a time, up to the terminator.
         *
         * @return how many records the area holds: fewer than {@link #exceptionsPerArea} when the
         *     table ends in it ({@link Batches#end} was called)
         * @throws TruncatedTableException when the area lies beyond the end of the COW
         * @throws IOException on a read error, or what the sink throws
         */
        int walk(long area, Batches sink) throws IOException {
            return walk(area, null, sink);
        }

        /**
         * As {@link #walk(long, Batches)}, the area's bytes from {@code ahead} when not null (it
         * must be at this area).
         */
        int walk(long area, AreaStream ahead, Batches sink) throws IOException {
            int epa = exceptionsPerArea;
            // CowAreaReader.areaFits, with the COW's size asked once rather than per area
            long location = CowFormat.areaLocation(epa, area);
            if (location <= 0 || Long.compareUnsigned(location, sectors / chunkSize) >= 0) {
                throw new TruncatedTableException(
                        area, location, location * chunkSize * 512, sectors << CowFormat.SECTOR_SHIFT);
            }
            ByteBuffer bytes = ahead == null ? null : ahead.next();
            if (bytes == null) {
                cow.read(location * chunkSize, buffer.clear());
                bytes = buffer.clear();
            }
            LongBuffer longs = bytes.asLongBuffer();
            for (int from = 0; from < epa; from += BATCH) {
                int batch = Math.min(BATCH, epa - from);
                longs.get(2 * from, fields, 0, 2 * batch);
                int count = batch;
                for (int i = 0; i < batch; i++) {
                    if (fields[2 * i + 1] == 0) {
                        count = i;
                        break;
                    }
                }
                if (count > 0) {
                    sink.records(area, from, fields, count);
                }
                if (count < batch) {
                    sink.end(area, from + count, bytes);
                    return from + count;
                }
            }
            return epa;
        }
    }
}
