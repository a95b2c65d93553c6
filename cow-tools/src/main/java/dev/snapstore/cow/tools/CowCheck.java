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
 * whichever is smaller, not by a map of every record; the table is read once, and a second time
 * only when an old chunk is mapped twice.
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
        long cowChunks = sectors / cs;
        // One walk checks every rule and notes which old chunks repeat (RepeatedChunks); only when
        // some do is the table walked again, remembering first holders for those chunks only, so
        // that a duplicate's finding can name its first holder. The second walk's findings replace
        // the first's (they are the same but for the duplicates).
        int headerListed = listed.size();
        long headerTotal = total[0];
        RepeatedChunks repeated = new RepeatedChunks(originChunks, cowChunks);
        TableChecker checker = new TableChecker(
                cs, cowChunks, originChunks, TableChecker.REMEMBER_NONE, f -> keep(f, listed, total, maxListed));
        walk(cow, cs, repeated, checker);
        repeated.finish();
        if (repeated.any()) {
            listed.subList(headerListed, listed.size()).clear();
            total[0] = headerTotal;
            checker = new TableChecker(
                    cs, cowChunks, originChunks, repeated.predicate(), f -> keep(f, listed, total, maxListed));
            walk(cow, cs, null, checker);
        }
        long exceptions = checker.records();
        return new CheckReport(header, sectors << CowFormat.SECTOR_SHIFT, exceptions, listed, total[0]);
    }

    /**
     * Walks the table ({@link CowTable#walk(BlockDevice, int, CowTable.Batches)}: areas in order
     * while they are full, up to the first record whose new chunk is 0) as plain {@code long}s.
     *
     * @param cow the COW
     * @param chunkSize its chunk size in sectors, usable
     * @param seen receives each record's old chunk, or null
     * @param checker receives each record, the end or the truncation (an area beyond the end of the
     *     COW), or null to stop quietly there
     */
    static void walk(BlockDevice cow, int chunkSize, RepeatedChunks seen, TableChecker checker) throws IOException {
        try {
            CowTable.walk(cow, chunkSize, new CowTable.Batches() {
                @Override
                public void records(long area, int from, long[] fields, int count) {
                    if (seen != null) {
                        seen.addAll(fields, count);
                    }
                    if (checker != null) {
                        for (int i = 0; i < count; i++) {
                            checker.record(area, from + i, fields[2 * i], fields[2 * i + 1]);
                        }
                    }
                }

                @Override
                public void end(long area, int index, ByteBuffer areaBytes) {
                    if (checker != null) {
                        checker.end(area, index, areaBytes);
                    }
                }
            });
        } catch (TruncatedTableException e) {
            // only the walk's own: neither sink throws
            if (checker != null) {
                checker.truncated(e);
            }
        }
    }

    private static void keep(Finding f, List<Finding> listed, long[] total, int maxListed) {
        if (listed.size() < maxListed) {
            listed.add(f);
        }
        total[0]++;
    }
}
