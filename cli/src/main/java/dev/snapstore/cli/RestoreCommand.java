package dev.snapstore.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.snapstore.cow.CowFormat;
import dev.snapstore.cow.CowHeader;
import dev.snapstore.cow.CowRecord;
import java.io.BufferedReader;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Option;
import org.apache.commons.cli.Options;

/**
 * {@code snapstore restore}: writes a COW's metadata (the header chunk and the metadata areas) from
 * a {@code dump} in text or JSON (detected), as the kernel would have left it: every area up to
 * the one after the last full area, which the kernel zeroes ahead of time. The data chunks are not
 * touched. The whole dump is checked against the COW before the first byte is written.
 */
final class RestoreCommand implements Command {

    private static final Pattern HEADER = Pattern.compile(
            "header magic=0x([0-9a-fA-F]{1,8}) valid=(\\d+) version=(\\d+) chunk_size=(\\d+)");
    private static final Pattern EXCEPTION = Pattern.compile("exception area=(\\d+) index=(\\d+) old=(\\d+) new=(\\d+)");
    private static final Pattern END = Pattern.compile("end exceptions=(\\d+)");
    private static final BigInteger MAX_U64 = BigInteger.ONE.shiftLeft(64).subtract(BigInteger.ONE);
    private static final long MAX_U32 = 0xffff_ffffL;

    /** One parsed dump: its header and its records with the position the dump gave them. */
    private record Dump(CowHeader header, List<long[]> records) {
    }

    @Override
    public String name() {
        return "restore";
    }

    @Override
    public String synopsis() {
        return "--input DUMP --cow FILE";
    }

    @Override
    public String summary() {
        return "rewrite a COW's header and metadata areas from a dump (text or JSON)";
    }

    @Override
    public Options options() {
        return new Options()
                .addOption(Option.builder().longOpt("input").hasArg().argName("DUMP").required()
                        .desc("a 'snapstore dump' output, text or JSON; '-' for standard input").get())
                .addOption(Option.builder().longOpt("cow").hasArg().argName("FILE").required()
                        .desc("the COW image or device to write; it must exist and be large enough").get());
    }

    @Override
    public String footer() {
        return "Refuses, writing nothing, a dump whose records do not fit the COW, whose new chunks are not"
                + " strictly increasing, or that point at the header or a metadata chunk.";
    }

    @Override
    public ExitStatus run(CommandLine line, Io io) throws CliException {
        String input = line.getOptionValue("input");
        String text = readInput(input, io);
        Dump dump = text.stripLeading().startsWith("{") ? parseJson(text) : parseText(text);
        try (CowFile cow = CowFile.open(name(), Path.of(line.getOptionValue("cow")), true)) {
            long[][] plan = validate(dump, cow);
            write(dump, cow, plan);
            io.out().println("restored " + dump.records().size() + " exceptions in " + plan.length + " metadata area"
                    + (plan.length == 1 ? "" : "s") + " onto " + cow.path());
            return ExitStatus.OK;
        }
    }

    private String readInput(String input, Io io) throws CliException {
        try {
            if (input.equals("-")) {
                return new String(io.in().readAllBytes(), StandardCharsets.UTF_8);
            }
            Path path = Path.of(input);
            if (Files.isDirectory(path)) {
                throw CliException.usage("restore: " + input + ": is a directory, not a dump");
            }
            return Files.readString(path, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw CliException.usage("restore: cannot read " + input + " (" + Arguments.describe(e) + ")");
        }
    }

    private Dump parseText(String text) throws CliException {
        CowHeader header = null;
        List<long[]> records = new ArrayList<>();
        boolean sawMagic = false;
        Long end = null;
        int number = 0;
        try (BufferedReader reader = new BufferedReader(new java.io.StringReader(text))) {
            for (String raw = reader.readLine(); raw != null; raw = reader.readLine()) {
                number++;
                String line = raw.strip();
                if (line.isEmpty() || line.startsWith("#")) {
                    continue;
                }
                if (!sawMagic) {
                    if (!line.equals(DumpCommand.MAGIC_LINE)) {
                        throw bad(number, "expected '" + DumpCommand.MAGIC_LINE + "' (is this a 'snapstore dump' output?)");
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
                    header = new CowHeader((int) Long.parseLong(m.group(1), 16), u32(number, m.group(2)), u32(number, m.group(3)),
                            u32(number, m.group(4)));
                } else if ((m = EXCEPTION.matcher(line)).matches()) {
                    if (header == null) {
                        throw bad(number, "an exception before the header line");
                    }
                    records.add(new long[] {u64(number, m.group(1)), u64(number, m.group(2)), u64(number, m.group(3)),
                            u64(number, m.group(4))});
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
            throw CliException.usage("restore: the dump has no header line (is this a 'snapstore dump' output?)");
        }
        if (end == null) {
            throw CliException.usage("restore: the dump has no 'end exceptions=N' line: it is truncated");
        }
        if (end != records.size()) {
            throw CliException.usage("restore: the dump's end line says " + end + " exceptions but it lists " + records.size());
        }
        return new Dump(header, records);
    }

    private static String abbreviate(String line) {
        return line.length() > 60 ? line.substring(0, 60) + "..." : line;
    }

    private static CliException bad(int line, String why) {
        return CliException.usage("restore: dump line " + line + ": " + why);
    }

    private static int u32(int line, String digits) throws CliException {
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

    private static long u64(int line, String digits) throws CliException {
        BigInteger v = new BigInteger(digits);
        if (v.compareTo(MAX_U64) > 0) {
            throw bad(line, digits + " does not fit an unsigned 64-bit number");
        }
        return v.longValue();
    }

    private Dump parseJson(String text) throws CliException {
        JsonNode root;
        try {
            root = Json.MAPPER.readTree(text);
        } catch (JsonProcessingException e) {
            throw CliException.usage("restore: the dump is not valid JSON (line " + e.getLocation().getLineNr() + ": "
                    + e.getOriginalMessage() + ")");
        }
        if (!root.path("format").asText().equals("snapstore-cow-dump") || root.path("formatVersion").asInt() != 1) {
            throw CliException.usage("restore: the JSON is not a 'snapstore dump --json' output (format snapstore-cow-dump, formatVersion 1)");
        }
        JsonNode h = root.path("header");
        CowHeader header = new CowHeader(jsonU32(h, "magic"), jsonU32(h, "valid"), jsonU32(h, "version"), jsonU32(h, "chunkSize"));
        JsonNode list = root.path("exceptions");
        if (!list.isArray()) {
            throw CliException.usage("restore: the JSON dump has no 'exceptions' array");
        }
        List<long[]> records = new ArrayList<>();
        for (JsonNode e : list) {
            records.add(new long[] {jsonU64(e, "area"), jsonU64(e, "index"), jsonU64(e, "oldChunk"), jsonU64(e, "newChunk")});
        }
        if (!root.path("count").canConvertToLong() || root.path("count").asLong() != records.size()) {
            throw CliException.usage("restore: the JSON dump's count does not match its " + records.size() + " exceptions");
        }
        return new Dump(header, records);
    }

    private static int jsonU32(JsonNode node, String field) throws CliException {
        JsonNode v = node.path(field);
        if (!v.isIntegralNumber() || v.bigIntegerValue().signum() < 0 || v.bigIntegerValue().compareTo(BigInteger.valueOf(MAX_U32)) > 0) {
            throw CliException.usage("restore: JSON header field '" + field + "' must be an unsigned 32-bit integer");
        }
        return (int) v.longValue();
    }

    private static long jsonU64(JsonNode node, String field) throws CliException {
        JsonNode v = node.path(field);
        if (!v.isIntegralNumber() || v.bigIntegerValue().signum() < 0 || v.bigIntegerValue().compareTo(MAX_U64) > 0) {
            throw CliException.usage("restore: JSON exception field '" + field + "' must be an unsigned 64-bit integer, in " + node);
        }
        return v.bigIntegerValue().longValue();
    }

    /**
     * Checks the whole dump against the COW; returns the areas to write, each as {first record, count}.
     */
    private long[][] validate(Dump dump, CowFile cow) throws CliException {
        CowHeader h = dump.header();
        if (!h.hasMagic()) {
            throw CliException.usage("restore: the dump's header magic is 0x" + String.format("%08x", h.magic()) + ", not the kernel's 0x"
                    + String.format("%08x", CowFormat.SNAP_MAGIC));
        }
        String chunkError = CowFile.chunkSizeError(h.chunkSize());
        if (chunkError != null) {
            throw CliException.usage("restore: the dump's chunk size " + Integer.toUnsignedString(h.chunkSize()) + ": " + chunkError);
        }
        int epa = CowFormat.exceptionsPerArea(h.chunkSize());
        long chunks = cow.device().sizeInSectors() / h.chunkSize();
        List<long[]> records = dump.records();
        long areas = records.size() / epa + 1; // the kernel keeps the area after a full one zeroed
        long lastArea = CowFormat.areaLocation(epa, areas - 1);
        if (chunks < 1 || Long.compareUnsigned(lastArea, chunks) >= 0) {
            throw CliException.usage("restore: the dump's " + records.size() + " exceptions need metadata areas up to chunk "
                    + Long.toUnsignedString(lastArea) + ", but " + cow.path() + " has only " + chunks + " chunks of "
                    + h.chunkSize() + " sectors");
        }
        long previous = CowFormat.NUM_SNAPSHOT_HDR_CHUNKS;
        for (int n = 0; n < records.size(); n++) {
            long[] r = records.get(n);
            long area = n / epa;
            long index = n % epa;
            String where = "exception " + n + " (area " + r[0] + " index " + r[1] + ")";
            if (r[0] != area || r[1] != index) {
                throw CliException.usage("restore: " + where + " is out of table order: record " + n + " belongs at area " + area
                        + " index " + index);
            }
            long newChunk = r[3];
            if (newChunk == 0) {
                throw CliException.usage("restore: " + where + " has new chunk 0 (the header), which would end the table");
            }
            if (CowFormat.isMetadataChunk(epa, newChunk)) {
                throw CliException.usage("restore: " + where + " has new chunk " + Long.toUnsignedString(newChunk)
                        + ", which is a metadata area");
            }
            if (Long.compareUnsigned(newChunk, chunks) >= 0) {
                throw CliException.usage("restore: " + where + " has new chunk " + Long.toUnsignedString(newChunk)
                        + ", past the end of " + cow.path() + " (" + chunks + " chunks)");
            }
            if (Long.compareUnsigned(newChunk, previous) <= 0) {
                throw CliException.usage("restore: " + where + " has new chunk " + Long.toUnsignedString(newChunk)
                        + ", not after the previous record's " + Long.toUnsignedString(previous) + " (new chunks must be strictly increasing)");
            }
            previous = newChunk;
        }
        refuseDuplicateOldChunks(records);
        long[][] plan = new long[(int) areas][];
        for (int a = 0; a < areas; a++) {
            long first = (long) a * epa;
            plan[a] = new long[] {first, Math.min(epa, records.size() - first)};
        }
        return plan;
    }

    /**
     * The kernel never gives an origin chunk two exceptions (a snapshot write to a chunk that has
     * one goes into it), and a table that did would make lookups depend on hash order. Sorting a
     * copy of the old chunks finds a repeat in O(n log n) with 8 bytes per record.
     */
    private static void refuseDuplicateOldChunks(List<long[]> records) throws CliException {
        long[] olds = new long[records.size()];
        for (int n = 0; n < olds.length; n++) {
            olds[n] = records.get(n)[2];
        }
        java.util.Arrays.sort(olds);
        for (int i = 1; i < olds.length; i++) {
            if (olds[i] == olds[i - 1]) {
                long old = olds[i];
                int first = -1;
                for (int n = 0; n < records.size(); n++) {
                    if (records.get(n)[2] == old) {
                        if (first >= 0) {
                            throw CliException.usage("restore: exceptions " + first + " and " + n + " both hold origin chunk "
                                    + Long.toUnsignedString(old) + " (the kernel never gives a chunk two exceptions)");
                        }
                        first = n;
                    }
                }
            }
        }
    }

    private static void write(Dump dump, CowFile cow, long[][] plan) throws CliException {
        CowHeader h = dump.header();
        int chunkSize = h.chunkSize();
        int chunkBytes = chunkSize << CowFormat.SECTOR_SHIFT;
        int epa = CowFormat.exceptionsPerArea(chunkSize);
        ByteBuffer chunk = ByteBuffer.allocate(chunkBytes).order(ByteOrder.LITTLE_ENDIAN);
        try {
            chunk.put(h.encode()).clear();
            cow.device().write(0, chunk);
            for (int a = 0; a < plan.length; a++) {
                chunk.clear();
                java.util.Arrays.fill(chunk.array(), (byte) 0);
                for (int i = 0; i < plan[a][1]; i++) {
                    long[] r = dump.records().get((int) (plan[a][0] + i));
                    new CowRecord(r[2], r[3]).encode(chunk, i);
                }
                cow.device().write(CowFormat.areaLocation(epa, a) * chunkSize, chunk.clear());
            }
            cow.device().flush();
        } catch (IOException e) {
            throw new CliException(ExitStatus.NO, "restore: writing " + cow.path() + " failed (" + Arguments.describe(e)
                    + "); its metadata may now be partly rewritten");
        }
    }
}
