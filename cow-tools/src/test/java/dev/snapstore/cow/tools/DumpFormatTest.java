package dev.snapstore.cow.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.snapstore.cow.CowAreaReader;
import dev.snapstore.cow.CowHeader;
import dev.snapstore.spi.MemoryBlockDevice;
import dev.snapstore.testkit.Fixtures;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
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

    @Provide
    Arbitrary<CowDump> dumps() {
        Arbitrary<Long> u64 = Arbitraries.longs();
        // A place is printed as a signed number (a walk never reaches 2^63 areas); chunks are unsigned.
        Arbitrary<Long> place = Arbitraries.longs().greaterOrEqual(0);
        Arbitrary<DumpRecord> record =
                Combinators.combine(place, place, u64, u64).as(DumpRecord::new);
        Arbitrary<CowHeader> header = Combinators.combine(
                        Arbitraries.integers(),
                        Arbitraries.integers(),
                        Arbitraries.integers(),
                        Arbitraries.integers().between(0, 21).map(s -> 1 << s))
                .as(CowHeader::new);
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
}
