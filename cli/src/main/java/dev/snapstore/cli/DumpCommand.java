package dev.snapstore.cli;

import com.fasterxml.jackson.core.JsonGenerator;
import dev.snapstore.cow.CowAreaReader;
import dev.snapstore.cow.CowFormat;
import dev.snapstore.cow.CowHeader;
import dev.snapstore.cow.CowRecord;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Option;
import org.apache.commons.cli.Options;

/**
 * {@code snapstore dump}: the header and every exception of a persistent COW in table order, like
 * {@code thin_dump}. The text format (read back by {@code restore}):
 *
 * <pre>
 * snapstore-cow-dump 1
 * header magic=0x70416e53 valid=1 version=1 chunk_size=8
 * exception area=0 index=0 old=3 new=2
 * ...
 * end exceptions=310
 * </pre>
 *
 * Lines starting with {@code #} are comments. Chunk numbers are unsigned decimal.
 */
final class DumpCommand implements Command {

    static final String MAGIC_LINE = "snapstore-cow-dump 1";

    @Override
    public String name() {
        return "dump";
    }

    @Override
    public String synopsis() {
        return "--cow FILE [--json]";
    }

    @Override
    public String summary() {
        return "print a persistent COW's header and exceptions in table order (read-only)";
    }

    @Override
    public Options options() {
        return new Options()
                .addOption(Option.builder().longOpt("cow").hasArg().argName("FILE").required().desc("COW image or device").get())
                .addOption(Option.builder().longOpt("json").desc("JSON instead of the text format").get());
    }

    @Override
    public String footer() {
        return "Text format: 'snapstore-cow-dump 1', 'header magic=0x70416e53 valid=V version=N chunk_size=CS',"
                + " one 'exception area=A index=I old=OLD new=NEW' per record in table order, 'end exceptions=COUNT'."
                + " JSON: {format, formatVersion, cow, cowBytes, header{magic, valid, version, chunkSize},"
                + " exceptionsPerArea, exceptions[{area, index, oldChunk, newChunk}], count}."
                + " 'snapstore restore' reads either back.";
    }

    /** Receives each record of the table in order. */
    interface RecordSink {
        void record(long area, int index, CowRecord record) throws IOException;
    }

    /**
     * Walks the table as {@code read_exceptions} does: area after area while areas are full, up to
     * the first record whose new chunk is 0.
     *
     * @param command the command, for messages
     * @param cow the image
     * @param header its decodable header
     * @param sink receives the records
     * @return how many records there were
     * @throws CliException (exit 2) when an area lies beyond the end of the image
     */
    static long walk(String command, CowFile cow, CowHeader header, RecordSink sink) throws CliException {
        CowAreaReader reader = new CowAreaReader(cow.device(), header.chunkSize());
        int epa = reader.exceptionsPerArea();
        long count = 0;
        try {
            for (long area = 0;; area++) {
                if (!reader.areaFits(area)) {
                    throw CliException.usage(command + ": " + cow.path() + ": truncated: metadata area " + area + " (chunk "
                            + Long.toUnsignedString(CowFormat.areaLocation(epa, area)) + ", byte offset "
                            + Long.toUnsignedString(CowFormat.areaLocation(epa, area) * header.chunkSize() * 512)
                            + ") lies beyond the end of the COW (" + cow.sizeInBytes() + " bytes)");
                }
                ByteBuffer buffer = reader.readArea(area);
                for (int i = 0; i < epa; i++) {
                    CowRecord record = CowRecord.decode(buffer, i);
                    if (record.isTerminator()) {
                        return count;
                    }
                    sink.record(area, i, record);
                    count++;
                }
            }
        } catch (IOException e) {
            throw CliException.usage(command + ": " + cow.path() + ": cannot read the metadata (" + Arguments.describe(e) + ")");
        }
    }

    @Override
    public ExitStatus run(CommandLine line, Io io) throws CliException {
        Path path = Path.of(line.getOptionValue("cow"));
        try (CowFile cow = CowFile.open(name(), path, false)) {
            CowHeader header = cow.decodableHeader(name());
            if (line.hasOption("json")) {
                return json(cow, header, io);
            }
            io.out().println(MAGIC_LINE);
            io.out().println("# COW " + path + ", " + cow.sizeInBytes() + " bytes, "
                    + CowFormat.exceptionsPerArea(header.chunkSize()) + " exceptions per area");
            io.out().printf("header magic=0x%08x valid=%s version=%s chunk_size=%s%n", header.magic(),
                    Integer.toUnsignedString(header.valid()), Integer.toUnsignedString(header.version()),
                    Integer.toUnsignedString(header.chunkSize()));
            long count = walk(name(), cow, header, (area, index, r) -> io.out().println("exception area=" + area + " index=" + index
                    + " old=" + Long.toUnsignedString(r.oldChunk()) + " new=" + Long.toUnsignedString(r.newChunk())));
            io.out().println("end exceptions=" + count);
            return ExitStatus.OK;
        }
    }

    private ExitStatus json(CowFile cow, CowHeader header, Io io) throws CliException {
        try (JsonGenerator g = Json.MAPPER.getFactory().createGenerator(io.out())) {
            g.disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);
            // A truncated table must not end in a well-formed document.
            g.disable(JsonGenerator.Feature.AUTO_CLOSE_JSON_CONTENT);
            g.useDefaultPrettyPrinter();
            g.writeStartObject();
            g.writeStringField("format", "snapstore-cow-dump");
            g.writeNumberField("formatVersion", 1);
            g.writeStringField("cow", cow.path().toString());
            g.writeNumberField("cowBytes", cow.sizeInBytes());
            g.writeObjectFieldStart("header");
            g.writeNumberField("magic", Integer.toUnsignedLong(header.magic()));
            g.writeNumberField("valid", Integer.toUnsignedLong(header.valid()));
            g.writeNumberField("version", Integer.toUnsignedLong(header.version()));
            g.writeNumberField("chunkSize", Integer.toUnsignedLong(header.chunkSize()));
            g.writeEndObject();
            g.writeNumberField("exceptionsPerArea", CowFormat.exceptionsPerArea(header.chunkSize()));
            g.writeArrayFieldStart("exceptions");
            long count;
            try {
                count = walk(name(), cow, header, (area, index, r) -> {
                    g.writeStartObject();
                    g.writeNumberField("area", area);
                    g.writeNumberField("index", index);
                    g.writeFieldName("oldChunk");
                    g.writeNumber(unsigned(r.oldChunk()));
                    g.writeFieldName("newChunk");
                    g.writeNumber(unsigned(r.newChunk()));
                    g.writeEndObject();
                });
            } finally {
                g.flush();
            }
            g.writeEndArray();
            g.writeNumberField("count", count);
            g.writeEndObject();
            g.flush();
            io.out().println();
            return ExitStatus.OK;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static BigInteger unsigned(long value) {
        return new BigInteger(Long.toUnsignedString(value));
    }
}
