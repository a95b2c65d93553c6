package dev.snapstore.cow.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.snapstore.cow.CowHeader;
import dev.snapstore.spi.MemoryBlockDevice;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

/**
 * The streaming dump readers and restore's checks against the old ones ({@link OldDumpReaders}):
 * on random dumps, well-formed and damaged (bad lines, comments, CRLF and lone CR, whitespace of
 * every kind, huge numbers, out-of-order places, odd JSON values, duplicate fields, truncation,
 * malformed UTF-8), both give the same dump or the same refusal, read from a String, from a stream
 * that trickles a few bytes a read, leniently (as stdin was) and strictly (as a file was).
 */
class DumpReaderDifferentialTest {

    /** What a reader made of a dump: the dump, or the refusal's class and message. */
    private interface Reader {
        CowDump read() throws Exception;
    }

    private static Object outcome(Reader reader) {
        try {
            return reader.read();
        } catch (Exception e) {
            return e.getClass().getSimpleName() + ": " + e.getMessage();
        }
    }

    /** A stream handing out 1 to 9 bytes a read, so that lines and sequences cross every boundary. */
    private static InputStream trickle(byte[] bytes, long seed) {
        Random random = new Random(seed);
        return new ByteArrayInputStream(bytes) {
            @Override
            public synchronized int read(byte[] b, int off, int len) {
                return super.read(b, off, Math.min(len, 1 + random.nextInt(9)));
            }
        };
    }

    /** What the old command did with a file: Files.readString (strict UTF-8), then the old parse. */
    private static Object oldFromFile(byte[] bytes) throws IOException {
        Path file = Files.createTempFile("dump", ".txt");
        try {
            Files.write(file, bytes);
            return outcome(() -> OldDumpReaders.parse(Files.readString(file)));
        } finally {
            Files.delete(file);
        }
    }

    private static void agree(String text, byte[] bytes, long seed) throws IOException {
        if (text != null) {
            assertEquals(outcome(() -> OldDumpReaders.parse(text)), outcome(() -> CowDump.parse(text)), text);
            if (text.stripLeading().startsWith("{")) {
                assertEquals(outcome(() -> OldDumpReaders.parseJson(text)), outcome(() -> DumpJson.parse(text)), text);
            } else {
                assertEquals(outcome(() -> OldDumpReaders.parseText(text)), outcome(() -> DumpText.parse(text)), text);
            }
        }
        String shown = new String(bytes, StandardCharsets.UTF_8);
        assertEquals(
                outcome(() -> OldDumpReaders.parse(new String(bytes, StandardCharsets.UTF_8))),
                outcome(() -> CowDump.read(trickle(bytes, seed), CodingErrorAction.REPLACE)),
                shown);
        assertEquals(
                oldFromFile(bytes), outcome(() -> CowDump.read(trickle(bytes, seed), CodingErrorAction.REPORT)), shown);
        assertEquals(
                oldFromFile(bytes),
                outcome(() -> CowDump.read(new ByteArrayInputStream(bytes), CodingErrorAction.REPORT)),
                shown);
    }

    // ---- text ----

    private static final String[] BLANKS = {
        "", " ", "\t", "\u000b", "\f", "\u001c", "\u001f", "\u3000", "\u00a0", "\u2003"
    };
    private static final String[] NUMBERS = {
        "0",
        "7",
        "007",
        "255",
        "9223372036854775807",
        "9223372036854775808",
        "18446744073709551615",
        "18446744073709551616",
        "99999999999999999999",
        "000000000000000000000000018446744073709551615",
        "1844674407370955161",
        "18446744073709551610",
        "18446744073709551620",
        "4294967295",
        "4294967296",
        ""
    };

    private static String pick(Random r, String[] options) {
        return options[r.nextInt(options.length)];
    }

    /** A third of the dumps are as the writer prints them, so that whole dumps are compared too. */
    private boolean clean;

    private String number(Random r) {
        return !clean && r.nextInt(3) == 0
                ? pick(r, NUMBERS)
                : Long.toUnsignedString(r.nextInt(4) == 0 ? r.nextLong() : r.nextInt(600));
    }

    private String pad(Random r, String line) {
        return !clean && r.nextInt(8) == 0 ? pick(r, BLANKS) + line + pick(r, BLANKS) : line;
    }

    private String textDump(Random r) {
        List<String> lines = new ArrayList<>();
        if (r.nextInt(20) != 0) {
            lines.add(pad(r, r.nextInt(30) == 0 ? "snapstore-cow-dump 2" : DumpText.MAGIC_LINE));
        }
        lines.add("# COW caf\u00e9 \u3000 " + r.nextInt());
        if (r.nextInt(15) != 0) {
            String cs = r.nextInt(10) == 0 ? number(r) : Integer.toString(1 << r.nextInt(6));
            lines.add(pad(
                    r,
                    "header magic=0x" + (r.nextInt(10) == 0 ? "123456789" : "70416e53") + " valid="
                            + (r.nextInt(10) == 0 ? number(r) : "1") + " version=1 chunk_size=" + cs));
        }
        int records = r.nextInt(4) == 0 ? r.nextInt(600) : r.nextInt(12);
        int epa = 256;
        for (int n = 0; n < records; n++) {
            String area = !clean && r.nextInt(40) == 0 ? number(r) : Integer.toString(n / epa);
            String index = !clean && r.nextInt(40) == 0 ? number(r) : Integer.toString(n % epa);
            String line = "exception area=" + area + " index=" + index + " old=" + number(r) + " new=" + number(r);
            switch (clean ? -1 : r.nextInt(60)) {
                case 0 -> line = line.replace("exception", "Exception");
                case 1 -> line = line.replace(" old", "  old");
                case 2 -> line = line + " x";
                case 3 -> line = line.replace("new=", "new=\u0663");
                case 4 -> line = "garbage \u00e9\u00e9 " + line + line;
                case 5 -> line = "";
                case 6 -> line = "# " + line;
                case 7 -> line = "end exceptions=" + n;
                case 8 -> line = line.substring(0, r.nextInt(line.length()));
                default -> {}
            }
            lines.add(pad(r, line));
        }
        if (r.nextInt(10) != 0) {
            lines.add(pad(r, "end exceptions=" + (r.nextInt(8) == 0 ? number(r) : Integer.toString(records))));
        }
        if (r.nextInt(15) == 0) {
            lines.add(r.nextBoolean() ? "after" : "header magic=0x70416e53 valid=1 version=1 chunk_size=8");
        }
        StringBuilder b = new StringBuilder();
        String[] ends = {"\n", "\n", "\n", "\r\n", "\r"};
        for (int i = 0; i < lines.size(); i++) {
            b.append(lines.get(i));
            if (i < lines.size() - 1 || r.nextInt(4) != 0) {
                b.append(r.nextInt(5) == 0 ? pick(r, ends) : "\n");
            }
        }
        return b.toString();
    }

    /** Damages a dump's bytes: a malformed UTF-8 sequence, a lone surrogate's bytes, or nothing. */
    private byte[] bytes(Random r, String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        if (clean || r.nextInt(3) != 0 || bytes.length == 0) {
            return bytes;
        }
        byte[][] bad = {
            {(byte) 0x80},
            {(byte) 0xe2, (byte) 0x82},
            {(byte) 0xe2},
            {(byte) 0xf0, (byte) 0x90, (byte) 0x80},
            {(byte) 0xed, (byte) 0xa0, (byte) 0x80},
            {(byte) 0xc0, (byte) 0x80},
            {(byte) 0xf4, (byte) 0x90, (byte) 0x80, (byte) 0x80},
            {(byte) 0xe0, (byte) 0x80},
            {(byte) 0xff},
            {(byte) 0xc2},
            {(byte) 0xf0}
        };
        byte[] insert = bad[r.nextInt(bad.length)];
        int at = r.nextInt(bytes.length + 1);
        byte[] out = new byte[bytes.length + insert.length];
        System.arraycopy(bytes, 0, out, 0, at);
        System.arraycopy(insert, 0, out, at, insert.length);
        System.arraycopy(bytes, at, out, at + insert.length, bytes.length - at);
        return out;
    }

    @Property(tries = 400)
    void textDumpsReadAsTheyAlwaysDid(@ForAll long seed) throws IOException {
        Random r = new Random(seed);
        clean = r.nextInt(3) == 0;
        String text = textDump(r);
        agree(text, bytes(r, text), seed);
    }

    @Test
    void aWrittenTextDumpOfSeveralBuffersReadsBack() throws IOException, DumpException {
        // more than the reader's 1 MiB buffer, so that a line and a CRLF straddle it
        Random r = new Random(5);
        List<DumpRecord> records = new ArrayList<>();
        for (int n = 0; n < 40_000; n++) {
            records.add(new DumpRecord(n / 256, n % 256, r.nextLong(), r.nextInt(3) == 0 ? -r.nextInt(9) : n + 2));
        }
        CowDump dump = new CowDump(CowHeader.of(1, 1, 8), records);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        DumpText.write(new PrintStream(out, false, StandardCharsets.UTF_8), "c\u00e9", 1 << 30, dump);
        String text = out.toString(StandardCharsets.UTF_8).replace("\n", "\r\n");
        assertTrue(text.length() > 2 << 20, () -> "only " + text.length());
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        assertEquals(dump, CowDump.read(new ByteArrayInputStream(bytes), CodingErrorAction.REPORT));
        agree(text, bytes, 5);
        agree(null, bytes(new Random(6), text), 6);
    }

    // ---- JSON ----

    private static final String[] ODD_VALUES = {
        "-1",
        "1.5",
        "1e3",
        "\"1\"",
        "null",
        "true",
        "18446744073709551616",
        "18446744073709551615",
        "{}",
        "[]",
        "-0",
        "9223372036854775808",
        "-9223372036854775809",
        "[1, {\"a\": 2}]",
        "\"caf\u00e9\""
    };

    private static String field(String name, String value, boolean pretty) {
        return "\"" + name + "\"" + (pretty ? " : " : ":") + value;
    }

    private String value(Random r, String normal) {
        return !clean && r.nextInt(25) == 0 ? pick(r, ODD_VALUES) : normal;
    }

    private String jsonRecord(Random r, int n, boolean pretty) {
        if (!clean && r.nextInt(80) == 0) {
            return pick(r, new String[] {"5", "null", "[1]", "\"s\"", "{}", "true"});
        }
        List<String> fields = new ArrayList<>();
        fields.add(field("area", value(r, Integer.toString(n / 256)), pretty));
        fields.add(field("index", value(r, Integer.toString(n % 256)), pretty));
        String old = number(r);
        fields.add(field(
                "oldChunk", value(r, old.isEmpty() || old.startsWith("0") && old.length() > 1 ? "3" : old), pretty));
        fields.add(field("newChunk", value(r, Long.toUnsignedString(n + 2L)), pretty));
        switch (clean ? -1 : r.nextInt(30)) {
            case 0 -> fields.remove(r.nextInt(fields.size()));
            case 1 -> fields.add(fields.get(r.nextInt(fields.size())).replaceAll("[0-9]+$", "77"));
            case 2 -> fields.add(r.nextInt(fields.size() + 1), field("x", value(r, "1"), pretty));
            case 3 -> Collections.shuffle(fields, r);
            case 4 -> fields.add(field("oldChunk", pick(r, ODD_VALUES), pretty));
            default -> {}
        }
        return "{" + String.join(pretty ? ",\n    " : ",", fields) + "}";
    }

    private String jsonDump(Random r) {
        boolean pretty = r.nextBoolean();
        int records = r.nextInt(4) == 0 ? r.nextInt(500) : r.nextInt(10);
        List<String> list = new ArrayList<>();
        for (int n = 0; n < records; n++) {
            list.add(jsonRecord(r, n, pretty));
        }
        String exceptions = field("exceptions", "[" + String.join(pretty ? ", " : ",", list) + "]", pretty);
        List<String> fields = new ArrayList<>();
        fields.add(field("format", !clean && r.nextInt(30) == 0 ? "\"other\"" : "\"snapstore-cow-dump\"", pretty));
        fields.add(field("formatVersion", !clean && r.nextInt(30) == 0 ? pick(r, ODD_VALUES) : "1", pretty));
        fields.add(field("cow", "\"c\u00e9\u3000\"", pretty));
        String chunkSize = !clean && r.nextInt(20) == 0 ? pick(r, ODD_VALUES) : Integer.toString(1 << r.nextInt(5));
        fields.add(field(
                "header",
                "{" + field("magic", value(r, "1883336275"), pretty) + "," + field("valid", value(r, "1"), pretty) + ","
                        + field("version", "1", pretty) + "," + field("chunkSize", chunkSize, pretty) + "}",
                pretty));
        fields.add(exceptions);
        fields.add(
                field("count", !clean && r.nextInt(20) == 0 ? pick(r, ODD_VALUES) : Integer.toString(records), pretty));
        switch (clean ? -1 : r.nextInt(12)) {
            case 0 -> fields.remove(r.nextInt(fields.size()));
            case 1 -> Collections.shuffle(fields, r);
            case 2 -> fields.add(field("exceptions", r.nextBoolean() ? "[]" : "5", pretty));
            case 3 -> fields.add(0, field("exceptions", "[{\"area\": -1}]", pretty));
            case 4 -> fields.add(field("header", "null", pretty));
            default -> {}
        }
        String doc = (r.nextInt(10) == 0 ? " \n\u3000" : "") + "{" + String.join(pretty ? ",\n  " : ",", fields) + "}";
        switch (clean ? -1 : r.nextInt(12)) {
            case 0 -> doc = doc.substring(0, r.nextInt(doc.length()));
            case 1 -> {
                int at = r.nextInt(doc.length());
                doc = doc.substring(0, at)
                        + pick(r, new String[] {"x", "}", "\u3000", ",", "\"", "\n"})
                        + doc.substring(at);
            }
            case 2 -> doc = doc + " trailing }";
            default -> {}
        }
        return doc + "\n";
    }

    @Property(tries = 400)
    void jsonDumpsReadAsTheyAlwaysDid(@ForAll long seed) throws IOException {
        Random r = new Random(seed);
        clean = r.nextInt(3) == 0;
        String json = jsonDump(r);
        agree(json, bytes(r, json), seed);
    }

    @Test
    void otherJsonDocumentsAreRefusedAsTheyWere() throws IOException {
        for (String json : new String[] {"", " ", "[1, 2]", "5", "\"s\"", "null", "[1,", "{", "{}", "{\"format\":"}) {
            assertEquals(outcome(() -> OldDumpReaders.parseJson(json)), outcome(() -> DumpJson.parse(json)), json);
            byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
            assertEquals(
                    outcome(() -> OldDumpReaders.parseJson(json)),
                    outcome(() -> DumpJson.read(trickle(bytes, 1), CodingErrorAction.REPORT)),
                    json);
        }
    }

    @Test
    void aWrittenJsonDumpOfManyPiecesReadsBack() throws IOException, DumpException {
        // past the UTF-8 reader's 32 KiB pieces, with multi-byte characters across their edges
        Random r = new Random(8);
        List<DumpRecord> records = new ArrayList<>();
        for (int n = 0; n < 5_000; n++) {
            records.add(new DumpRecord(n / 256, n % 256, r.nextLong(), n + 2));
        }
        CowDump dump = new CowDump(CowHeader.of(1, 1, 8), records);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        DumpJson.write(new PrintStream(out, false, StandardCharsets.UTF_8), "c\u00e9", 1 << 30, dump);
        String json = out.toString(StandardCharsets.UTF_8);
        assertEquals(
                dump,
                CowDump.read(
                        new ByteArrayInputStream(json.getBytes(StandardCharsets.UTF_8)), CodingErrorAction.REPORT));
        for (int i = 0; i < 20; i++) {
            // a multi-byte character, or a malformed sequence, somewhere in a long "cow" string
            String name = "\u00e9\u3000\ud83d\ude00".repeat(r.nextInt(30_000));
            String text = json.replace("\"c\u00e9\"", "\"" + name + "\"");
            agree(text, bytes(r, text), i);
        }
    }

    // ---- restore's checks ----

    @Property(tries = 300)
    void restoreRefusesAsItDid(@ForAll long seed) throws IOException {
        Random r = new Random(seed);
        int chunkSize = 1 << r.nextInt(2); // 32 or 64 records an area
        int epa = chunkSize * 32;
        boolean wide = r.nextBoolean(); // old chunks over all 64 bits: the sorted copy, not the bitmap
        List<DumpRecord> records = new ArrayList<>();
        int count = r.nextInt(4) == 0 ? r.nextInt(400) : r.nextInt(40);
        long next = 2;
        for (int n = 0; n < count; n++) {
            long old = wide ? r.nextLong() : r.nextInt(count + 5) - 2;
            if (n > 0 && r.nextInt(10) == 0) {
                old = records.get(r.nextInt(n)).oldChunk();
            }
            long chunk = r.nextInt(40) == 0 ? next + r.nextInt(3) - 1 : next;
            long area = r.nextInt(60) == 0 ? n / epa + 1 : n / epa;
            records.add(new DumpRecord(area, n % epa, old, chunk));
            next = chunk + 1;
            if (next % (epa + 1) == 1) {
                next++;
            }
        }
        CowHeader header = CowHeader.of(r.nextInt(20) == 0 ? 0 : 1, 1, chunkSize);
        CowDump dump = new CowDump(header, records);
        MemoryBlockDevice cow = new MemoryBlockDevice("cow.img", (long) (r.nextInt(4) == 0 ? 64 : 2048) * chunkSize);
        Object old = outcomeOf(() -> OldDumpReaders.plan(dump, cow));
        Object now = outcomeOf(() -> CowRestore.plan(dump, cow).areas());
        assertEquals(old, now, records::toString);
    }

    private interface Plan {
        int areas() throws Exception;
    }

    private static Object outcomeOf(Plan plan) {
        try {
            return plan.areas();
        } catch (Exception e) {
            return e.getMessage();
        }
    }

    // ---- the compact store ----

    @Test
    void aMillionRecordsTakeSixteenBytesEach() {
        DumpRecords records = new DumpRecords(256);
        for (int n = 0; n < 1_000_000; n++) {
            records.add(n / 256, n % 256, n * 3L, n + 2 + n / 256);
        }
        assertEquals(0, records.moved());
        double perRecord = (double) records.bytes() / records.size();
        assertTrue(perRecord < 16.6, () -> perRecord + " bytes a record");
        assertEquals(new DumpRecord(3906, 63, 2_999_997, 1_000_001 + 3906), records.get(999_999));
        CowDump dump = new CowDump(CowHeader.of(1, 1, 8), records);
        assertSame(records, dump.records());
        assertTrue(RepeatedChunks.smallestRepeated(records).isEmpty());
    }

    @Test
    void placesThatAreNotTheirPositionsAreKept() {
        List<DumpRecord> list = List.of(
                new DumpRecord(0, 0, 1, 2),
                new DumpRecord(5, 1, 1, 3),
                new DumpRecord(0, 2, -1, -2),
                new DumpRecord(-1, Long.MIN_VALUE, 4, 5));
        CowDump dump = new CowDump(null, list);
        assertEquals(list, dump.records());
        assertEquals(list.hashCode(), dump.records().hashCode());
        assertEquals(list.toString(), dump.records().toString());
        assertEquals(2, dump.compact().moved());
        assertEquals(1L, RepeatedChunks.smallestRepeated(dump.compact()).getAsLong());
    }
}
