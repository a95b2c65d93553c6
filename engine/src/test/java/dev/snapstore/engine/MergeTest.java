package dev.snapstore.engine;

import static dev.snapstore.engine.SnapshotTest.pattern;
import static dev.snapstore.engine.SnapshotTest.read;
import static dev.snapstore.engine.SnapshotTest.write;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.snapstore.spi.MemoryBlockDevice;
import dev.snapstore.spi.StoreTypes;
import dev.snapstore.testkit.CapturingLog;
import dev.snapstore.testkit.FaultInjectingBlockDevice;
import dev.snapstore.testkit.FaultInjectingBlockDevice.Kind;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/** snapshot-merge: snapshot_merge_next_chunks, merge_callback and snapshot_merge_map. */
class MergeTest {

    static final String PREFIX = "device-mapper: snapshots: ";

    final SimPersistentStoreType sim = new SimPersistentStoreType();
    final CapturingLog log = new CapturingLog();

    /** An origin with a persistent snapshot holding a few origin-side and snapshot-side exceptions. */
    final class Rig {
        final FaultInjectingBlockDevice originDevice;
        final FaultInjectingBlockDevice cow;
        final StoreKind kind;
        final int cs;
        Origin origin;
        Snapshot snap;

        Rig(StoreKind kind, int cs, long originSectors) throws Exception {
            this.kind = kind;
            this.cs = cs;
            originDevice = FaultInjectingBlockDevice.passThrough(SnapshotTest.origin(originSectors));
            cow = FaultInjectingBlockDevice.passThrough(new MemoryBlockDevice("cow", 8192));
            open();
        }

        void open() throws Exception {
            origin = new Origin(originDevice, log);
            snap = origin.createSnapshot(
                    kind.types(sim), kind.typeWord, String.valueOf(cs), cow, originDevice.sizeInSectors());
            snap.activate();
        }

        /** Forgets the engine's objects without closing anything, as a crash would. */
        void crashAndReload() throws Exception {
            open();
        }
    }

    @Test
    void transientStoresCannotMerge() throws Exception {
        Origin origin = new Origin(SnapshotTest.origin(64), log);
        Snapshot s = origin.createSnapshot(StoreTypes.load(), "N", "8", new MemoryBlockDevice("cow", 1024), 64);
        s.activate();
        SnapshotTargetException e = assertThrows(SnapshotTargetException.class, s::startMerge);
        assertEquals("Snapshot exception store does not support snapshot-merge.", e.getMessage());
        assertFalse(s.isMerging());
        assertThrows(IllegalStateException.class, s::mergeStep);
    }

    @Test
    void onlyOneSnapshotMergesAtATime() throws Exception {
        Origin origin = new Origin(SnapshotTest.origin(64), log);
        Snapshot a = origin.createSnapshot(StoreKind.SIM_P.types(sim), "P", "8", new MemoryBlockDevice("a", 1024), 64);
        Snapshot b = origin.createSnapshot(StoreKind.SIM_P.types(sim), "P", "8", new MemoryBlockDevice("b", 1024), 64);
        a.startMerge();
        SnapshotTargetException e = assertThrows(SnapshotTargetException.class, b::startMerge);
        assertEquals("A snapshot is already merging.", e.getMessage());
        assertThrows(IllegalStateException.class, a::startMerge);
    }

    /** spec §6 edge case 28: (5→2), (6→3), (7→4), (20→5) merge as 1 chunk (20), then a run of 3. */
    @Test
    void newestRunFirst() throws Exception {
        Rig rig = new Rig(StoreKind.SIM_P, 8, 512);
        for (long chunk : new long[] {5, 6, 7, 20}) {
            write(rig.origin, chunk * 8, "O" + chunk, 8);
        }
        byte[] view = read(rig.snap, 0, 512);
        assertEquals("48/8192 16", rig.snap.status().format());
        rig.snap.startMerge();
        assertArrayEquals(view, read(rig.origin, 0, 512));
        assertEquals(1, rig.snap.mergeStep());
        assertEquals("40/8192 16", rig.snap.status().format());
        assertEquals(3, rig.snap.mergeStep());
        assertEquals("16/8192 16", rig.snap.status().format());
        assertFalse(rig.snap.isMergeFinished());
        assertEquals(0, rig.snap.mergeStep());
        assertTrue(rig.snap.isMergeFinished());
        assertEquals(0, rig.snap.exceptionCount());
        assertArrayEquals(view, read(rig.originDevice, 0, 512));
        assertEquals(List.of(), log.lines());
        assertEquals(2, rig.originDevice.flushes(), "the origin is flushed after each step");
    }

    /** spec §6 edge case 29: a run that continues across an area boundary is merged in two steps. */
    @Test
    void aRunNeverSpansTwoAreas() throws Exception {
        Rig rig = new Rig(StoreKind.SIM_P, 1, 64); // chunk size 1: 32 exceptions per area
        for (long chunk = 0; chunk < 40; chunk++) {
            write(rig.origin, chunk, "O", 1);
        }
        byte[] view = read(rig.snap, 0, 64);
        rig.snap.startMerge();
        assertEquals(8, rig.snap.mergeStep());
        assertEquals(32, rig.snap.mergeStep());
        assertEquals(0, rig.snap.mergeStep());
        assertArrayEquals(view, read(rig.originDevice, 0, 64));
        assertEquals("2/8192 2", rig.snap.status().format());
    }

    @Test
    void otherSnapshotsGetTheirCopiesBeforeTheOriginChanges() throws Exception {
        Rig rig = new Rig(StoreKind.SIM_P, 8, 512);
        Snapshot other = rig.origin.createSnapshot(StoreTypes.load(), "N", "4", new MemoryBlockDevice("n", 4096), 512);
        other.activate();
        Snapshot larger = rig.origin.createSnapshot(
                StoreKind.SIM_P.types(sim), "P", "32", new MemoryBlockDevice("p32", 4096), 512);
        larger.activate();
        write(rig.snap, 40, "S", 20);
        write(rig.origin, 300, "O", 30);
        byte[] view = read(rig.snap, 0, 512);
        byte[] otherView = read(other, 0, 512);
        byte[] largerView = read(larger, 0, 512);
        rig.snap.startMerge();
        assertEquals(8, rig.snap.mergeAll());
        assertArrayEquals(view, read(rig.originDevice, 0, 512));
        assertArrayEquals(otherView, read(other, 0, 512));
        assertArrayEquals(largerView, read(larger, 0, 512));
        assertArrayEquals(pattern("ORIGIN", 0, 512), read(other, 0, 512));
    }

    @Test
    void ioDuringAMerge() throws Exception {
        Rig rig = new Rig(StoreKind.SIM_P, 8, 512);
        Snapshot other = rig.origin.createSnapshot(StoreTypes.load(), "N", "8", new MemoryBlockDevice("n", 4096), 512);
        other.activate();
        for (long chunk : new long[] {1, 2, 3, 10, 30, 31}) {
            write(rig.snap, chunk * 8 + 2, "S" + chunk, 3);
        }
        byte[] view = read(rig.snap, 0, 512);
        byte[] otherView = read(other, 0, 512);
        rig.snap.startMerge();
        assertThrows(SnapshotIOException.class, () -> read(rig.snap, 0, 1));
        assertThrows(SnapshotIOException.class, () -> write(rig.snap, 0, "X", 1));
        assertEquals(2, rig.snap.mergeStep()); // 30, 31
        // A write to a chunk whose exception is not merged yet goes to the COW...
        write(rig.origin, 8 * 3, "M3", 4);
        System.arraycopy(pattern("M3", 24, 4), 0, view, 24 * 512, 4 * 512);
        // ...one to a merged chunk or a chunk without exception goes to the origin, after copy-out.
        write(rig.origin, 8 * 30, "M30", 8);
        System.arraycopy(pattern("M30", 240, 8), 0, view, 240 * 512, 8 * 512);
        write(rig.origin, 8 * 50, "M50", 8);
        System.arraycopy(pattern("M50", 400, 8), 0, view, 400 * 512, 8 * 512);
        assertArrayEquals(view, read(rig.origin, 0, 512));
        assertArrayEquals(otherView, read(other, 0, 512));
        rig.snap.mergeAll();
        assertArrayEquals(view, read(rig.origin, 0, 512));
        assertArrayEquals(view, read(rig.originDevice, 0, 512));
        assertArrayEquals(otherView, read(other, 0, 512));
        assertEquals("16/8192 16", rig.snap.status().format());
    }

    /** snapshot_merge_map queues writes to the chunks being merged until the step is done. */
    @Test
    void writesToChunksBeingMergedWait() throws Exception {
        Rig rig = new Rig(StoreKind.SIM_P, 8, 512);
        write(rig.snap, 64, "S", 24); // chunks 8, 9, 10: one run
        byte[] view = read(rig.snap, 0, 512);
        rig.snap.startMerge();
        CountDownLatch copying = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        rig.cow.hook((kind, sector, sectors) -> {
            if (kind == Kind.READ) {
                copying.countDown();
                await(release);
            }
        });
        CompletableFuture<Integer> step = CompletableFuture.supplyAsync(rig.snap::mergeStep);
        assertTrue(copying.await(10, TimeUnit.SECONDS));
        CompletableFuture<Void> queued = CompletableFuture.runAsync(() -> {
            try {
                write(rig.origin, 72, "Q", 2);
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        });
        Thread.sleep(200);
        assertFalse(queued.isDone(), "a write to a chunk being merged waits for the step");
        // Reads are not queued: the COW still holds the data.
        rig.cow.hook(null);
        release.countDown();
        assertEquals(3, step.get(10, TimeUnit.SECONDS));
        queued.get(10, TimeUnit.SECONDS);
        System.arraycopy(pattern("Q", 72, 2), 0, view, 72 * 512, 2 * 512);
        assertArrayEquals(view, read(rig.originDevice, 0, 512));
    }

    @Test
    void anInvalidSnapshotDoesNotMerge() throws Exception {
        Rig rig = new Rig(StoreKind.SIM_P, 8, 64);
        write(rig.snap, 0, "S", 1);
        rig.cow.failIf(FaultInjectingBlockDevice.reaching(Kind.WRITE, 0));
        write(rig.origin, 8, "O", 1); // copy error: invalid
        rig.cow.failIf(e -> false);
        assertEquals("Invalid", rig.snap.status().format());
        log.clear();
        rig.snap.startMerge();
        assertEquals(0, rig.snap.mergeStep());
        assertEquals(List.of(PREFIX + "Snapshot is invalid: can't merge"), log.lines());
        assertFalse(rig.snap.isMergeFailed());
        // An invalid merging snapshot sends everything to the origin.
        write(rig.origin, 0, "AFTER", 8);
        assertArrayEquals(pattern("AFTER", 0, 8), read(rig.origin, 0, 8));
    }

    enum Fault {
        PREPARE("Read error in exception store: shutting down merge"),
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
     * A merge that fails at any point sets merge_failed with the kernel's message; reloading the COW
     * and merging again ends with the same origin, because re-copying what was already copied is
     * harmless and commit_merge is what makes a step count.
     */
    @ParameterizedTest
    @EnumSource(Fault.class)
    void anInterruptedMergeResumesToTheSameOrigin(Fault fault) throws Exception {
        Rig rig = new Rig(StoreKind.SIM_P, 8, 512);
        write(rig.origin, 0, "A", 40); // chunks 0..4, one run
        write(rig.snap, 100, "B", 30);
        write(rig.origin, 300, "C", 8);
        write(rig.snap, 8 * 60, "D", 8);
        byte[] view = read(rig.snap, 0, 512);
        rig.snap.startMerge();
        assertEquals(1, rig.snap.mergeStep()); // chunk 60
        switch (fault) {
            case PREPARE -> sim.disk(rig.cow).failPrepareMerge = true;
            case COW_READ -> rig.cow.failIf(FaultInjectingBlockDevice.reaching(Kind.READ, 0));
            // mid-run
            case ORIGIN_WRITE -> rig.originDevice.failIf(FaultInjectingBlockDevice.reaching(Kind.WRITE, 8 * 38 + 4));
            case FLUSH -> rig.originDevice.failIf(e -> e.kind() == Kind.FLUSH);
            case COMMIT -> sim.disk(rig.cow).failCommitMerge = true;
        }
        assertEquals(0, rig.snap.mergeStep());
        assertEquals(List.of(PREFIX + fault.message), log.lines());
        assertTrue(rig.snap.isMergeFailed());
        assertEquals("Merge failed", rig.snap.status().format());
        assertEquals(0, rig.snap.mergeStep(), "a failed merge stays stopped");
        sim.disk(rig.cow).failPrepareMerge = false;
        sim.disk(rig.cow).failCommitMerge = false;
        rig.cow.failIf(e -> false);
        rig.originDevice.failIf(e -> false);
        // I/O goes on normally through the merge mapping.
        assertArrayEquals(view, read(rig.origin, 0, 512));
        rig.crashAndReload();
        rig.snap.startMerge();
        assertArrayEquals(view, read(rig.origin, 0, 512));
        rig.snap.mergeAll();
        assertTrue(rig.snap.isMergeFinished());
        assertArrayEquals(view, read(rig.originDevice, 0, 512));
        assertEquals("16/8192 16", rig.snap.status().format());
    }

    /** A crash after any number of steps, then a reload as snapshot-merge: the same final origin. */
    @ParameterizedTest
    @ValueSource(ints = {0, 1, 2, 3})
    void aMergeCrashedAfterSomeStepsResumes(int steps) throws Exception {
        Rig rig = new Rig(StoreKind.SIM_P, 8, 512);
        write(rig.origin, 0, "A", 16);
        write(rig.snap, 80, "B", 9);
        write(rig.origin, 400, "C", 8);
        byte[] view = read(rig.snap, 0, 512);
        rig.snap.startMerge();
        for (int i = 0; i < steps; i++) {
            rig.snap.mergeStep();
        }
        rig.crashAndReload();
        assertArrayEquals(view, read(rig.snap, 0, 512), "reloaded as a plain snapshot it still shows the view");
        rig.snap.startMerge();
        rig.snap.mergeAll();
        assertArrayEquals(view, read(rig.originDevice, 0, 512));
    }

    /** The same with the real persistent store: a metadata write error stops the merge mid-way. */
    @Test
    void theRealPersistentStoreResumesAnInterruptedMerge() throws Exception {
        Rig rig = new Rig(StoreKind.P, 8, 512);
        write(rig.origin, 0, "A", 40);
        write(rig.snap, 100, "B", 30);
        byte[] view = read(rig.snap, 0, 512);
        rig.snap.startMerge();
        assertTrue(rig.snap.mergeStep() > 0);
        rig.cow.failIf(FaultInjectingBlockDevice.reaching(Kind.WRITE, 0));
        assertEquals(0, rig.snap.mergeStep());
        assertEquals(List.of(PREFIX + Fault.COMMIT.message), log.lines());
        rig.cow.failIf(e -> false);
        rig.crashAndReload();
        rig.snap.startMerge();
        rig.snap.mergeAll();
        assertArrayEquals(view, read(rig.originDevice, 0, 512));
        assertEquals("16/8192 16", rig.snap.status().format());
    }

    static void await(CountDownLatch latch) {
        try {
            latch.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
