package dev.snapstore.cow.tools;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.snapstore.cow.CowFormat;
import dev.snapstore.cow.CowHeader;
import dev.snapstore.spi.BlockDevice;
import dev.snapstore.spi.ChunkSize;
import dev.snapstore.spi.StoreException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.StringReader;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The dump readers and restore's checks as they were before they streamed (whole text, a regex
 * per line, a Jackson tree, a hash of every old chunk), kept word for word as the oracle that the
 * streaming ones must agree with (DumpReaderDifferentialTest).
 */
final class OldDumpReaders {

    private static final Pattern HEADER =
            Pattern.compile("header magic=0x([0-9a-fA-F]{1,8}) valid=(\\d+) version=(\\d+) chunk_size=(\\d+)");
    private static final Pattern EXCEPTION =
            Pattern.compile("exception area=(\\d+) index=(\\d+) old=(\\d+) new=(\\d+)");
    private static final Pattern END = Pattern.compile("end exceptions=(\\d+)");
    private static final BigInteger MAX_U64 = BigInteger.ONE.shiftLeft(64).subtract(BigInteger.ONE);
    private static final long MAX_U32 = 0xffff_ffffL;

    private OldDumpReaders() {}

    /** CowDump.parse as it was. */
    static CowDump parse(String text) throws DumpException {
        return text.stripLeading().startsWith("{") ? parseJson(text) : parseText(text);
    }

    static CowDump parseText(String text) throws DumpException {
        CowHeader header = null;
        List<DumpRecord> records = new ArrayList<>();
        boolean sawMagic = false;
        Long end = null;
        int number = 0;
        try (BufferedReader reader = new BufferedReader(new StringReader(text))) {
            for (String raw = reader.readLine(); raw != null; raw = reader.readLine()) {
                number++;
                String line = raw.strip();
                if (line.isEmpty() || line.startsWith("#")) {
                    continue;
                }
                if (!sawMagic) {
                    if (!line.equals(DumpText.MAGIC_LINE)) {
                        throw bad(
                                number, "expected '" + DumpText.MAGIC_LINE + "' (is this a 'snapstore dump' output?)");
                    }
                    sawMagic = true;
                    continue;
                }
                if (end != null) {
                    throw bad(number, "text after the 'end' line");
                }
                Matcher m;
                if ((m = HEADER.matcher(line)).matches()) {
                    if (header != null) {
                        throw bad(number, "a second header line");
                    }
                    header = new CowHeader(
                            (int) Long.parseLong(m.group(1), 16),
                            u32(number, m.group(2)),
                            u32(number, m.group(3)),
                            u32(number, m.group(4)));
                } else if ((m = EXCEPTION.matcher(line)).matches()) {
                    if (header == null) {
                        throw bad(number, "an exception before the header line");
                    }
                    records.add(new DumpRecord(
                            u64(number, m.group(1)),
                            u64(number, m.group(2)),
                            u64(number, m.group(3)),
                            u64(number, m.group(4))));
                } else if ((m = END.matcher(line)).matches()) {
                    end = u64(number, m.group(1));
                } else {
                    throw bad(number, "not a header, exception or end line: '" + abbreviate(line) + "'");
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException(e); // a StringReader does not fail
        }
        if (!sawMagic || header == null) {
            throw new DumpException("the dump has no header line (is this a 'snapstore dump' output?)");
        }
        if (end == null) {
            throw new DumpException("the dump has no 'end exceptions=N' line: it is truncated");
        }
        if (end != records.size()) {
            throw new DumpException("the dump's end line says " + end + " exceptions but it lists " + records.size());
        }
        return new CowDump(header, records);
    }

    private static String abbreviate(String line) {
        return line.length() > 60 ? line.substring(0, 60) + "..." : line;
    }

    private static DumpException bad(int line, String why) {
        return new DumpException("dump line " + line + ": " + why);
    }

    private static int u32(int line, String digits) throws DumpException {
        long v;
        try {
            v = Long.parseLong(digits);
        } catch (NumberFormatException e) {
            v = -1;
        }
        if (v < 0 || v > MAX_U32) {
            throw bad(line, digits + " does not fit an unsigned 32-bit header word");
        }
        return (int) v;
    }

    private static long u64(int line, String digits) throws DumpException {
        BigInteger v = new BigInteger(digits);
        if (v.compareTo(MAX_U64) > 0) {
            throw bad(line, digits + " does not fit an unsigned 64-bit number");
        }
        return v.longValue();
    }

    static CowDump parseJson(String text) throws DumpException {
        JsonNode root;
        try {
            root = ToolJson.MAPPER.readTree(text);
        } catch (JsonProcessingException e) {
            throw new DumpException("the dump is not valid JSON (line "
                    + e.getLocation().getLineNr() + ": " + e.getOriginalMessage() + ")");
        }
        if (!root.path("format").asText().equals(DumpJson.FORMAT)
                || root.path("formatVersion").asInt() != DumpJson.FORMAT_VERSION) {
            throw new DumpException(
                    "the JSON is not a 'snapstore dump --json' output (format snapstore-cow-dump, formatVersion 1)");
        }
        JsonNode h = root.path("header");
        CowHeader header =
                new CowHeader(u32json(h, "magic"), u32json(h, "valid"), u32json(h, "version"), u32json(h, "chunkSize"));
        JsonNode list = root.path("exceptions");
        if (!list.isArray()) {
            throw new DumpException("the JSON dump has no 'exceptions' array");
        }
        List<DumpRecord> records = new ArrayList<>();
        for (JsonNode e : list) {
            records.add(new DumpRecord(
                    u64json(e, "area"), u64json(e, "index"), u64json(e, "oldChunk"), u64json(e, "newChunk")));
        }
        if (!root.path("count").canConvertToLong() || root.path("count").asLong() != records.size()) {
            throw new DumpException("the JSON dump's count does not match its " + records.size() + " exceptions");
        }
        return new CowDump(header, records);
    }

    private static int u32json(JsonNode node, String field) throws DumpException {
        JsonNode v = node.path(field);
        if (!v.isIntegralNumber()
                || v.bigIntegerValue().signum() < 0
                || v.bigIntegerValue().compareTo(BigInteger.valueOf(MAX_U32)) > 0) {
            throw new DumpException("JSON header field '" + field + "' must be an unsigned 32-bit integer");
        }
        return (int) v.longValue();
    }

    private static long u64json(JsonNode node, String field) throws DumpException {
        JsonNode v = node.path(field);
        if (!v.isIntegralNumber()
                || v.bigIntegerValue().signum() < 0
                || v.bigIntegerValue().compareTo(MAX_U64) > 0) {
            throw new DumpException(
                    "JSON exception field '" + field + "' must be an unsigned 64-bit integer, in " + node);
        }
        return v.bigIntegerValue().longValue();
    }

    static int plan(CowDump dump, BlockDevice cow) throws DumpException {
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
        List<DumpRecord> records = dump.records();
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
        return (int) areas;
    }

    /**
     * Runs the check's rules over the records. The first record that breaks one of restore's
     * first rules (table order, new chunk not the header, not metadata, on the COW, increasing) is
     * named at once; a repeated origin chunk only once those passed, and the check's remaining
     * findings (a gap in the allocation order) last, so that a dump keeps the refusal it always had.
     */
    private static void checkRecords(List<DumpRecord> records, int epa, int chunkSize, long chunks, String cowName)
            throws DumpException {
        List<Finding> found = new ArrayList<>();
        TableChecker checker = new TableChecker(chunkSize, chunks, -1, chunk -> true, found::add);
        long previous = CowFormat.NUM_SNAPSHOT_HDR_CHUNKS;
        long duplicateOld = 0;
        long duplicateAt = -1;
        DumpException deferred = null;
        for (int n = 0; n < records.size(); n++) {
            DumpRecord r = records.get(n);
            long area = n / epa;
            long index = n % epa;
            String where = "exception " + n + " (area " + r.area() + " index " + r.index() + ")";
            if (r.area() != area || r.index() != index) {
                throw new DumpException(
                        where + " is out of table order: record " + n + " belongs at area " + area + " index " + index);
            }
            found.clear();
            checker.record(r);
            for (Finding f : found) {
                if (f.kind() == Finding.Kind.DUPLICATE_ORIGIN_CHUNK) {
                    // The smallest repeated chunk (as a signed long) is named, whatever its place.
                    if (duplicateAt < 0 || r.oldChunk() < duplicateOld) {
                        duplicateOld = r.oldChunk();
                        duplicateAt = n;
                    }
                    continue;
                }
                DumpException refusal = refusal(f, where, r.newChunk(), previous, chunks, cowName);
                if (refusal != null) {
                    throw refusal;
                }
                if (deferred == null) {
                    deferred = new DumpException(where + ": " + f.kind().word() + ": " + f.message());
                }
            }
            previous = r.newChunk();
        }
        if (duplicateAt >= 0) {
            throw new DumpException("exceptions " + checker.firstHolder(duplicateOld) + " and " + duplicateAt
                    + " both hold origin chunk " + Long.toUnsignedString(duplicateOld)
                    + " (the kernel never gives a chunk two exceptions)");
        }
        if (deferred != null) {
            throw deferred;
        }
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
}
