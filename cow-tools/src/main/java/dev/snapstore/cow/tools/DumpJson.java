package dev.snapstore.cow.tools;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.SerializableString;
import com.fasterxml.jackson.core.io.SerializedString;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import dev.snapstore.cow.CowFormat;
import dev.snapstore.cow.CowHeader;
import dev.snapstore.spi.BlockDevice;
import java.io.BufferedOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.Serializable;
import java.math.BigInteger;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.MalformedInputException;

/**
 * The JSON dump format, written and read:
 * <code>{"format": "snapstore-cow-dump", "formatVersion": 1, "cow", "cowBytes", "header": {"magic",
 * "valid", "version", "chunkSize"}, "exceptionsPerArea", "exceptions": [{"area", "index",
 * "oldChunk", "newChunk"}], "count"}</code>, pretty-printed, numbers unsigned. A dump of a
 * truncated table stops inside the {@code exceptions} array, so that it is not a well-formed
 * document.
 */
public final class DumpJson {

    /** The {@code format} field's value. */
    public static final String FORMAT = "snapstore-cow-dump";
    /** The {@code formatVersion} field's value. */
    public static final int FORMAT_VERSION = 1;

    private DumpJson() {}

    /** Writes a JSON dump record by record, so that a table of any size streams out. Not thread-safe. */
    public static final class Writer implements Closeable {

        // Field names encoded once: the generator copies their bytes rather than checking each char.
        private static final SerializableString AREA = new SerializedString("area");
        private static final SerializableString INDEX = new SerializedString("index");
        private static final SerializableString OLD_CHUNK = new SerializedString("oldChunk");
        private static final SerializableString NEW_CHUNK = new SerializedString("newChunk");

        private final PrintStream out;
        private final JsonGenerator g;

        /**
         * Creates a writer; {@code out} is never closed by it.
         *
         * @param out where the JSON goes
         * @throws IOException when the generator cannot be made
         */
        public Writer(PrintStream out) throws IOException {
            this.out = out;
            // The generator's own buffer is 8000 bytes: this one makes fewer, larger writes to
            // out (System.out writes each through at once). A flush of the generator flushes it.
            this.g = ToolJson.MAPPER.getFactory().createGenerator(new BufferedOutputStream(out, 1 << 16));
            g.disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);
            // A truncated table must not end in a well-formed document.
            g.disable(JsonGenerator.Feature.AUTO_CLOSE_JSON_CONTENT);
            g.setPrettyPrinter(new BytePrettyPrinter());
        }

        /**
         * Everything before the first record.
         *
         * @param cow the COW's name
         * @param cowBytes the COW's size in bytes
         * @param header the header
         * @throws IOException when writing fails
         */
        public void begin(String cow, long cowBytes, CowHeader header) throws IOException {
            g.writeStartObject();
            g.writeStringField("format", FORMAT);
            g.writeNumberField("formatVersion", FORMAT_VERSION);
            g.writeStringField("cow", cow);
            g.writeNumberField("cowBytes", cowBytes);
            g.writeObjectFieldStart("header");
            g.writeNumberField("magic", Integer.toUnsignedLong(header.magic()));
            g.writeNumberField("valid", Integer.toUnsignedLong(header.valid()));
            g.writeNumberField("version", Integer.toUnsignedLong(header.version()));
            g.writeNumberField("chunkSize", Integer.toUnsignedLong(header.chunkSize()));
            g.writeEndObject();
            g.writeNumberField("exceptionsPerArea", CowFormat.exceptionsPerArea(header.chunkSize()));
            g.writeArrayFieldStart("exceptions");
        }

        /**
         * One record.
         *
         * @param r the record
         * @throws IOException when writing fails
         */
        public void record(DumpRecord r) throws IOException {
            record(r.area(), r.index(), r.oldChunk(), r.newChunk());
        }

        /**
         * One record, from plain numbers.
         *
         * @param area the metadata area, written signed (a walk never reaches 2^63 areas)
         * @param index the index within the area, written signed
         * @param oldChunk the origin chunk, written unsigned
         * @param newChunk the COW chunk, written unsigned
         * @throws IOException when writing fails
         */
        public void record(long area, long index, long oldChunk, long newChunk) throws IOException {
            g.writeStartObject();
            g.writeFieldName(AREA);
            g.writeNumber(area);
            g.writeFieldName(INDEX);
            g.writeNumber(index);
            g.writeFieldName(OLD_CHUNK);
            unsigned(oldChunk);
            g.writeFieldName(NEW_CHUNK);
            unsigned(newChunk);
            g.writeEndObject();
        }

        private void unsigned(long value) throws IOException {
            if (value >= 0) {
                g.writeNumber(value);
            } else {
                // the same digits as a long would give, were it unsigned
                g.writeNumber(new BigInteger(Long.toUnsignedString(value)));
            }
        }

        /**
         * Everything after the last record, then a line break.
         *
         * @param count how many records were written
         * @throws IOException when writing fails
         */
        public void end(long count) throws IOException {
            g.writeEndArray();
            g.writeNumberField("count", count);
            g.writeEndObject();
            g.flush();
            out.println();
        }

        /**
         * Pushes out what was written so far.
         *
         * @throws IOException when writing fails
         */
        public void flush() throws IOException {
            g.flush();
        }

        /** Flushes; leaves an unfinished document unfinished and {@code out} open. */
        @Override
        public void close() throws IOException {
            g.close();
        }
    }

    /**
     * Jackson's default pretty printer, writing its line breaks, indentation and separators as
     * bytes encoded once: the default one writes each as chars that the generator encodes one by
     * one, which was half of a 10 M record dump's time. The output is the same.
     */
    private static final class BytePrettyPrinter extends DefaultPrettyPrinter {

        private static final long serialVersionUID = 1L;
        private static final SerializableString FIELD_VALUE = new SerializedString(" : ");

        BytePrettyPrinter() {
            _objectIndenter = new LevelIndenter();
        }

        private BytePrettyPrinter(BytePrettyPrinter base) {
            super(base);
        }

        @Override
        public DefaultPrettyPrinter createInstance() {
            return new BytePrettyPrinter(this);
        }

        @Override
        public void writeObjectFieldValueSeparator(JsonGenerator g) throws IOException {
            g.writeRaw(FIELD_VALUE);
        }

        @Override
        public void writeObjectEntrySeparator(JsonGenerator g) throws IOException {
            g.writeRaw(',');
            _objectIndenter.writeIndentation(g, _nesting);
        }

        @Override
        public void writeArrayValueSeparator(JsonGenerator g) throws IOException {
            g.writeRaw(',');
            _arrayIndenter.writeIndentation(g, _nesting);
        }
    }

    /** {@link DefaultIndenter#SYSTEM_LINEFEED_INSTANCE}, with each level's bytes made once. */
    private static final class LevelIndenter implements DefaultPrettyPrinter.Indenter, Serializable {

        private static final long serialVersionUID = 1L;
        private static final SerializableString[] LEVELS = new SerializableString[16];

        static {
            for (int i = 0; i < LEVELS.length; i++) {
                LEVELS[i] = new SerializedString(System.lineSeparator() + "  ".repeat(i));
            }
        }

        @Override
        public void writeIndentation(JsonGenerator g, int level) throws IOException {
            if (level >= 0 && level < LEVELS.length) {
                g.writeRaw(LEVELS[level]);
            } else {
                DefaultIndenter.SYSTEM_LINEFEED_INSTANCE.writeIndentation(g, level);
            }
        }

        @Override
        public boolean isInline() {
            return false;
        }
    }

    /**
     * Dumps a COW's table as it walks it, the areas read and formatted on several threads
     * ({@link ParallelDump}) and written in order. When the walk fails, what was written is
     * flushed and the document stays unfinished. (A caller that must print nothing for a table
     * that fails part-way reads it first with {@link CowTable#count}, as {@code snapstore dump
     * --json} does.)
     *
     * @param out where the dump goes
     * @param cow the COW's name
     * @param device the COW
     * @param header its header, with a usable magic and chunk size
     * @return how many records were dumped
     * @throws IOException as {@link CowTable#walk} throws
     */
    public static long write(PrintStream out, String cow, BlockDevice device, CowHeader header) throws IOException {
        try (Writer writer = new Writer(out)) {
            writer.begin(cow, device.sizeInSectors() << CowFormat.SECTOR_SHIFT, header);
            // The records go straight to out, as the pretty printer would have written them; the
            // array's end is written the same whether the generator saw its elements or not.
            writer.flush();
            long count;
            try {
                count = ParallelDump.walk(device, header.chunkSize(), RecordLines::json, out);
            } finally {
                out.flush();
            }
            writer.end(count);
            return count;
        }
    }

    /**
     * Writes a dump held in memory.
     *
     * @param out where the dump goes
     * @param cow the COW's name
     * @param cowBytes the COW's size in bytes
     * @param dump the dump
     * @throws IOException when writing fails
     */
    public static void write(PrintStream out, String cow, long cowBytes, CowDump dump) throws IOException {
        try (Writer writer = new Writer(out)) {
            writer.begin(cow, cowBytes, dump.header());
            for (DumpRecord r : dump.records()) {
                writer.record(r);
            }
            writer.end(dump.records().size());
        }
    }

    /**
     * Reads a JSON dump. The records keep the places the dump gives them.
     *
     * @param text the whole dump
     * @return the dump
     * @throws DumpException when it is not JSON, not this format, a number does not fit, or the
     *     count does not match
     */
    public static CowDump parse(String text) throws DumpException {
        return JsonDumpReader.parse(text);
    }

    /**
     * Reads a JSON dump from a stream of UTF-8, to its end, with Jackson's streaming parser rather
     * than a tree of the whole document: the same records and the same refusals as {@link #parse}
     * of the decoded text, in some 16 bytes a record.
     *
     * @param in the dump; read to its end, not closed
     * @param malformed {@link CodingErrorAction#REPORT} to throw a {@link MalformedInputException},
     *     as {@code Files.readString} does, for a malformed UTF-8 sequence anywhere in the input, in
     *     preference to any refusal; {@link CodingErrorAction#REPLACE} to read it as U+FFFD, as
     *     {@code new String(bytes, UTF_8)} does
     * @return the dump
     * @throws DumpException as {@link #parse} throws
     * @throws IOException when reading fails, or on malformed UTF-8 under {@code REPORT}
     * @throws IllegalArgumentException for {@link CodingErrorAction#IGNORE}
     */
    public static CowDump read(InputStream in, CodingErrorAction malformed) throws DumpException, IOException {
        return JsonDumpReader.read(in, CowDump.strict(malformed));
    }
}
