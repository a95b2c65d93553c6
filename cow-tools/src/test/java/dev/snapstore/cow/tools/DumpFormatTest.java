package dev.snapstore.cow.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.JsonGenerator;
import dev.snapstore.cow.CowAreaReader;
import dev.snapstore.cow.CowFormat;
import dev.snapstore.cow.CowHeader;
import dev.snapstore.spi.MemoryBlockDevice;
import dev.snapstore.testkit.Fixtures;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The dump formats both ways: device → records → text/JSON → records. */
class DumpFormatTest {

    private static final Pattern COWDUMP_ENTRY =
            Pattern.compile("\\s*area (\\d+) entry\\s+(\\d+): old_chunk (\\d+) -> new_chunk (\\d+)");

    private interface Writer {
        void write(PrintStream out) throws IOException;
    }

    private static String print(Writer writer) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
            writer.write(out);
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }

    private static List<DumpRecord> kernelRecords(String fixture) {
        List<DumpRecord> records = new ArrayList<>();
        for (String line : Fixtures.lines(fixture, "cowdump.txt")) {
            Matcher m = COWDUMP_ENTRY.matcher(line);
            if (m.matches()) {
                records.add(new DumpRecord(
                        Long.parseLong(m.group(1)),
                        Long.parseLong(m.group(2)),
                        Long.parseLong(m.group(3)),
                        Long.parseLong(m.group(4))));
            }
        }
        return records;
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "s2-persistent-P-cs16",
                "s2-persistent-P-cs8",
                "s4-overflow-b-P-snap-writes",
                "s5-merge-handover-P-cs8"
            })
    void walkAndBothFormatsGiveTheKernelsRecords(String fixture) throws IOException, DumpException {
        MemoryBlockDevice cow = Fixtures.imageDevice(fixture, "cow-final.img.xz");
        CowHeader header = CowAreaReader.readHeader(cow);
        List<DumpRecord> walked = new ArrayList<>();
        long count = CowTable.walk(cow, header, walked::add);
        assertEquals(kernelRecords(fixture), walked);
        assertEquals(walked.size(), count);

        String text = print(out -> DumpText.write(out, "cow.img", cow, header));
        assertTrue(
                text.startsWith(DumpText.MAGIC_LINE + "\n# COW cow.img, " + (cow.sizeInSectors() << 9) + " bytes, "),
                text);
        assertEquals(new CowDump(header, walked), DumpText.parse(text));
        assertEquals(new CowDump(header, walked), CowDump.parse(text));

        String json = print(out -> DumpJson.write(out, "cow.img", cow, header));
        assertTrue(
                json.startsWith(
                        "{\n  \"format\" : \"snapstore-cow-dump\",\n  \"formatVersion\" : 1,\n  \"cow\" : \"cow.img\""),
                json);
        assertEquals(new CowDump(header, walked), DumpJson.parse(json));
        assertEquals(new CowDump(header, walked), CowDump.parse(json));

        // The walk as plain numbers writes what the records give, byte for byte, in the old format.
        assertEquals(walked.size(), CowTable.count(cow, header));
        CowDump dump = new CowDump(header, walked);
        long cowBytes = cow.sizeInSectors() << 9;
        assertEquals(oldText("cow.img", cowBytes, dump), text);
        assertEquals(oldJson("cow.img", cowBytes, dump), json);
    }

    @Test
    void aTruncatedTableDumpsWhatItHasAndCannotBeReadBack() throws IOException {
        MemoryBlockDevice full = Fixtures.imageDevice("s2-persistent-P-cs8", "cow-final.img.xz");
        MemoryBlockDevice cow = new MemoryBlockDevice("cut", 200 * 8); // area 0 is full, area 1 (chunk 258) is gone
        ByteBuffer buffer = ByteBuffer.allocate(200 * 4096);
        full.read(0, buffer);
        cow.write(0, buffer.flip());
        CowHeader header = CowAreaReader.readHeader(cow);
        TruncatedTableException[] thrown = new TruncatedTableException[1];
        String text = print(out ->
                thrown[0] = assertThrows(TruncatedTableException.class, () -> DumpText.write(out, "c", cow, header)));
        assertEquals(
                "truncated: metadata area 1 (chunk 258, byte offset 1056768) lies beyond the end of the COW (819200 bytes)",
                thrown[0].getMessage());
        assertEquals(256, text.lines().filter(l -> l.startsWith("exception ")).count());
        DumpException e = assertThrows(DumpException.class, () -> DumpText.parse(text));
        assertEquals("the dump has no 'end exceptions=N' line: it is truncated", e.getMessage());
        ByteArrayOutputStream unflushed = new ByteArrayOutputStream();
        PrintStream quiet = new PrintStream(unflushed, false, StandardCharsets.UTF_8); // not closed: flushed by write
        assertThrows(TruncatedTableException.class, () -> DumpText.write(quiet, "c", cow, header));
        assertEquals(text, unflushed.toString(StandardCharsets.UTF_8));
        assertEquals(
                thrown[0].getMessage(),
                assertThrows(TruncatedTableException.class, () -> CowTable.count(cow, header))
                        .getMessage());
        String json =
                print(out -> assertThrows(TruncatedTableException.class, () -> DumpJson.write(out, "c", cow, header)));
        assertTrue(assertThrows(DumpException.class, () -> DumpJson.parse(json))
                .getMessage()
                .startsWith("the dump is not valid JSON"));
    }

    @Test
    void malformedDumpsAreNamedByLine() {
        String head = DumpText.MAGIC_LINE + "\nheader magic=0x70416e53 valid=1 version=1 chunk_size=8\n";
        assertEquals(
                "dump line 1: expected 'snapstore-cow-dump 1' (is this a 'snapstore dump' output?)",
                assertThrows(DumpException.class, () -> DumpText.parse("hello\n"))
                        .getMessage());
        assertEquals(
                "dump line 3: a second header line",
                assertThrows(
                                DumpException.class,
                                () -> DumpText.parse(
                                        head + head.lines().skip(1).findFirst().get()))
                        .getMessage());
        assertEquals(
                "dump line 3: 18446744073709551616 does not fit an unsigned 64-bit number",
                assertThrows(
                                DumpException.class,
                                () -> DumpText.parse(
                                        head
                                                + "exception area=0 index=0 old=18446744073709551616 new=2\nend exceptions=1\n"))
                        .getMessage());
        assertEquals(
                "the dump's end line says 2 exceptions but it lists 0",
                assertThrows(DumpException.class, () -> DumpText.parse(head + "end exceptions=2\n"))
                        .getMessage());
        assertEquals(
                "the JSON dump has no 'exceptions' array",
                assertThrows(
                                DumpException.class,
                                () -> DumpJson.parse(
                                        "{\"format\": \"snapstore-cow-dump\", \"formatVersion\": 1, \"header\": {\"magic\": 1, \"valid\": 1,"
                                                + " \"version\": 1, \"chunkSize\": 8}}"))
                        .getMessage());
    }

    @Property(tries = 100)
    void aWalkedTablesDumpsAreTheOldWritersBytes(
            @ForAll @IntRange(min = 0, max = 3) int chunkShift,
            @ForAll @IntRange(min = 0, max = 1200) int records,
            @ForAll long seed)
            throws IOException {
        // tables of any length, numbers of every width, on the several-thread walk
        int chunkSize = 1 << chunkShift;
        MemoryBlockDevice cow = RandomTables.cow(chunkSize, records, seed, 2);
        CowHeader header = CowAreaReader.readHeader(cow);
        List<DumpRecord> walked = new ArrayList<>();
        CowTable.walk(cow, header, walked::add);
        assertEquals(records, walked.size());
        CowDump dump = new CowDump(header, walked);
        long cowBytes = cow.sizeInSectors() << 9;
        assertEquals(oldText("c", cowBytes, dump), print(out -> DumpText.write(out, "c", cow, header)));
        assertEquals(oldJson("c", cowBytes, dump), print(out -> DumpJson.write(out, "c", cow, header)));
    }

    /** Any header words, with a power-of-two chunk size (a dump carries what the COW holds). */
    private static Arbitrary<CowHeader> headers() {
        return Combinators.combine(
                        Arbitraries.integers(),
                        Arbitraries.integers(),
                        Arbitraries.integers(),
                        Arbitraries.integers().between(0, 21).map(s -> 1 << s))
                .as(CowHeader::new);
    }

    @Provide
    Arbitrary<CowDump> dumps() {
        Arbitrary<Long> u64 = Arbitraries.longs();
        // A place is printed as a signed number (a walk never reaches 2^63 areas); chunks are unsigned.
        Arbitrary<Long> place = Arbitraries.longs().greaterOrEqual(0);
        Arbitrary<DumpRecord> record =
                Combinators.combine(place, place, u64, u64).as(DumpRecord::new);
        Arbitrary<CowHeader> header = headers();
        return Combinators.combine(header, record.list().ofMaxSize(40)).as(CowDump::new);
    }

    @Property(tries = 200)
    void recordsSurviveTextAndJsonUnchanged(@ForAll("dumps") CowDump dump) throws IOException, DumpException {
        String text = print(out -> DumpText.write(out, "x", 4096, dump));
        assertEquals(dump, DumpText.parse(text));
        String json = print(out -> DumpJson.write(out, "x", 4096, dump));
        assertEquals(dump, DumpJson.parse(json));
        // text -> records -> JSON -> records -> text is the identity too
        CowDump fromJson = DumpJson.parse(json);
        assertEquals(text, print(out -> DumpText.write(out, "x", 4096, fromJson)));
    }

    /** What DumpText.Writer printed before it formatted bytes itself: a String per line through println. */
    private static String oldText(String cow, long cowBytes, CowDump dump) {
        CowHeader h = dump.header();
        String nl = System.lineSeparator();
        StringBuilder b = new StringBuilder();
        b.append(DumpText.MAGIC_LINE).append(nl);
        b.append("# COW " + cow + ", " + cowBytes + " bytes, " + CowFormat.exceptionsPerArea(h.chunkSize())
                + " exceptions per area" + nl);
        b.append(String.format(
                "header magic=0x%08x valid=%s version=%s chunk_size=%s%n",
                h.magic(),
                Integer.toUnsignedString(h.valid()),
                Integer.toUnsignedString(h.version()),
                Integer.toUnsignedString(h.chunkSize())));
        for (DumpRecord r : dump.records()) {
            b.append("exception area=" + r.area() + " index=" + r.index() + " old="
                    + Long.toUnsignedString(r.oldChunk()) + " new=" + Long.toUnsignedString(r.newChunk()) + nl);
        }
        b.append("end exceptions=" + dump.records().size() + nl);
        return b.toString();
    }

    /** What DumpJson.Writer wrote before it wrote a long for chunk numbers below 2^63: a BigInteger each. */
    private static String oldJson(String cow, long cowBytes, CowDump dump) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
                JsonGenerator g = ToolJson.MAPPER.getFactory().createGenerator(out)) {
            g.useDefaultPrettyPrinter();
            CowHeader h = dump.header();
            g.writeStartObject();
            g.writeStringField("format", DumpJson.FORMAT);
            g.writeNumberField("formatVersion", DumpJson.FORMAT_VERSION);
            g.writeStringField("cow", cow);
            g.writeNumberField("cowBytes", cowBytes);
            g.writeObjectFieldStart("header");
            g.writeNumberField("magic", Integer.toUnsignedLong(h.magic()));
            g.writeNumberField("valid", Integer.toUnsignedLong(h.valid()));
            g.writeNumberField("version", Integer.toUnsignedLong(h.version()));
            g.writeNumberField("chunkSize", Integer.toUnsignedLong(h.chunkSize()));
            g.writeEndObject();
            g.writeNumberField("exceptionsPerArea", CowFormat.exceptionsPerArea(h.chunkSize()));
            g.writeArrayFieldStart("exceptions");
            for (DumpRecord r : dump.records()) {
                g.writeStartObject();
                g.writeNumberField("area", r.area());
                g.writeNumberField("index", r.index());
                g.writeFieldName("oldChunk");
                g.writeNumber(new BigInteger(Long.toUnsignedString(r.oldChunk())));
                g.writeFieldName("newChunk");
                g.writeNumber(new BigInteger(Long.toUnsignedString(r.newChunk())));
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeNumberField("count", dump.records().size());
            g.writeEndObject();
            g.flush();
            out.println();
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }

    @Provide
    Arbitrary<CowDump> bigDumps() {
        // Digit-count edges, and values above Long.MAX_VALUE (negative as longs): -1 is 2^64 - 1.
        Arbitrary<Long> edges = Arbitraries.of(
                0L,
                9L,
                10L,
                99L,
                100L,
                999_999_999_999_999_999L,
                1_000_000_000_000_000_000L,
                Long.MAX_VALUE,
                Long.MIN_VALUE,
                Long.MIN_VALUE + 1,
                Long.parseUnsignedLong("9999999999999999999"),
                Long.parseUnsignedLong("10000000000000000000"),
                -10L,
                -1L);
        Arbitrary<Long> any = Arbitraries.oneOf(
                Arbitraries.longs(), edges, Arbitraries.longs().between(0, 1 << 24));
        Arbitrary<DumpRecord> record = Combinators.combine(any, any, any, any).as(DumpRecord::new);
        Arbitrary<CowHeader> header = headers();
        // up to ~200 KiB of text: the writer's 64 KiB buffer fills and drains several times
        return Combinators.combine(header, record.list().ofMaxSize(2000)).as(CowDump::new);
    }

    @Property(tries = 100)
    void theWritersPrintTheOldFormatByteForByte(@ForAll("bigDumps") CowDump dump) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        // not autoflush and not closed: the writer's end must push everything out
        PrintStream out = new PrintStream(bytes, false, StandardCharsets.UTF_8);
        DumpText.write(out, "cow \u00e9.img", 1L << 40, dump);
        assertEquals(oldText("cow \u00e9.img", 1L << 40, dump), bytes.toString(StandardCharsets.UTF_8));
        bytes.reset();
        DumpJson.write(out, "cow \u00e9.img", 1L << 40, dump);
        assertEquals(oldJson("cow \u00e9.img", 1L << 40, dump), bytes.toString(StandardCharsets.UTF_8));
    }

    @Test
    void aDumpOfSeveralBuffersIsTheOldFormatByteForByte() throws IOException {
        // ~100 bytes a line: 5000 lines fill the text writer's 64 KiB buffer several times over
        Random random = new Random(12);
        long[] edges = {0, 9, 10, Long.MAX_VALUE, Long.MIN_VALUE, -1, Long.parseUnsignedLong("10000000000000000000")};
        List<DumpRecord> records = new ArrayList<>();
        for (int i = 0; i < 5000; i++) {
            long old = i % 7 == 0 ? edges[random.nextInt(edges.length)] : random.nextLong();
            records.add(new DumpRecord(i / 255, i % 255, old, random.nextInt(3) == 0 ? -random.nextInt(100) : i));
        }
        CowDump dump = new CowDump(new CowHeader(0x70416e53, 1, 1, 8), records);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(bytes, false, StandardCharsets.UTF_8);
        DumpText.write(out, "c", 1 << 30, dump);
        assertTrue(bytes.size() > 4 * 65536, () -> "only " + bytes.size() + " bytes");
        assertEquals(oldText("c", 1 << 30, dump), bytes.toString(StandardCharsets.UTF_8));
        bytes.reset();
        DumpJson.write(out, "c", 1 << 30, dump);
        assertEquals(oldJson("c", 1 << 30, dump), bytes.toString(StandardCharsets.UTF_8));
    }
}
