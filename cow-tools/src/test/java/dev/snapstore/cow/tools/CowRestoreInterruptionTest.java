package dev.snapstore.cow.tools;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.snapstore.cow.CowAreaReader;
import dev.snapstore.cow.CowFormat;
import dev.snapstore.cow.CowHeader;
import dev.snapstore.spi.BlockDevice;
import dev.snapstore.spi.MemoryBlockDevice;
import dev.snapstore.testkit.FaultInjectingBlockDevice;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/**
 * A restore stopped at any write or flush, by a kill (every write so far reached the file) or a power
 * loss (only what was flushed, whole writes or torn sectors), is never "clean": the header says
 * invalid until the last write. Before, a COW that held a shorter table of the same records looked
 * clean with the new table cut short (issue 11: "12288 exceptions, clean" of 15,000).
 */
class CowRestoreInterruptionTest {

    private static final int CHUNK = 8;
    private static final int EPA = CowFormat.exceptionsPerArea(CHUNK);
    private static final long COW_SECTORS = 700L * CHUNK;

    private static List<DumpRecord> records(int count) {
        List<DumpRecord> records = new ArrayList<>();
        for (int k = 0; k < count; k++) {
            long area = k / EPA;
            long index = k % EPA;
            long newChunk = CowFormat.areaLocation(EPA, area) + 1 + index;
            records.add(new DumpRecord(area, index, 3L * k + 1, newChunk));
        }
        return records;
    }

    private static byte[] bytes(BlockDevice device) throws IOException {
        ByteBuffer all = ByteBuffer.allocate((int) (device.sizeInSectors() << 9));
        device.read(0, all);
        return all.array();
    }

    private static MemoryBlockDevice restored(MemoryBlockDevice base, CowDump dump) throws IOException, DumpException {
        MemoryBlockDevice cow = copy(base);
        CowRestore.write(CowRestore.plan(dump, cow), cow);
        return cow;
    }

    private static MemoryBlockDevice copy(MemoryBlockDevice base) throws IOException {
        MemoryBlockDevice cow = new MemoryBlockDevice("cow.img", base.sizeInSectors());
        cow.write(0, ByteBuffer.wrap(bytes(base)));
        return cow;
    }

    /**
     * Clean only when the restore did not start (the COW as it was) or finished (the whole new
     * table): anything in between must be flagged.
     */
    private static void assertNeverCleanPartway(BlockDevice state, byte[] untouched, byte[] finished, String where)
            throws IOException {
        CowHeader header = CowAreaReader.readHeader(state);
        if (header.whyUndecodable().isPresent()) {
            return;
        }
        CheckReport report;
        try {
            report = CowCheck.check(state, header, OptionalLong.empty());
        } catch (IOException e) {
            return;
        }
        if (report.clean()) {
            byte[] now = bytes(state);
            assertTrue(
                    Arrays.equals(untouched, now) || Arrays.equals(finished, now),
                    where + ": clean, yet neither the old nor the restored table");
        }
    }

    @Test
    void aRestoreStoppedAtAnyWriteOrFlushIsNeverClean() throws Exception {
        MemoryBlockDevice empty = new MemoryBlockDevice("cow.img", COW_SECTORS);
        CowHeader header = CowHeader.of(1, CowFormat.SNAPSHOT_DISK_VERSION, CHUNK);
        // The COW before: a clean table of the first 300 records; the dump holds 600.
        MemoryBlockDevice before = restored(empty, new CowDump(header, records(300)));
        CowDump dump = new CowDump(header, records(600));
        byte[] finished = bytes(restored(before, dump));
        byte[] untouched = bytes(before);

        FaultInjectingBlockDevice counting = new FaultInjectingBlockDevice(copy(before));
        CowRestore.write(CowRestore.plan(dump, counting), counting);
        long writes = counting.writes();
        long flushes = counting.flushes();
        assertTrue(writes >= 5 && flushes >= 3, "header, three areas, header; three flushes");
        int points = 0;
        for (int kind = 0; kind < 2; kind++) {
            long count = kind == 0 ? writes : flushes;
            for (long n = 1; n <= count; n++) {
                FaultInjectingBlockDevice device = new FaultInjectingBlockDevice(copy(before));
                if (kind == 0) {
                    device.crashAtWrite(n);
                } else {
                    device.crashAtFlush(n);
                }
                CowRestore.Plan plan = CowRestore.plan(dump, device);
                assertThrows(IOException.class, () -> CowRestore.write(plan, device));
                String where = (kind == 0 ? "write " : "flush ") + n;
                // A kill: what was written reached the file.
                assertNeverCleanPartway(device.inner(), untouched, finished, where + ", killed");
                // A power loss: only what was flushed, or any part of the rest.
                assertNeverCleanPartway(device.durableImage(), untouched, finished, where + ", power loss");
                for (long seed = 0; seed < 8; seed++) {
                    assertNeverCleanPartway(
                            device.durableImage(seed, seed % 2 == 0), untouched, finished, where + ", seed " + seed);
                }
                points++;
            }
        }
        assertTrue(points >= 8);
        // The first write makes the COW say invalid at once: a kill right after it is flagged.
        FaultInjectingBlockDevice device = new FaultInjectingBlockDevice(copy(before)).crashAtWrite(2);
        assertThrows(IOException.class, () -> CowRestore.write(CowRestore.plan(dump, device), device));
        CowHeader after = CowAreaReader.readHeader(device.inner());
        assertFalse(CowCheck.check(device.inner(), after, OptionalLong.empty()).clean());
    }
}
