package dev.snapstore.cow.tools;

import dev.snapstore.cow.CowFormat;
import dev.snapstore.cow.CowHeader;
import dev.snapstore.spi.BlockDevice;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;

/**
 * The offline check of a persistent COW, like {@code thin_check}: read-only, each problem a
 * {@link Finding} with its kind and place. It checks the header's version and valid flag, then
 * walks the table as the kernel loads it and checks every record: new chunk not the header, not a
 * metadata area, on the COW, the one the kernel would have allocated next; old chunk not mapped
 * twice and, when the origin's size is known, on the origin; nothing after the terminator; no
 * area missing. Memory is bounded by the origin (a bitmap of its chunks) or by 8 bytes per record,
 * whichever is smaller, not by a map of every record; the table is read twice.
 */
public final class CowCheck {

    /** How many findings a report lists by default; the count goes on past it. */
    public static final int MAX_LISTED = 1000;

    private CowCheck() {}

    /**
     * Checks a COW, listing at most {@link #MAX_LISTED} findings.
     *
     * @param cow the COW
     * @param header its header, with a usable magic and chunk size ({@link CowHeader#whyUndecodable()}
     *     empty); a header that is not cannot be checked
     * @param originSectors the origin's size in sectors, when known
     * @return the report
     * @throws IOException on a read error (a truncated table is a finding, not an error)
     */
    public static CheckReport check(BlockDevice cow, CowHeader header, OptionalLong originSectors) throws IOException {
        return check(cow, header, originSectors, MAX_LISTED);
    }

    /**
     * Checks a COW.
     *
     * @param cow the COW
     * @param header its header, with a usable magic and chunk size
     * @param originSectors the origin's size in sectors, when known
     * @param maxListed how many findings the report keeps (memory stays bounded by it)
     * @return the report
     * @throws IOException on a read error (a truncated table is a finding, not an error)
     */
    public static CheckReport check(BlockDevice cow, CowHeader header, OptionalLong originSectors, int maxListed)
            throws IOException {
        if (header.whyUndecodable().isPresent()) {
            throw new IllegalArgumentException("cannot check a COW whose header is unusable: "
                    + header.whyUndecodable().get());
        }
        List<Finding> listed = new ArrayList<>();
        long[] total = {0};
        TableChecker.header(header, f -> keep(f, listed, total, maxListed));
        int cs = header.chunkSize();
        long sectors = cow.sizeInSectors();
        long originChunks = originSectors.isPresent() ? (originSectors.getAsLong() + cs - 1) / cs : -1;
        // Two walks: the first finds the old chunks mapped twice with a bitmap or a sorted array
        // (RepeatedChunks), so that the second keeps first holders for those only.
        RepeatedChunks repeated = RepeatedChunks.scan(cow, cs, originChunks);
        TableChecker checker = new TableChecker(
                cs, sectors / cs, originChunks, repeated.predicate(), f -> keep(f, listed, total, maxListed));
        long exceptions;
        try {
            exceptions = CowTable.walk(cow, header, new CowTable.Visitor() {
                @Override
                public void record(DumpRecord record) {
                    checker.record(record);
                }

                @Override
                public void end(long area, int index, ByteBuffer areaBytes) {
                    checker.end(area, index, areaBytes);
                }
            });
        } catch (TruncatedTableException e) {
            checker.truncated(e);
            exceptions = checker.records();
        }
        return new CheckReport(header, sectors << CowFormat.SECTOR_SHIFT, exceptions, listed, total[0]);
    }

    private static void keep(Finding f, List<Finding> listed, long[] total, int maxListed) {
        if (listed.size() < maxListed) {
            listed.add(f);
        }
        total[0]++;
    }
}
