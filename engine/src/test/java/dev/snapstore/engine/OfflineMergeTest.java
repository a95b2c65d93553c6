package dev.snapstore.engine;

import static dev.snapstore.engine.SnapshotTest.read;
import static dev.snapstore.engine.SnapshotTest.write;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.snapstore.spi.BlockDevice;
import dev.snapstore.spi.MemoryBlockDevice;
import dev.snapstore.spi.StoreTypes;
import dev.snapstore.testkit.CapturingLog;
import dev.snapstore.testkit.FaultInjectingBlockDevice;
import dev.snapstore.testkit.FaultInjectingBlockDevice.Kind;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@link Snapshot#mergeOffline}: every chunk at once, one origin flush, one store commit, and an
 * origin and COW that end byte for byte as the run-by-run merge ({@link Snapshot#mergeAll()}) leaves
 * them, which the kernel fixture s5 pins.
 */
class OfflineMergeTest {

    static final String PREFIX = "device-mapper: snapshots: ";
    static final StoreTypes TYPES = StoreTypes.load();

    final CapturingLog log = new CapturingLog();

    /** The same seeded origin and snapshot writes on fresh devices, with the real persistent store. */
    final class Rig {
        final FaultInjectingBlockDevice originDevice;
        final FaultInjectingBlockDevice cow;
        final int cs;
        final long sectors;
        Origin origin;
        Snapshot snap;

        Rig(int cs, long sectors, long seed, int writes) throws Exception {
            this.cs = cs;
            this.sectors = sectors;
            originDevice = FaultInjectingBlockDevice.passThrough(SnapshotTest.origin(sectors));
            cow = FaultInjectingBlockDevice.passThrough(new MemoryBlockDevice("cow", 16384));
            open();
            Random r = new Random(seed);
            for (int i = 0; i < writes; i++) {
                long first = r.nextInt((int) sectors);
                int n = (int) Math.min(1 + r.nextInt(3 * cs), sectors - first);
                write(r.nextBoolean() ? origin : snap, first, "w" + i, n);
            }
        }

        void open() throws Exception {
            origin = new Origin(originDevice, log);
            snap = origin.createSnapshot(TYPES, "P", String.valueOf(cs), cow, sectors);
            snap.activate();
        }
    }

    static byte[] all(BlockDevice device) throws Exception {
        return read(device, 0, (int) device.sizeInSectors());
    }

    /** Many areas at chunk size 1 (32 records each), a partial last chunk at 8 and 16. */
    @ParameterizedTest
    @CsvSource({"1, 512, 1, 300", "1, 700, 2, 500", "8, 509, 3, 60", "16, 1001, 4, 40", "8, 4096, 5, 0"})
    void endsAsTheRunByRunMerge(int cs, long sectors, long seed, int writes) throws Exception {
        Rig steps = new Rig(cs, sectors, seed, writes);
        Rig offline = new Rig(cs, sectors, seed, writes);
        byte[] view = read(offline.snap, 0, (int) sectors);
        long count = offline.snap.exceptionCount();
        assertEquals(steps.snap.exceptionCount(), count);

        steps.snap.startMerge();
        steps.snap.mergeAll();
        offline.snap.startMerge();
        long flushes = offline.originDevice.flushes();
        AtomicLong reported = new AtomicLong();
        assertEquals(count, offline.snap.mergeOffline(reported::addAndGet));
        assertEquals(count, reported.get());

        assertTrue(offline.snap.isMergeFinished());
        assertFalse(offline.snap.isMergeFailed());
        assertEquals(0, offline.snap.exceptionCount());
        assertEquals(1, offline.originDevice.flushes() - flushes, "the origin is flushed once");
        assertEquals(steps.snap.status().format(), offline.snap.status().format());
        assertArrayEquals(view, all(offline.originDevice));
        assertArrayEquals(all(steps.originDevice), all(offline.originDevice), "origin");
        assertArrayEquals(all(steps.cow), all(offline.cow), "COW");
        assertEquals(0, offline.snap.mergeOffline(n -> {}), "a finished merge stays finished");
        assertEquals(List.of(), log.lines());

        // Loaded again, the COW holds nothing to merge.
        offline.open();
        assertEquals(0, offline.snap.exceptionCount());
    }

    enum Fault {
        COW_READ("Read error: shutting down merge."),
        ORIGIN_WRITE("Write error: shutting down merge."),
        FLUSH("Flush after merge failed: shutting down merge"),
        COMMIT("Write error in exception store: shutting down merge");

        final String message;

        Fault(String message) {
            this.message = message;
        }
    }

    /**
     * A failure anywhere before the store's commit leaves every exception in the COW: the merge fails
     * with the kernel's message, and merging the reloaded COW again ends with the snapshot's content.
     */
    @ParameterizedTest
    @CsvSource({"COW_READ", "ORIGIN_WRITE", "FLUSH", "COMMIT"})
    void aFailedMergeLeavesTheTableAndRunsAgain(Fault fault) throws Exception {
        Rig rig = new Rig(1, 512, 7, 200);
        byte[] view = read(rig.snap, 0, 512);
        long count = rig.snap.exceptionCount();
        rig.snap.startMerge();
        switch (fault) {
            case COW_READ -> rig.cow.failIf(e -> e.kind() == Kind.READ);
            case ORIGIN_WRITE -> rig.originDevice.failIf(FaultInjectingBlockDevice.reaching(Kind.WRITE, 200));
            case FLUSH -> rig.originDevice.failIf(e -> e.kind() == Kind.FLUSH);
            case COMMIT -> rig.cow.failIf(e -> e.kind() == Kind.WRITE);
        }
        assertEquals(0, rig.snap.mergeOffline(n -> {}));
        assertTrue(rig.snap.isMergeFailed());
        assertEquals(List.of(PREFIX + fault.message), log.lines());
        rig.cow.failIf(e -> false);
        rig.originDevice.failIf(e -> false);

        rig.open();
        assertEquals(count, rig.snap.exceptionCount(), "every exception is still in the COW");
        assertArrayEquals(view, read(rig.snap, 0, 512));
        rig.snap.startMerge();
        assertEquals(count, rig.snap.mergeOffline(n -> {}));
        assertArrayEquals(view, all(rig.originDevice));
    }

    /** With another snapshot on the origin, it is the run-by-run merge: the other gets its copies. */
    @Test
    void withAnotherSnapshotItMergesRunByRun() throws Exception {
        Rig rig = new Rig(8, 512, 9, 40);
        Snapshot other = rig.origin.createSnapshot(TYPES, "N", "4", new MemoryBlockDevice("n", 4096), 512);
        other.activate();
        byte[] before = read(other, 0, 512);
        byte[] view = read(rig.snap, 0, 512);
        rig.snap.startMerge();
        long flushes = rig.originDevice.flushes();
        long count = rig.snap.exceptionCount();
        assertEquals(count, rig.snap.mergeOffline(n -> {}));
        assertTrue(rig.originDevice.flushes() - flushes > 1, "one flush per run");
        assertArrayEquals(view, all(rig.originDevice));
        assertArrayEquals(before, read(other, 0, 512), "the other snapshot still shows the old origin");
    }
}
