package dev.snapstore.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.snapstore.cow.CowAreaReader;
import dev.snapstore.cow.CowFormat;
import dev.snapstore.cow.CowHeader;
import dev.snapstore.cow.CowRecord;
import dev.snapstore.spi.FileBlockDevice;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Option;
import org.apache.commons.cli.Options;

/**
 * {@code snapstore check}: an offline, read-only checker of a persistent COW, like
 * {@code thin_check}. Each finding names its kind and where it is (area, index, byte offset).
 *
 * <p>Exit 0: clean. Exit 1: findings. Exit 2: the image cannot be checked at all (missing, a
 * directory, smaller than a sector, or a header whose magic or chunk size cannot be decoded).
 */
final class CheckCommand implements Command {

    /** Stop listing findings after this many; the count still goes on. */
    static final int MAX_LISTED = 1000;

    /** One problem and where it is; {@code area}/{@code index} are -1 for the header. */
    record Finding(String kind, long area, long index, long offset, String message) {

        ObjectNode json() {
            ObjectNode node = Json.object().put("kind", kind);
            if (area >= 0) {
                node.put("area", area);
            }
            if (index >= 0) {
                node.put("index", index);
            }
            Json.putUnsigned(node, "offset", offset);
            return node.put("message", message);
        }

        String text() {
            String where = area < 0 ? "header" : index < 0 ? "area " + area : "area " + area + " index " + index;
            return where + " (byte offset " + Long.toUnsignedString(offset) + "): " + kind + ": " + message;
        }
    }

    @Override
    public String name() {
        return "check";
    }

    @Override
    public String synopsis() {
        return "--cow FILE [--origin FILE] [--json]";
    }

    @Override
    public String summary() {
        return "check a persistent COW's metadata offline (read-only); exit 1 when problems are found";
    }

    @Override
    public Options options() {
        return new Options()
                .addOption(Option.builder().longOpt("cow").hasArg().argName("FILE").required().desc("COW image or device").get())
                .addOption(Option.builder().longOpt("origin").hasArg().argName("FILE")
                        .desc("the origin, to check that every old chunk lies on it").get())
                .addOption(Option.builder().longOpt("json").desc("the findings as JSON").get());
    }

    @Override
    public String footer() {
        return "Finding kinds: version, invalid, points-at-header, points-at-metadata, past-end, duplicate-origin-chunk,"
                + " past-origin-end, allocation-order, data-after-terminator, truncated. JSON: {cow, cowBytes, header{magic,"
                + " valid, version, chunkSize}, exceptions, clean, problems[{kind, area, index, offset, message}]}."
                + " Exit 0 clean, 1 problems found, 2 not checkable (missing, directory, tiny, undecodable header).";
    }

    @Override
    public ExitStatus run(CommandLine line, Io io) throws CliException {
        Path path = Path.of(line.getOptionValue("cow"));
        Long originChunksSectors = line.hasOption("origin") ? originSectors(Path.of(line.getOptionValue("origin"))) : null;
        List<Finding> findings = new ArrayList<>();
        long exceptions;
        CowHeader header;
        long cowBytes;
        try (CowFile cow = CowFile.open(name(), path, false)) {
            header = cow.decodableHeader(name());
            cowBytes = cow.sizeInBytes();
            exceptions = check(cow, header, originChunksSectors, findings);
        }
        if (line.hasOption("json")) {
            ObjectNode root = Json.object().put("cow", path.toString()).put("cowBytes", cowBytes);
            root.putObject("header").put("magic", Integer.toUnsignedLong(header.magic()))
                    .put("valid", Integer.toUnsignedLong(header.valid())).put("version", Integer.toUnsignedLong(header.version()))
                    .put("chunkSize", Integer.toUnsignedLong(header.chunkSize()));
            root.put("exceptions", exceptions).put("clean", findings.isEmpty());
            ArrayNode problems = root.putArray("problems");
            findings.stream().limit(MAX_LISTED).forEach(f -> problems.add(f.json()));
            root.put("problemCount", findings.size());
            Json.print(io, root);
        } else {
            for (Finding f : findings.subList(0, Math.min(findings.size(), MAX_LISTED))) {
                io.out().println(f.text());
            }
            if (findings.size() > MAX_LISTED) {
                io.out().println("... and " + (findings.size() - MAX_LISTED) + " more");
            }
            io.out().println(path + ": " + exceptions + " exceptions, " + (findings.isEmpty() ? "clean"
                    : findings.size() + " problem" + (findings.size() == 1 ? "" : "s")));
        }
        return findings.isEmpty() ? ExitStatus.OK : ExitStatus.NO;
    }

    private long originSectors(Path origin) throws CliException {
        try (FileBlockDevice device = FileBlockDevice.open(origin, false)) {
            return device.sizeInSectors();
        } catch (IOException | RuntimeException e) {
            throw CliException.usage("check: cannot read the size of the origin " + origin + " (" + Arguments.describe(e) + ")");
        }
    }

    /** Checks everything after the decodable header; returns the number of exceptions in the table. */
    static long check(CowFile cow, CowHeader header, Long originSectors, List<Finding> findings) throws CliException {
        int cs = header.chunkSize();
        long chunkBytes = (long) cs << CowFormat.SECTOR_SHIFT;
        if (header.version() != CowFormat.SNAPSHOT_DISK_VERSION) {
            findings.add(new Finding("version", -1, -1, 8, "unable to handle snapshot disk version "
                    + header.version() + " (the kernel refuses to load it)"));
        }
        if (header.valid() == 0) {
            findings.add(new Finding("invalid", -1, -1, 4, "snapshot marked invalid (valid=0): the kernel loads it"
                    + " without reading its exceptions and fails all snapshot I/O"));
        }
        CowAreaReader reader = new CowAreaReader(cow.device(), cs);
        int epa = reader.exceptionsPerArea();
        long chunks = reader.chunks();
        long originChunks = originSectors == null ? -1 : (originSectors + cs - 1) / cs;
        Map<Long, String> seen = new HashMap<>();
        long expected = CowFormat.skipMetadata(epa, CowFormat.NUM_SNAPSHOT_HDR_CHUNKS + 1);
        long count = 0;
        try {
            for (long area = 0;; area++) {
                long location = CowFormat.areaLocation(epa, area);
                long areaOffset = location * chunkBytes;
                if (!reader.areaFits(area)) {
                    findings.add(new Finding("truncated", area, -1, areaOffset, (area == 0 ? "the first" : "the previous area is full, so")
                            + " metadata area " + area + " (chunk " + Long.toUnsignedString(location)
                            + ") must exist, but it lies beyond the end of the COW (" + cow.sizeInBytes()
                            + " bytes); the kernel fails the load"));
                    return count;
                }
                ByteBuffer buffer = reader.readArea(area);
                for (int i = 0; i < epa; i++) {
                    CowRecord r = CowRecord.decode(buffer, i);
                    long offset = areaOffset + (long) i * CowFormat.DISK_EXCEPTION_SIZE;
                    if (r.isTerminator()) {
                        if (r.oldChunk() != 0) {
                            findings.add(new Finding("points-at-header", area, i, offset, "old chunk "
                                    + Long.toUnsignedString(r.oldChunk()) + " maps to new chunk 0, the header: the kernel"
                                    + " reads this as the end of the table"));
                        }
                        for (int j = i + 1; j < epa; j++) {
                            CowRecord after = CowRecord.decode(buffer, j);
                            if (!after.isZero()) {
                                findings.add(new Finding("data-after-terminator", area, j, areaOffset + (long) j * CowFormat.DISK_EXCEPTION_SIZE,
                                        "non-zero record (old " + Long.toUnsignedString(after.oldChunk()) + ", new "
                                                + Long.toUnsignedString(after.newChunk()) + ") after the end of the table at index " + i
                                                + "; the kernel ignores it"));
                            }
                        }
                        return count;
                    }
                    count++;
                    checkRecord(r, area, i, offset, epa, chunks, originChunks, expected, seen, findings);
                    expected = CowFormat.skipMetadata(epa, r.newChunk() + 1);
                }
            }
        } catch (IOException e) {
            throw CliException.usage("check: " + cow.path() + ": cannot read the metadata (" + Arguments.describe(e) + ")");
        }
    }

    private static void checkRecord(CowRecord r, long area, int index, long offset, int epa, long chunks, long originChunks,
            long expected, Map<Long, String> seen, List<Finding> findings) {
        String newChunk = Long.toUnsignedString(r.newChunk());
        if (CowFormat.isMetadataChunk(epa, r.newChunk())) {
            findings.add(new Finding("points-at-metadata", area, index, offset, "new chunk " + newChunk + " is a metadata area"));
        } else if (Long.compareUnsigned(r.newChunk(), chunks) >= 0) {
            findings.add(new Finding("past-end", area, index, offset, "new chunk " + newChunk + " is past the end of the COW ("
                    + chunks + " chunks)"));
        }
        if (r.newChunk() != expected) {
            findings.add(new Finding("allocation-order", area, index, offset, "new chunk " + newChunk + " where the kernel would"
                    + " have allocated " + Long.toUnsignedString(expected) + " (it allocates strictly increasing by 1, skipping metadata)"));
        }
        String where = "area " + area + " index " + index;
        String first = seen.putIfAbsent(r.oldChunk(), where);
        if (first != null) {
            findings.add(new Finding("duplicate-origin-chunk", area, index, offset, "old chunk " + Long.toUnsignedString(r.oldChunk())
                    + " already mapped at " + first));
        }
        if (originChunks >= 0 && Long.compareUnsigned(r.oldChunk(), originChunks) >= 0) {
            findings.add(new Finding("past-origin-end", area, index, offset, "old chunk " + Long.toUnsignedString(r.oldChunk())
                    + " is past the end of the origin (" + originChunks + " chunks)"));
        }
    }
}
