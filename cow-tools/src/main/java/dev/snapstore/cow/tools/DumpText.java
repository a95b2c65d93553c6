package dev.snapstore.cow.tools;

import dev.snapstore.cow.CowFormat;
import dev.snapstore.cow.CowHeader;
import dev.snapstore.spi.BlockDevice;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.MalformedInputException;

/**
 * The text dump format, like {@code thin_dump}'s, written and read:
 *
 * <pre>
 * snapstore-cow-dump 1
 * # COW cow.img, 8388608 bytes, 256 exceptions per area
 * header magic=0x70416e53 valid=1 version=1 chunk_size=8
 * exception area=0 index=0 old=3 new=2
 * ...
 * end exceptions=310
 * </pre>
 *
 * Lines starting with {@code #} are comments, blank lines are ignored, and chunk numbers are
 * unsigned decimal. A dump of a truncated table has no {@code end} line, so that it cannot be
 * read back.
 */
public final class DumpText {

    /** The first line of every text dump. */
    public static final String MAGIC_LINE = "snapstore-cow-dump 1";

    private DumpText() {}

    /**
     * Writes a text dump. The record lines are formatted as bytes into a 64 KiB buffer that goes
     * to {@code out} in one write when full (a table of 10 M records is half a gigabyte of text:
     * {@code System.out} alone would make a system call per line), so a caller that stops before
     * {@link #end} must {@link #flush()}. Not thread-safe.
     */
    public static final class Writer {

        private static final int BUFFER_BYTES = 1 << 16;

        private final PrintStream out;
        private final byte[] buffer = new byte[BUFFER_BYTES];
        private final RecordLines lines = RecordLines.text();
        private int size;

        /**
         * Creates a writer.
         *
         * @param out where the lines go
         */
        public Writer(PrintStream out) {
            this.out = out;
        }

        /**
         * The magic line, a comment naming the COW, and the header line.
         *
         * @param cow the COW's name, for the comment
         * @param cowBytes the COW's size in bytes, for the comment
         * @param header the header
         */
        public void begin(String cow, long cowBytes, CowHeader header) {
            flush();
            // Through the stream, in its charset: the COW's name need not be ASCII.
            out.println(MAGIC_LINE);
            out.println("# COW " + cow + ", " + cowBytes + " bytes, " + CowFormat.exceptionsPerArea(header.chunkSize())
                    + " exceptions per area");
            out.printf(
                    "header magic=0x%08x valid=%s version=%s chunk_size=%s%n",
                    header.magic(),
                    Integer.toUnsignedString(header.valid()),
                    Integer.toUnsignedString(header.version()),
                    Integer.toUnsignedString(header.chunkSize()));
        }

        /**
         * One record line.
         *
         * @param r the record
         */
        public void record(DumpRecord r) {
            record(r.area(), r.index(), r.oldChunk(), r.newChunk());
        }

        /**
         * One record line, from plain numbers.
         *
         * @param area the metadata area, printed signed (a walk never reaches 2^63 areas)
         * @param index the index within the area, printed signed
         * @param oldChunk the origin chunk, printed unsigned
         * @param newChunk the COW chunk, printed unsigned
         */
        public void record(long area, long index, long oldChunk, long newChunk) {
            if (size > BUFFER_BYTES - lines.maxRecordBytes()) {
                drain();
            }
            size = lines.line(buffer, size, area, index, oldChunk, newChunk);
        }

        /**
         * The end line, then a {@link #flush()}.
         *
         * @param count how many records were written
         */
        public void end(long count) {
            drain();
            out.println("end exceptions=" + count);
            flush();
        }

        /** Writes out the lines still in the buffer and flushes {@code out}. */
        public void flush() {
            drain();
            out.flush();
        }

        private void drain() {
            if (size > 0) {
                out.write(buffer, 0, size);
                size = 0;
            }
        }
    }

    /**
     * Dumps a COW's table as it walks it, the areas read and formatted on several threads
     * ({@link ParallelDump}) and written in order. When the walk fails, the records before the
     * failure are written and flushed, with no end line.
     *
     * @param out where the dump goes
     * @param cow the COW's name, for the comment
     * @param device the COW
     * @param header its header, with a usable magic and chunk size
     * @return how many records were dumped
     * @throws IOException as {@link CowTable#walk} throws
     */
    public static long write(PrintStream out, String cow, BlockDevice device, CowHeader header) throws IOException {
        Writer writer = new Writer(out);
        writer.begin(cow, device.sizeInSectors() << CowFormat.SECTOR_SHIFT, header);
        long count;
        try {
            count = ParallelDump.walk(device, header.chunkSize(), RecordLines::text, out);
        } finally {
            out.flush();
        }
        writer.end(count);
        return count;
    }

    /**
     * Writes a dump held in memory.
     *
     * @param out where the dump goes
     * @param cow the COW's name, for the comment
     * @param cowBytes the COW's size, for the comment
     * @param dump the dump
     */
    public static void write(PrintStream out, String cow, long cowBytes, CowDump dump) {
        Writer writer = new Writer(out);
        writer.begin(cow, cowBytes, dump.header());
        dump.records().forEach(writer::record);
        writer.end(dump.records().size());
    }

    /**
     * Reads a text dump. The records keep the places the dump gives them; whether those are in
     * table order is {@link CowRestore#plan}'s question.
     *
     * @param text the whole dump
     * @return the dump
     * @throws DumpException when a line is not part of the format, a number does not fit, or the
     *     header or end line is missing or does not match
     */
    public static CowDump parse(String text) throws DumpException {
        return TextDumpReader.parse(text);
    }

    /**
     * Reads a text dump from a stream of UTF-8, to its end (even past a line it refuses), without
     * holding its text: the same records and the same refusals as {@link #parse} of the decoded
     * text, in some 16 bytes a record.
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
        return TextDumpReader.read(in, CowDump.strict(malformed));
    }
}
