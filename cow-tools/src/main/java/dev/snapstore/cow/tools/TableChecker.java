package dev.snapstore.cow.tools;

import dev.snapstore.cow.CowFormat;
import dev.snapstore.cow.CowHeader;
import dev.snapstore.cow.CowRecord;
import java.nio.ByteBuffer;
import java.util.function.Consumer;
import java.util.function.LongPredicate;

/**
 * The check's rules, in one place for both callers: {@link CowCheck} runs them over a COW's table
 * and {@link CowRestore} over a dump's records, so that a restore never writes what the check
 * would flag. Records must arrive in table order. Not thread-safe.
 */
final class TableChecker {

    /** For the constructor's {@code mayRepeat}: no old chunk repeats, so none is remembered. */
    static final LongPredicate REMEMBER_NONE = chunk -> false;

    private final int chunkSize;
    private final int epa;
    private final long cowChunks;
    private final long originChunks;
    private final Consumer<Finding> sink;
    // old chunk -> number of the first record holding it, in primitive arrays; only for the chunks
    // that may repeat (CowCheck's second walk), none on its first walk and on restore's
    private final ChunkIndex seen = new ChunkIndex();
    private final LongPredicate mayRepeat;
    private final boolean rememberAny;
    private final int stride;
    // the chunk the kernel would allocate next, and its remainder modulo the stride
    private long expected;
    private int expectedPhase;
    private long records;

    /**
     * @param chunkSize the chunk size in sectors
     * @param cowChunks whole chunks on the COW
     * @param originChunks chunks on the origin, or -1 when unknown
     * @param mayRepeat the old chunks that may be mapped more than once: only those are remembered
     * @param sink receives the findings
     */
    TableChecker(int chunkSize, long cowChunks, long originChunks, LongPredicate mayRepeat, Consumer<Finding> sink) {
        this.mayRepeat = mayRepeat;
        this.rememberAny = mayRepeat != REMEMBER_NONE;
        this.chunkSize = chunkSize;
        this.epa = CowFormat.exceptionsPerArea(chunkSize);
        this.cowChunks = cowChunks;
        this.originChunks = originChunks;
        this.sink = sink;
        this.stride = epa + 1;
        expect(CowFormat.skipMetadata(epa, CowFormat.NUM_SNAPSHOT_HDR_CHUNKS + 1));
    }

    /** The header's version and valid flag. */
    static void header(CowHeader header, Consumer<Finding> sink) {
        if (header.version() != CowFormat.SNAPSHOT_DISK_VERSION) {
            sink.accept(new Finding(
                    Finding.Kind.VERSION,
                    Finding.NONE,
                    Finding.NONE,
                    8,
                    "unable to handle snapshot disk version " + header.version() + " (the kernel refuses to load it)"));
        }
        if (header.valid() == 0) {
            sink.accept(new Finding(
                    Finding.Kind.INVALID,
                    Finding.NONE,
                    Finding.NONE,
                    4,
                    "snapshot marked invalid (valid=0): the"
                            + " kernel loads it without reading its exceptions and fails all snapshot I/O"));
        }
    }

    /** @return how many records were checked */
    long records() {
        return records;
    }

    /**
     * @param oldChunk an origin chunk
     * @return the number (from 0, in table order) of the first record holding it, or -1
     */
    long firstHolder(long oldChunk) {
        return seen.get(oldChunk);
    }

    /** One record of the table, not its terminator. */
    void record(DumpRecord r) {
        record(r.area(), r.index(), r.oldChunk(), r.newChunk());
    }

    /**
     * One record of the table, not its terminator, as plain numbers: the check's walk calls this
     * once per record, so a record the kernel would have written costs a few comparisons and
     * allocates nothing; the findings are built only for what is wrong.
     *
     * @param area the metadata area
     * @param index the index within the area
     * @param oldChunk the origin chunk
     * @param newChunk the COW chunk
     */
    void record(long area, long index, long oldChunk, long newChunk) {
        // expected is never a metadata chunk (skipMetadata), so a non-zero newChunk that is the
        // expected one and lies on the COW passes the first three rules.
        boolean inOrder = newChunk == expected && newChunk != 0 && Long.compareUnsigned(newChunk, cowChunks) < 0;
        if (!inOrder) {
            newChunkFindings(area, index, oldChunk, newChunk);
        }
        long first = rememberAny && mayRepeat.test(oldChunk) ? seen.putIfAbsent(oldChunk, records) : -1;
        if (first >= 0) {
            sink.accept(new Finding(
                    Finding.Kind.DUPLICATE_ORIGIN_CHUNK,
                    area,
                    index,
                    offset(area, index),
                    "old chunk " + Long.toUnsignedString(oldChunk) + " already mapped at area " + first / epa
                            + " index " + first % epa));
        }
        if (originChunks >= 0 && Long.compareUnsigned(oldChunk, originChunks) >= 0) {
            sink.accept(new Finding(
                    Finding.Kind.PAST_ORIGIN_END,
                    area,
                    index,
                    offset(area, index),
                    "old chunk " + Long.toUnsignedString(oldChunk) + " is past the end of the origin (" + originChunks
                            + " chunks)"));
        }
        if (inOrder) {
            // skipMetadata(epa, newChunk + 1) without a division: follow the cursor's place in the
            // stride (newChunk < cowChunks, so + 1 does not wrap).
            long next = newChunk + 1;
            int phase = expectedPhase + 1 == stride ? 0 : expectedPhase + 1;
            if (phase == CowFormat.NUM_SNAPSHOT_HDR_CHUNKS) {
                next++;
                phase++;
            }
            expected = next;
            expectedPhase = phase;
        } else {
            expect(CowFormat.skipMetadata(epa, newChunk + 1));
        }
        records++;
    }

    private void expect(long chunk) {
        expected = chunk;
        expectedPhase = (int) Long.remainderUnsigned(chunk, stride);
    }

    private long offset(long area, long index) {
        return CowFormat.areaLocation(epa, area) * ((long) chunkSize << CowFormat.SECTOR_SHIFT)
                + index * CowFormat.DISK_EXCEPTION_SIZE;
    }

    /** The rules on a new chunk that is not the one expected, in the order the check reports them. */
    private void newChunkFindings(long area, long index, long oldChunk, long newChunk) {
        long offset = offset(area, index);
        if (newChunk == 0) {
            // Only a dump can hold one: on a COW it ends the table (see end()).
            sink.accept(pointsAtHeader(area, index, offset, oldChunk));
        }
        if (CowFormat.isMetadataChunk(epa, newChunk)) {
            sink.accept(new Finding(
                    Finding.Kind.POINTS_AT_METADATA,
                    area,
                    index,
                    offset,
                    "new chunk " + Long.toUnsignedString(newChunk) + " is a metadata area"));
        } else if (Long.compareUnsigned(newChunk, cowChunks) >= 0) {
            sink.accept(new Finding(
                    Finding.Kind.PAST_END,
                    area,
                    index,
                    offset,
                    "new chunk " + Long.toUnsignedString(newChunk) + " is past the end of the COW (" + cowChunks
                            + " chunks)"));
        }
        if (newChunk != expected) {
            sink.accept(new Finding(
                    Finding.Kind.ALLOCATION_ORDER,
                    area,
                    index,
                    offset,
                    "new chunk " + Long.toUnsignedString(newChunk)
                            + " where the kernel would have allocated " + Long.toUnsignedString(expected)
                            + " (it allocates strictly increasing by 1, skipping metadata)"));
        }
    }

    private static Finding pointsAtHeader(long area, long index, long offset, long oldChunk) {
        return new Finding(
                Finding.Kind.POINTS_AT_HEADER,
                area,
                index,
                offset,
                "old chunk " + Long.toUnsignedString(oldChunk)
                        + " maps to new chunk 0, the header: the kernel reads this as the end of the table");
    }

    /** The terminator at {@code index} of {@code area}, and what follows it in the area. */
    void end(long area, int index, ByteBuffer areaBytes) {
        long areaOffset = CowFormat.areaLocation(epa, area) * ((long) chunkSize << CowFormat.SECTOR_SHIFT);
        CowRecord terminator = CowRecord.decode(areaBytes, index);
        if (terminator.oldChunk() != 0) {
            sink.accept(pointsAtHeader(
                    area, index, areaOffset + (long) index * CowFormat.DISK_EXCEPTION_SIZE, terminator.oldChunk()));
        }
        for (int j = index + 1; j < epa; j++) {
            CowRecord after = CowRecord.decode(areaBytes, j);
            if (!after.isZero()) {
                sink.accept(new Finding(
                        Finding.Kind.DATA_AFTER_TERMINATOR,
                        area,
                        j,
                        areaOffset + (long) j * CowFormat.DISK_EXCEPTION_SIZE,
                        "non-zero record (old "
                                + Long.toUnsignedString(after.oldChunk()) + ", new "
                                + Long.toUnsignedString(after.newChunk())
                                + ") after the end of the table at index " + index + "; the kernel ignores it"));
            }
        }
    }

    /** A table that runs into an area beyond the end of the COW. */
    void truncated(TruncatedTableException e) {
        long area = e.area();
        sink.accept(new Finding(
                Finding.Kind.TRUNCATED,
                area,
                Finding.NONE,
                e.byteOffset(),
                (area == 0 ? "the first" : "the previous area is full, so") + " metadata area " + area + " (chunk "
                        + Long.toUnsignedString(e.chunk()) + ") must exist, but it lies beyond the end of the COW ("
                        + e.cowBytes() + " bytes); the kernel fails the load"));
    }
}
