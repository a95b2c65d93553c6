package dev.snapstore.cow.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.snapstore.cow.CowAreaReader;
import dev.snapstore.cow.CowFormat;
import dev.snapstore.spi.MemoryBlockDevice;
import dev.snapstore.testkit.Fixtures;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The check's findings as values, on kernel COWs and on damaged copies. */
class CowCheckTest {

    // s2-persistent-P-cs8: chunk 4096 bytes, area 0 at byte 4096 (256 records), area 1 at chunk 258, 54 records.
    private static final long AREA0 = 4096;
    private static final long AREA1 = 258L * 4096;

    private static MemoryBlockDevice cow() {
        return Fixtures.imageDevice("s2-persistent-P-cs8", "cow-final.img.xz");
    }

    private static void poke(MemoryBlockDevice cow, long offset, long... words) throws IOException {
        ByteBuffer sector = ByteBuffer.allocate(512).order(ByteOrder.LITTLE_ENDIAN);
        cow.read(offset / 512, sector);
        for (int i = 0; i < words.length; i++) {
            sector.putLong((int) (offset % 512) + 8 * i, words[i]);
        }
        cow.write(offset / 512, sector.clear());
    }

    private static CheckReport check(MemoryBlockDevice cow) throws IOException {
        return CowCheck.check(cow, CowAreaReader.readHeader(cow), OptionalLong.empty());
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "s2-persistent-P-cs16",
                "s2-persistent-PO-cs8",
                "s4-overflow-a-PO-snap-writes",
                "s5-merge-handover-P-cs8"
            })
    void kernelCowsAreClean(String fixture) throws IOException {
        MemoryBlockDevice cow = Fixtures.imageDevice(fixture, "cow-final.img.xz");
        CheckReport report = check(cow);
        assertTrue(report.clean(), () -> report.lines("cow").toString());
        assertEquals(List.of(), report.findings());
    }

    /**
     * A table of 1-sector chunks (32 records an area) over many areas, in the kernel's order but for
     * a few places: the walk's division-free cursor must flag exactly what skipMetadata does.
     */
    @Test
    void theAllocationOrderAcrossManyAreasIsTheKernels() throws IOException {
        int epa = CowFormat.exceptionsPerArea(1);
        int records = 20 * epa + 7;
        long[] newChunks = new long[records];
        long next = CowFormat.skipMetadata(epa, 2);
        for (int n = 0; n < records; n++) {
            newChunks[n] = next;
            next = CowFormat.skipMetadata(epa, next + 1);
        }
        newChunks[3 * epa + 5] += 1; // a gap
        newChunks[7 * epa + epa - 1] = CowFormat.areaLocation(epa, 8); // an area's own chunk
        newChunks[9 * epa] = 2; // back to the start
        newChunks[12 * epa + 2] = -1L; // far past the end
        long areas = records / epa + 1;
        MemoryBlockDevice cow = new MemoryBlockDevice("cow", CowFormat.areaLocation(epa, areas) + 1000);
        poke(cow, 0, (1L << 32) | Integer.toUnsignedLong(CowFormat.SNAP_MAGIC), (1L << 32) | 1);
        for (int n = 0; n < records; n++) {
            poke(cow, CowFormat.areaLocation(epa, n / epa) * 512 + 16L * (n % epa), 1000 + n, newChunks[n]);
        }
        List<String> expected = new ArrayList<>();
        long want = CowFormat.skipMetadata(epa, 2);
        for (int n = 0; n < records; n++) {
            if (newChunks[n] != want) {
                expected.add("area " + n / epa + " index " + n % epa);
            }
            want = CowFormat.skipMetadata(epa, newChunks[n] + 1);
        }
        assertEquals(7, expected.size(), expected::toString);
        CheckReport report = CowCheck.check(cow, CowAreaReader.readHeader(cow), OptionalLong.of(1 << 20));
        assertEquals(records, report.exceptions());
        assertEquals(
                expected,
                report.findings().stream()
                        .filter(f -> f.kind() == Finding.Kind.ALLOCATION_ORDER)
                        .map(f -> "area " + f.area() + " index " + f.index())
                        .toList());
        assertEquals(
                List.of(Finding.Kind.POINTS_AT_METADATA, Finding.Kind.PAST_END),
                report.findings().stream()
                        .map(Finding::kind)
                        .filter(k -> k != Finding.Kind.ALLOCATION_ORDER)
                        .toList());
    }

    @Test
    void anInvalidatedSnapshotHasOneHeaderFinding() throws IOException {
        CheckReport report = check(Fixtures.imageDevice("s4-overflow-b-P-snap-writes", "cow-final.img.xz"));
        assertEquals(1, report.problemCount());
        Finding f = report.findings().get(0);
        assertEquals(new Finding(Finding.Kind.INVALID, Finding.NONE, Finding.NONE, 4, f.message()), f);
        assertTrue(f.line().startsWith("header (byte offset 4): invalid: snapshot marked invalid"), f::line);
    }

    @Test
    void repeatedChunksAreFoundWithTheOriginsBitmapAndWithoutIt() throws IOException {
        MemoryBlockDevice cow = cow();
        poke(cow, AREA0 + 16 * 3, 3); // record 0 maps old chunk 3 too
        poke(cow, AREA1 + 16 * 5, 1L << 40); // past a 1024-chunk origin, twice
        poke(cow, AREA1 + 16 * 9, 1L << 40);
        RepeatedChunks bitmap = RepeatedChunks.scan(cow, 8, 1024);
        RepeatedChunks sorted = RepeatedChunks.scan(cow, 8, -1);
        assertEquals(RepeatedChunks.Kind.BITMAP, bitmap.kind());
        assertEquals(RepeatedChunks.Kind.SORTED_ARRAY, sorted.kind());
        for (RepeatedChunks r : List.of(bitmap, sorted)) {
            assertTrue(r.predicate().test(3));
            assertTrue(r.predicate().test(1L << 40));
            assertFalse(r.predicate().test(123_456_789));
        }
        for (OptionalLong origin : List.of(OptionalLong.of(1024 * 8), OptionalLong.empty())) {
            List<String> duplicates = CowCheck.check(cow, CowAreaReader.readHeader(cow), origin).findings().stream()
                    .filter(f -> f.kind() == Finding.Kind.DUPLICATE_ORIGIN_CHUNK)
                    .map(Finding::line)
                    .toList();
            assertEquals(
                    List.of(
                            "area 0 index 3 (byte offset 4144): duplicate-origin-chunk: old chunk 3 already mapped at"
                                    + " area 0 index 0",
                            "area 1 index 9 (byte offset " + (AREA1 + 16 * 9) + "): duplicate-origin-chunk: old chunk"
                                    + " 1099511627776 already mapped at area 1 index 5"),
                    duplicates);
        }
    }

    @Test
    void eachDamageIsAValueWithItsPlace() throws IOException {
        MemoryBlockDevice cow = cow();
        poke(cow, AREA0 + 16 * 3, 101, 258);
        assertEquals(
                new Finding(Finding.Kind.POINTS_AT_METADATA, 0, 3, AREA0 + 48, "new chunk 258 is a metadata area"),
                check(cow).findings().get(0));

        cow = cow();
        poke(cow, AREA0 + 16 * 3, 3);
        Finding dup = check(cow).findings().get(0);
        assertEquals(
                new Finding(
                        Finding.Kind.DUPLICATE_ORIGIN_CHUNK,
                        0,
                        3,
                        AREA0 + 48,
                        "old chunk 3 already mapped at area 0 index 0"),
                dup);
        assertEquals(
                "area 0 index 3 (byte offset 4144): duplicate-origin-chunk: old chunk 3 already mapped at area 0 index 0",
                dup.line());

        cow = cow();
        poke(cow, AREA1 + 16 * 60, 7, 7);
        assertEquals(
                List.of(Finding.Kind.DATA_AFTER_TERMINATOR),
                check(cow).findings().stream().map(Finding::kind).toList());
        assertEquals(60, check(cow).findings().get(0).index());

        cow = cow();
        poke(cow, AREA1 + 16 * 54, 77, 0);
        assertEquals(Finding.Kind.POINTS_AT_HEADER, check(cow).findings().get(0).kind());

        cow = cow();
        poke(cow, AREA0 + 16 * 3, 101, 99999);
        assertEquals(
                List.of(Finding.Kind.PAST_END, Finding.Kind.ALLOCATION_ORDER, Finding.Kind.ALLOCATION_ORDER),
                check(cow).findings().stream().map(Finding::kind).toList());
    }

    @Test
    void aTruncatedTableIsAFindingAndTheRecordsBeforeItAreCounted() throws IOException {
        MemoryBlockDevice full = cow();
        MemoryBlockDevice cow = new MemoryBlockDevice("cut", 200 * 8);
        ByteBuffer buffer = ByteBuffer.allocate(200 * 4096);
        full.read(0, buffer);
        cow.write(0, buffer.flip());
        CheckReport report = check(cow);
        assertEquals(256, report.exceptions());
        assertEquals(
                new Finding(
                        Finding.Kind.TRUNCATED,
                        1,
                        Finding.NONE,
                        AREA1,
                        "the previous area is full, so metadata area 1"
                                + " (chunk 258) must exist, but it lies beyond the end of the COW (819200 bytes); the kernel fails the load"),
                last(report));
        assertTrue(last(report).line().startsWith("area 1 (byte offset " + AREA1 + "): truncated: "));
    }

    private static Finding last(CheckReport report) {
        return report.findings().get(report.findings().size() - 1);
    }

    @Test
    void theOriginsEndAndTheListingLimit() throws IOException {
        MemoryBlockDevice cow = cow();
        CheckReport report = CowCheck.check(cow, CowAreaReader.readHeader(cow), OptionalLong.of(100 * 8), 3);
        assertFalse(report.clean());
        assertEquals(3, report.findings().size());
        assertTrue(report.problemCount() > 3);
        assertTrue(report.findings().stream().allMatch(f -> f.kind() == Finding.Kind.PAST_ORIGIN_END));
        List<String> lines = report.lines("c");
        assertEquals("... and " + (report.problemCount() - 3) + " more", lines.get(3));
        assertEquals("c: 310 exceptions, " + report.problemCount() + " problems", lines.get(4));
        String json = report.json("c");
        assertTrue(json.contains("\"problemCount\" : " + report.problemCount()), json);
        assertTrue(json.startsWith("{\n  \"cow\" : \"c\",\n  \"cowBytes\" : "), json);
    }
}
