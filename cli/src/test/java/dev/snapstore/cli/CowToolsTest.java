package dev.snapstore.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.snapstore.testkit.Fixtures;
import dev.snapstore.testkit.Hashes;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** dump, restore and check against every kernel fixture COW. */
class CowToolsTest {

    static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern COWDUMP_ENTRY =
            Pattern.compile("\\s*area (\\d+) entry\\s+(\\d+): old_chunk (\\d+) -> new_chunk (\\d+)");
    private static final Pattern DUMP_ENTRY =
            Pattern.compile("exception area=(\\d+) index=(\\d+) old=(\\d+) new=(\\d+)");

    @TempDir
    Path dir;

    static Stream<String> fixtures() {
        return Stream.of(
                "s2-persistent-P-cs16",
                "s2-persistent-P-cs8",
                "s2-persistent-PO-cs8",
                "s4-overflow-a-PO-snap-writes",
                "s4-overflow-b-P-snap-writes",
                "s5-merge-handover-P-cs8");
    }

    static Path unpack(String fixture, Path dir) {
        return Fixtures.unpack(fixture, "cow-final.img.xz", dir.resolve(fixture + ".cow"));
    }

    static String sha(Path file) throws IOException {
        return Hashes.sha256(Files.readAllBytes(file));
    }

    private static List<String> cowdumpEntries(String fixture) {
        List<String> entries = new ArrayList<>();
        for (String line : Fixtures.lines(fixture, "cowdump.txt")) {
            Matcher m = COWDUMP_ENTRY.matcher(line);
            if (m.matches()) {
                entries.add(m.group(1) + " " + m.group(2) + " " + m.group(3) + " " + m.group(4));
            }
        }
        return entries;
    }

    @ParameterizedTest
    @MethodSource("fixtures")
    void dumpListsExactlyTheKernelsExceptions(String fixture) throws IOException {
        Path cow = unpack(fixture, dir);
        CliRun text = CliRun.of("dump", "--cow", cow.toString());
        assertEquals(ExitStatus.OK, text.status(), text::toString);
        List<String> fromText = new ArrayList<>();
        for (String line : text.lines()) {
            Matcher m = DUMP_ENTRY.matcher(line);
            if (m.matches()) {
                fromText.add(m.group(1) + " " + m.group(2) + " " + m.group(3) + " " + m.group(4));
            }
        }
        List<String> expected = cowdumpEntries(fixture);
        assertEquals(expected, fromText);
        assertTrue(text.lines().contains("end exceptions=" + expected.size()));
        String header = Fixtures.lines(fixture, "cowdump.txt").get(0);
        assertTrue(text.out().contains("valid=" + (header.contains("valid=0") ? 0 : 1) + " version=1"), text::toString);

        CliRun json = CliRun.of("dump", "--cow", cow.toString(), "--json");
        assertEquals(ExitStatus.OK, json.status(), json::toString);
        JsonNode root = JSON.readTree(json.out());
        assertEquals("snapstore-cow-dump", root.get("format").asText());
        assertEquals(0x70416e53L, root.get("header").get("magic").asLong());
        assertEquals(expected.size(), root.get("count").asInt());
        List<String> fromJson = new ArrayList<>();
        for (JsonNode e : root.get("exceptions")) {
            fromJson.add(e.get("area").asLong() + " " + e.get("index").asLong() + " "
                    + e.get("oldChunk").asLong() + " " + e.get("newChunk").asLong());
        }
        assertEquals(expected, fromJson);
        assertEquals(Fixtures.imageSha256(fixture, "cow-final.img"), sha(cow), "dump changed the image");
    }

    /** Zeroes chunk 0 and every metadata-area chunk of a COW image. */
    static void zeroMetadata(Path cow, int chunkSize) throws IOException {
        int chunkBytes = chunkSize * 512;
        long epa = chunkBytes / 16;
        try (FileChannel ch = FileChannel.open(cow, StandardOpenOption.WRITE)) {
            long chunks = ch.size() / chunkBytes;
            ch.write(ByteBuffer.allocate(chunkBytes), 0);
            for (long c = 1; c < chunks; c += epa + 1) {
                ch.write(ByteBuffer.allocate(chunkBytes), c * chunkBytes);
            }
        }
    }

    @ParameterizedTest
    @MethodSource("fixtures")
    void restoreRebuildsTheMetadataByteForByte(String fixture) throws IOException {
        Path cow = unpack(fixture, dir);
        int chunkSize = Fixtures.lines(fixture, "cowdump.txt").get(0).contains("chunk_size=16") ? 16 : 8;
        for (String format : List.of("text", "json")) {
            CliRun dump = format.equals("json")
                    ? CliRun.of("dump", "--cow", cow.toString(), "--json")
                    : CliRun.of("dump", "--cow", cow.toString());
            Path saved = Files.writeString(dir.resolve("dump." + format), dump.out());
            Path copy = Files.copy(cow, dir.resolve("copy-" + format + ".cow"));
            zeroMetadata(copy, chunkSize);
            CliRun restore = CliRun.of("restore", "--input", saved.toString(), "--cow", copy.toString());
            assertEquals(ExitStatus.OK, restore.status(), restore::toString);
            assertEquals(Fixtures.imageSha256(fixture, "cow-final.img"), sha(copy), format + " round trip");
        }
    }

    @ParameterizedTest
    @MethodSource("fixtures")
    void everyKernelCowChecksClean(String fixture) throws IOException {
        Path cow = unpack(fixture, dir);
        Path origin = Fixtures.unpack(fixture, "origin-final.img.xz", dir.resolve("origin.img"));
        CliRun run = CliRun.of("check", "--cow", cow.toString(), "--origin", origin.toString());
        if (fixture.equals("s4-overflow-b-P-snap-writes")) {
            // The kernel invalidated this snapshot when it overflowed: the one finding is the flag.
            assertEquals(ExitStatus.NO, run.status(), run::toString);
            assertEquals(2, run.lines().size(), run::toString);
            assertTrue(run.out().startsWith("header (byte offset 4): invalid: snapshot marked invalid"), run::toString);
        } else {
            assertEquals(ExitStatus.OK, run.status(), run::toString);
            assertTrue(run.out().endsWith("clean\n"), run::toString);
        }
        CliRun json = CliRun.of("check", "--cow", cow.toString(), "--json");
        JsonNode root = JSON.readTree(json.out());
        assertEquals(run.status() == ExitStatus.OK, root.get("clean").asBoolean());
        assertEquals(cowdumpEntries(fixture).size(), root.get("exceptions").asInt());
        assertEquals(Fixtures.imageSha256(fixture, "cow-final.img"), sha(cow), "check changed the image");
    }

    static void poke(Path file, long offset, long... words) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(words.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        for (long w : words) {
            b.putLong(w);
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.write(b.flip(), offset);
        }
    }

    static void poke32(Path file, long offset, int word) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(4)
                .order(ByteOrder.LITTLE_ENDIAN)
                .putInt(word)
                .flip();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.write(b, offset);
        }
    }

    private CliRun checkFinds(Path cow, String kind, String where) throws IOException {
        String before = sha(cow);
        CliRun run = CliRun.of("check", "--cow", cow.toString());
        assertEquals(ExitStatus.NO, run.status(), run::toString);
        assertTrue(
                run.lines().stream().anyMatch(l -> l.startsWith(where) && l.contains(": " + kind + ": ")),
                run::toString);
        CliRun json = CliRun.of("check", "--cow", cow.toString(), "--json");
        assertEquals(ExitStatus.NO, json.status(), json::toString);
        JsonNode root = JSON.readTree(json.out());
        assertFalse(root.get("clean").asBoolean());
        boolean found = false;
        for (JsonNode p : root.get("problems")) {
            found |= p.get("kind").asText().equals(kind);
        }
        assertTrue(found, json::toString);
        assertEquals(before, sha(cow), "check changed the image");
        return run;
    }

    // s2-persistent-P-cs8: chunk 4096 bytes, area 0 at byte 4096 (256 records), area 1 at chunk 258, 54 records.
    private static final long AREA0 = 4096;
    private static final long AREA1 = 258L * 4096;

    @Test
    void findsEachCorruption() throws IOException {
        String f = "s2-persistent-P-cs8";
        Path cow = unpack(f, dir);
        poke32(cow, 8, 2);
        checkFinds(cow, "version", "header (byte offset 8)");

        cow = Files.copy(unpack(f, dir), dir.resolve("c1"));
        poke32(cow, 4, 0);
        checkFinds(cow, "invalid", "header (byte offset 4)");

        cow = Files.copy(unpack(f, dir), dir.resolve("c2"));
        poke(cow, AREA0 + 16 * 3, 101, 258); // new chunk = area 1's chunk
        checkFinds(cow, "points-at-metadata", "area 0 index 3 (byte offset " + (AREA0 + 48) + ")");

        cow = Files.copy(unpack(f, dir), dir.resolve("c3"));
        poke(cow, AREA0 + 16 * 3, 101, 99999);
        checkFinds(cow, "past-end", "area 0 index 3");
        checkFinds(cow, "allocation-order", "area 0 index 3");

        cow = Files.copy(unpack(f, dir), dir.resolve("c4"));
        poke(cow, AREA0 + 16 * 3, 3); // old chunk 3 is also record 0's
        checkFinds(cow, "duplicate-origin-chunk", "area 0 index 3");

        cow = Files.copy(unpack(f, dir), dir.resolve("c5"));
        poke(cow, AREA0 + 16 * 2, 100, 5);
        poke(cow, AREA0 + 16 * 3, 101, 4);
        checkFinds(cow, "allocation-order", "area 0 index 2");

        cow = Files.copy(unpack(f, dir), dir.resolve("c6"));
        poke(cow, AREA1 + 16 * 60, 7, 7);
        checkFinds(cow, "data-after-terminator", "area 1 index 60 (byte offset " + (AREA1 + 960) + ")");

        cow = Files.copy(unpack(f, dir), dir.resolve("c7"));
        poke(cow, AREA1 + 16 * 54, 77, 0);
        checkFinds(cow, "points-at-header", "area 1 index 54");

        cow = Files.copy(unpack(f, dir), dir.resolve("c8"));
        try (FileChannel ch = FileChannel.open(cow, StandardOpenOption.WRITE)) {
            ch.truncate(200 * 4096); // area 0 is full, area 1 (chunk 258) is gone
        }
        checkFinds(cow, "truncated", "area 1 (byte offset " + AREA1 + ")");
    }

    @Test
    void findsOriginChunksPastTheOriginsEnd() throws IOException {
        String f = "s2-persistent-P-cs8";
        Path cow = unpack(f, dir);
        Path origin = Files.write(dir.resolve("small-origin"), new byte[100 * 4096]);
        CliRun run = CliRun.of("check", "--cow", cow.toString(), "--origin", origin.toString());
        assertEquals(ExitStatus.NO, run.status(), run::toString);
        assertTrue(
                run.lines().stream().anyMatch(l -> l.startsWith("area 0 index 2 ") && l.contains("past-origin-end")),
                run::toString);
        assertFalse(run.lines().stream().anyMatch(l -> l.startsWith("area 0 index 1 ")), run::toString);
    }

    private void refused(Path cow, String dump, String message) throws IOException {
        Path input = Files.writeString(dir.resolve("bad-dump-" + Math.abs(dump.hashCode())), dump);
        String before = sha(cow);
        CliRun run = CliRun.of("restore", "--input", input.toString(), "--cow", cow.toString());
        assertEquals(ExitStatus.USAGE, run.status(), run::toString);
        assertTrue(run.err().contains(message), run::toString);
        assertEquals(1, run.err().lines().count(), run::toString);
        assertEquals(before, sha(cow), "a refused restore wrote");
    }

    @Test
    void restoreRefusesDumpsThatDoNotFitWritingNothing() throws IOException {
        Path cow = unpack("s4-overflow-a-PO-snap-writes", dir); // 8 chunks of 8 sectors
        String head = "snapstore-cow-dump 1\nheader magic=0x70416e53 valid=1 version=1 chunk_size=8\n";
        refused(
                cow,
                head + "exception area=0 index=0 old=1 new=3\nexception area=0 index=1 old=2 new=2\nend exceptions=2\n",
                "not after the previous record's 3");
        refused(cow, head + "exception area=0 index=0 old=1 new=1\nend exceptions=1\n", "metadata area");
        refused(
                cow,
                head + "exception area=0 index=0 old=9 new=2\nexception area=0 index=1 old=4 new=3\n"
                        + "exception area=0 index=2 old=9 new=4\nend exceptions=3\n",
                "restore: exceptions 0 and 2 both hold origin chunk 9 (the kernel never gives a chunk two exceptions)");
        refused(cow, head + "exception area=0 index=0 old=1 new=8\nend exceptions=1\n", "past the end");
        refused(cow, head + "exception area=0 index=1 old=1 new=2\nend exceptions=1\n", "out of table order");
        refused(cow, head + "exception area=0 index=0 old=1 new=2\n", "truncated");
        refused(cow, head.replace("chunk_size=8", "chunk_size=6") + "end exceptions=0\n", "not a power of 2");
        refused(cow, head.replace("chunk_size=8", "chunk_size=1024") + "end exceptions=0\n", "only 0 chunks");
        refused(cow, "hello\n", "expected 'snapstore-cow-dump 1'");
        refused(cow, "{\"format\": \"snapstore-cow-dump\", \"formatVersion\": 1, ", "not valid JSON");
        StringBuilder many = new StringBuilder(head);
        for (int i = 0; i < 300; i++) {
            many.append("exception area=")
                    .append(i / 256)
                    .append(" index=")
                    .append(i % 256)
                    .append(" old=")
                    .append(i)
                    .append(" new=")
                    .append(i + 2 + (i >= 256 ? 1 : 0))
                    .append('\n');
        }
        refused(cow, many.append("end exceptions=300\n").toString(), "need metadata areas up to chunk 258");
    }
}
