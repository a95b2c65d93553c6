package dev.snapstore.cow.tools;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.snapstore.cow.CowAreaReader;
import dev.snapstore.cow.CowHeader;
import dev.snapstore.spi.MemoryBlockDevice;
import dev.snapstore.testkit.Fixtures;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Restore writes the kernel's metadata back, and refuses, writing nothing, what the check would flag. */
class CowRestoreTest {

    private static final CowHeader HEADER = CowHeader.of(1, 1, 8);

    private static byte[] bytes(MemoryBlockDevice device) throws IOException {
        ByteBuffer all = ByteBuffer.allocate((int) (device.sizeInSectors() << 9));
        device.read(0, all);
        return all.array();
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "s2-persistent-P-cs16",
                "s2-persistent-P-cs8",
                "s4-overflow-b-P-snap-writes",
                "s5-merge-handover-P-cs8"
            })
    void aKernelCowsDumpRestoresItsMetadataByteForByte(String fixture) throws IOException, DumpException {
        MemoryBlockDevice cow = Fixtures.imageDevice(fixture, "cow-final.img.xz");
        CowHeader header = CowAreaReader.readHeader(cow);
        List<DumpRecord> records = new ArrayList<>();
        CowTable.walk(cow, header, records::add);
        byte[] expected = bytes(cow);
        // Wipe every metadata chunk, then restore.
        int chunkBytes = header.chunkSize() * 512;
        long epa = chunkBytes / 16;
        for (long c = 0; c < cow.sizeInSectors() / header.chunkSize(); c = c == 0 ? 1 : c + epa + 1) {
            cow.write(c * header.chunkSize(), ByteBuffer.allocate(chunkBytes));
        }
        CowRestore.Plan plan = CowRestore.plan(new CowDump(header, records), cow);
        assertEquals(records.size() / epa + 1, plan.areas());
        CowRestore.write(plan, cow);
        assertArrayEquals(expected, bytes(cow));
    }

    private static String refusal(List<DumpRecord> records, CowHeader header) throws IOException {
        MemoryBlockDevice cow = new MemoryBlockDevice("cow.img", 64);
        byte[] before = bytes(cow);
        DumpException e = assertThrows(DumpException.class, () -> CowRestore.plan(new CowDump(header, records), cow));
        assertArrayEquals(before, bytes(cow));
        return e.getMessage();
    }

    @Test
    void refusalsNameTheRecord() throws IOException {
        assertEquals(
                "exception 1 (area 0 index 1) has new chunk 2, not after the previous record's 3 (new chunks must be strictly"
                        + " increasing)",
                refusal(List.of(new DumpRecord(0, 0, 1, 3), new DumpRecord(0, 1, 2, 2)), HEADER));
        assertEquals(
                "exception 0 (area 0 index 0) has new chunk 1, which is a metadata area",
                refusal(List.of(new DumpRecord(0, 0, 1, 1)), HEADER));
        assertEquals(
                "exception 0 (area 0 index 0) has new chunk 8, past the end of cow.img (8 chunks)",
                refusal(List.of(new DumpRecord(0, 0, 1, 8)), HEADER));
        assertEquals(
                "exceptions 0 and 2 both hold origin chunk 9 (the kernel never gives a chunk two exceptions)",
                refusal(
                        List.of(new DumpRecord(0, 0, 9, 2), new DumpRecord(0, 1, 4, 3), new DumpRecord(0, 2, 9, 4)),
                        HEADER));
        // The smallest repeated chunk is named, as the sorting check before the move did.
        assertEquals(
                "exceptions 1 and 3 both hold origin chunk 7 (the kernel never gives a chunk two exceptions)",
                refusal(
                        List.of(
                                new DumpRecord(0, 0, 9, 2),
                                new DumpRecord(0, 1, 7, 3),
                                new DumpRecord(0, 2, 9, 4),
                                new DumpRecord(0, 3, 7, 5)),
                        HEADER));
        assertEquals(
                "exception 0 (area 0 index 1) is out of table order: record 0 belongs at area 0 index 0",
                refusal(List.of(new DumpRecord(0, 1, 1, 2)), HEADER));
        assertEquals(
                "the dump's chunk size 6: Chunk size is not a power of 2",
                refusal(List.of(), new CowHeader(HEADER.magic(), 1, 1, 6)));
    }

    @Test
    void refusesWhatTheCheckWouldFlagButTheKernelsInvalidFlag() throws IOException, DumpException {
        assertEquals(
                "exception 1 (area 0 index 1): allocation-order: new chunk 5 where the kernel would have allocated 3 (it"
                        + " allocates strictly increasing by 1, skipping metadata)",
                refusal(List.of(new DumpRecord(0, 0, 1, 2), new DumpRecord(0, 1, 2, 5)), HEADER));
        assertEquals(
                "the dump's header (byte offset 8): version: unable to handle snapshot disk version 2 (the kernel refuses to"
                        + " load it)",
                refusal(List.of(), CowHeader.of(1, 2, 8)));
        MemoryBlockDevice cow = new MemoryBlockDevice("cow.img", 64);
        CowRestore.write(
                CowRestore.plan(new CowDump(CowHeader.of(0, 1, 8), List.of(new DumpRecord(0, 0, 1, 2))), cow), cow);
        assertEquals(CowHeader.of(0, 1, 8), CowAreaReader.readHeader(cow));
    }

    @Provide
    Arbitrary<List<DumpRecord>> tables() {
        // Mostly well-formed tables with some damage, so that both outcomes are common.
        return Arbitraries.longs().between(0, 12).list().ofMaxSize(80).flatMap(olds -> Arbitraries.integers()
                .between(0, 3)
                .list()
                .ofSize(olds.size())
                .map(steps -> {
                    List<DumpRecord> records = new ArrayList<>();
                    long next = 2;
                    for (int n = 0; n < olds.size(); n++) {
                        long chunk = steps.get(n) == 3 ? next + 1 : steps.get(n) == 2 ? next - 1 : next;
                        records.add(new DumpRecord(n / 32, n % 32, olds.get(n) * 7 + n, chunk));
                        next = chunk + 1 == 34 * (chunk / 34) + 1 ? chunk + 2 : chunk + 1;
                    }
                    return records;
                }));
    }

    @Property(tries = 300)
    void whatRestoreWritesChecksClean(@ForAll("tables") List<DumpRecord> records) throws IOException {
        CowHeader header = CowHeader.of(1, 1, 1); // 32 records per area, areas at chunks 1, 34, 67, ...
        MemoryBlockDevice cow = new MemoryBlockDevice("cow.img", 120);
        CowRestore.Plan plan;
        try {
            plan = CowRestore.plan(new CowDump(header, records), cow);
        } catch (DumpException refused) {
            return;
        }
        CowRestore.write(plan, cow);
        CheckReport report = CowCheck.check(cow, header, OptionalLong.empty());
        assertTrue(report.clean(), () -> records + " -> " + report.lines("cow"));
        assertEquals(records.size(), report.exceptions());
    }
}
