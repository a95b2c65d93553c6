package dev.snapstore.cow.tools;

import dev.snapstore.cow.CowFormat;
import dev.snapstore.cow.CowHeader;
import dev.snapstore.spi.BlockDevice;
import dev.snapstore.spi.ChunkSize;
import dev.snapstore.spi.StoreException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.OptionalLong;

/**
 * Writes a COW's metadata (the header chunk and the metadata areas) from a {@link CowDump}, as the
 * kernel would have left it: every area up to the one after the last full area, which the kernel
 * zeroes ahead of time. The data chunks are not touched.
 *
 * <p>{@link #plan} checks the whole dump against the COW first, so that a refused dump writes
 * nothing. It refuses every dump whose table {@link CowCheck} would flag on the restored COW, by
 * running the check's own rules over the records; the one finding it lets through is
 * {@link Finding.Kind#INVALID}, the valid flag 0 that the kernel itself writes when a snapshot
 * overflows, so that the dump of an invalidated snapshot restores as it was.
 */
public final class CowRestore {

    /**
     * A dump that fits a COW, ready to write.
     *
     * @param dump the dump
     * @param areas how many metadata areas {@link #write} writes
     */
    public record Plan(CowDump dump, int areas) {}

    private CowRestore() {}

    /**
     * Checks a dump against the COW it is to be written to.
     *
     * @param dump the dump
     * @param cow the COW (its size and name are read, nothing else)
     * @return the plan
     * @throws DumpException naming the first problem: a magic or chunk size the kernel rejects, a
     *     header or record the check would flag, records out of table order, or a COW too small
     *     for the metadata areas
     */
    public static Plan plan(CowDump dump, BlockDevice cow) throws DumpException {
        CowHeader h = dump.header();
        if (!h.hasMagic()) {
            throw new DumpException("the dump's header magic is 0x" + String.format("%08x", h.magic())
                    + ", not the kernel's 0x" + String.format("%08x", CowFormat.SNAP_MAGIC));
        }
        try {
            ChunkSize.validate(Integer.toUnsignedLong(h.chunkSize()), ChunkSize.SECTOR_SIZE, ChunkSize.SECTOR_SIZE);
        } catch (StoreException e) {
            throw new DumpException(
                    "the dump's chunk size " + Integer.toUnsignedString(h.chunkSize()) + ": " + e.getMessage());
        }
        int epa = CowFormat.exceptionsPerArea(h.chunkSize());
        long chunks = cow.sizeInSectors() / h.chunkSize();
        DumpRecords records = dump.compact();
        long areas = records.size() / epa + 1; // the kernel keeps the area after a full one zeroed
        long lastArea = CowFormat.areaLocation(epa, areas - 1);
        if (chunks < 1 || Long.compareUnsigned(lastArea, chunks) >= 0) {
            throw new DumpException("the dump's " + records.size() + " exceptions need metadata areas up to chunk "
                    + Long.toUnsignedString(lastArea) + ", but " + cow.name() + " has only " + chunks + " chunks of "
                    + h.chunkSize() + " sectors");
        }
        checkRecords(records, epa, h.chunkSize(), chunks, cow.name());
        List<Finding> headerFindings = new ArrayList<>();
        TableChecker.header(h, headerFindings::add);
        for (Finding f : headerFindings) {
            if (f.kind() != Finding.Kind.INVALID) {
                throw new DumpException("the dump's " + f.line());
            }
        }
        return new Plan(dump, (int) areas);
    }

    /**
     * Runs the check's rules over the records. The first record that breaks one of restore's
     * first rules (table order, new chunk not the header, not metadata, on the COW, increasing) is
     * named at once; a repeated origin chunk only once those passed, and the check's remaining
     * findings (a gap in the allocation order) last, so that a dump keeps the refusal it always had.
     * The records are read from their compact form, and the repeated origin chunks are found
     * without a map of every record ({@link RepeatedChunks#smallestRepeated}).
     */
    private static void checkRecords(DumpRecords records, int epa, int chunkSize, long chunks, String cowName)
            throws DumpException {
        List<Finding> found = new ArrayList<>();
        TableChecker checker = new TableChecker(chunkSize, chunks, -1, TableChecker.REMEMBER_NONE, found::add);
        long previous = CowFormat.NUM_SNAPSHOT_HDR_CHUNKS;
        DumpException deferred = null;
        int size = records.size();
        int byPosition = records.placesPerArea();
        int moved = 0;
        long area = 0;
        long index = 0;
        for (int n = 0; n < size; n++) {
            long recordArea;
            long recordIndex;
            if (moved < records.moved() && records.movedAt(moved) == n) {
                recordArea = records.movedArea(moved);
                recordIndex = records.movedIndex(moved);
                moved++;
            } else if (byPosition == epa) {
                recordArea = area;
                recordIndex = index;
            } else {
                recordArea = n / byPosition;
                recordIndex = n % byPosition;
            }
            if (recordArea != area || recordIndex != index) {
                throw new DumpException(where(n, recordArea, recordIndex) + " is out of table order: record " + n
                        + " belongs at area " + area + " index " + index);
            }
            long newChunk = records.newChunk(n);
            checker.record(area, index, records.oldChunk(n), newChunk);
            if (!found.isEmpty()) {
                String where = where(n, area, index);
                for (Finding f : found) {
                    DumpException refusal = refusal(f, where, newChunk, previous, chunks, cowName);
                    if (refusal != null) {
                        throw refusal;
                    }
                    if (deferred == null) {
                        deferred = new DumpException(where + ": " + f.kind().word() + ": " + f.message());
                    }
                }
                found.clear();
            }
            previous = newChunk;
            if (++index == epa) {
                index = 0;
                area++;
            }
        }
        OptionalLong repeated = RepeatedChunks.smallestRepeated(records);
        if (repeated.isPresent()) {
            // The smallest repeated chunk (as a signed long) is named, with its first two holders.
            long chunk = repeated.getAsLong();
            int first = -1;
            int second = -1;
            for (int n = 0; second < 0; n++) {
                if (records.oldChunk(n) == chunk) {
                    if (first < 0) {
                        first = n;
                    } else {
                        second = n;
                    }
                }
            }
            throw new DumpException("exceptions " + first + " and " + second + " both hold origin chunk "
                    + Long.toUnsignedString(chunk) + " (the kernel never gives a chunk two exceptions)");
        }
        if (deferred != null) {
            throw deferred;
        }
    }

    private static String where(int n, long area, long index) {
        return "exception " + n + " (area " + area + " index " + index + ")";
    }

    /** Restore's own wording of a finding it always refused, or null for one the check adds. */
    private static DumpException refusal(
            Finding f, String where, long newChunk, long previous, long chunks, String cowName) {
        String chunk = Long.toUnsignedString(newChunk);
        return switch (f.kind()) {
            case POINTS_AT_HEADER ->
                new DumpException(where + " has new chunk 0 (the header), which would end the table");
            case POINTS_AT_METADATA ->
                new DumpException(where + " has new chunk " + chunk + ", which is a metadata area");
            case PAST_END ->
                new DumpException(where + " has new chunk " + chunk + ", past the end of " + cowName + " (" + chunks
                        + " chunks)");
            case ALLOCATION_ORDER ->
                Long.compareUnsigned(newChunk, previous) <= 0
                        ? new DumpException(where + " has new chunk " + chunk + ", not after the previous record's "
                                + Long.toUnsignedString(previous) + " (new chunks must be strictly increasing)")
                        : null;
            default -> null;
        };
    }

    /**
     * Writes the planned metadata so that an interruption at any point is visible: first the header
     * with the valid flag 0 (the kernel's "Invalid", which {@link CowCheck} flags), then a flush,
     * then each area, full or zero-padded, then a flush, and the dump's own header last, flushed
     * again. A COW whose restore was cut short is never reported clean, and the kernel refuses to
     * use it; running the restore again finishes it.
     *
     * @param plan the plan from {@link #plan}
     * @param cow the COW it was made for
     * @throws IOException when a write or a flush fails; the COW then says invalid, unless the
     *     final header write itself failed part-way (a sector is written whole or not at all)
     */
    public static void write(Plan plan, BlockDevice cow) throws IOException {
        CowHeader h = plan.dump().header();
        DumpRecords records = plan.dump().compact();
        int chunkSize = h.chunkSize();
        int epa = CowFormat.exceptionsPerArea(chunkSize);
        ByteBuffer chunk =
                ByteBuffer.allocate(chunkSize << CowFormat.SECTOR_SHIFT).order(ByteOrder.LITTLE_ENDIAN);
        CowHeader pending = new CowHeader(h.magic(), 0, h.version(), h.chunkSize());
        chunk.put(pending.encode()).clear();
        cow.write(0, chunk);
        cow.flush();
        for (int a = 0; a < plan.areas(); a++) {
            chunk.clear();
            Arrays.fill(chunk.array(), (byte) 0);
            long first = (long) a * epa;
            int count = (int) Math.min(epa, records.size() - first);
            for (int i = 0; i < count; i++) {
                // CowRecord's layout: old chunk, then new chunk, little-endian
                int n = (int) (first + i);
                chunk.putLong(i * CowFormat.DISK_EXCEPTION_SIZE, records.oldChunk(n));
                chunk.putLong(i * CowFormat.DISK_EXCEPTION_SIZE + 8, records.newChunk(n));
            }
            cow.write(CowFormat.areaLocation(epa, a) * chunkSize, chunk.clear());
        }
        cow.flush();
        chunk.clear();
        Arrays.fill(chunk.array(), (byte) 0);
        chunk.put(h.encode()).clear();
        cow.write(0, chunk);
        cow.flush();
    }
}
