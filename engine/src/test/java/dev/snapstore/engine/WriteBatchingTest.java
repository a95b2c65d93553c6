package dev.snapstore.engine;

import static dev.snapstore.engine.SnapshotTest.pattern;
import static dev.snapstore.engine.SnapshotTest.read;
import static dev.snapstore.engine.SnapshotTest.write;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.snapstore.spi.BlockDevice;
import dev.snapstore.spi.StoreTypes;
import dev.snapstore.testkit.CapturingLog;
import dev.snapstore.testkit.FaultInjectingBlockDevice;
import dev.snapstore.testkit.FaultInjectingBlockDevice.Kind;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * Commits shared by the pieces of one request and by concurrent writers, with the real persistent
 * store: the kernel's per-chunk bios of one request are pending together and share a commit, and its
 * prepare_exception goes on while kcopyd's thread writes a metadata area.
 */
class WriteBatchingTest {

    static final StoreTypes TYPES = StoreTypes.load();
    final CapturingLog log = new CapturingLog();

    /** Chunks of 8 sectors: area 0 is chunk 1 (sectors 8-15), data chunks from 2 on. */
    Snapshot snapshot(Origin origin, String type, BlockDevice cow) throws SnapshotTargetException {
        Snapshot s = origin.createSnapshot(TYPES, type, "8", cow, origin.sizeInSectors());
        s.activate();
        return s;
    }

    /** The COW as a fresh engine loads it. */
    static Snapshot reload(BlockDevice originDevice, FaultInjectingBlockDevice cow) throws Exception {
        Origin again = new Origin(originDevice);
        Snapshot s = again.createSnapshot(TYPES, "P", "8", cow.durableImage(), again.sizeInSectors());
        s.activate();
        return s;
    }

    @Test
    void aSnapshotWriteOverManyChunksIsOneCommit() throws Exception {
        BlockDevice originDevice = SnapshotTest.origin(512);
        FaultInjectingBlockDevice cow = FaultInjectingBlockDevice.ofMemory("cow", 1024);
        Snapshot s = snapshot(new Origin(originDevice, log), "P", cow);
        long before = cow.flushes();
        // Sectors 4-139: a partial head (chunk 0), 16 whole chunks, a partial tail (chunk 17).
        write(s, 4, "W", 136);
        assertEquals(2, cow.flushes() - before, "one commit: flush, area, flush");
        assertEquals(18, s.exceptionCount());
        assertArrayEquals(pattern("ORIGIN", 0, 4), read(s, 0, 4));
        assertArrayEquals(pattern("W", 4, 136), read(s, 4, 136));
        assertArrayEquals(pattern("ORIGIN", 140, 4), read(s, 140, 4));
        // Already-broken chunks: one write for the run, no commit.
        long writes = cow.writes();
        before = cow.flushes();
        write(s, 8, "X", 128);
        assertEquals(1, cow.writes() - writes, "consecutive COW chunks in one write");
        assertEquals(0, cow.flushes() - before);
        s.flush(); // the writes after the commit are as durable as any write: until a flush
        Snapshot loaded = reload(originDevice, cow);
        assertEquals(18, loaded.exceptionCount());
        assertArrayEquals(pattern("W", 4, 4), read(loaded, 4, 4));
        assertArrayEquals(pattern("X", 8, 128), read(loaded, 8, 128));
        assertArrayEquals(pattern("W", 136, 4), read(loaded, 136, 4));
        assertEquals(List.of(), log.lines());
    }

    @Test
    void anOriginWriteOverManyChunksIsOneCommit() throws Exception {
        BlockDevice originDevice = SnapshotTest.origin(512);
        FaultInjectingBlockDevice cow = FaultInjectingBlockDevice.ofMemory("cow", 1024);
        Origin origin = new Origin(originDevice, log);
        Snapshot s = snapshot(origin, "P", cow);
        long before = cow.flushes();
        write(origin, 0, "O", 256);
        assertEquals(2, cow.flushes() - before);
        assertEquals(32, s.exceptionCount());
        assertArrayEquals(pattern("ORIGIN", 0, 256), read(s, 0, 256));
        assertArrayEquals(pattern("O", 0, 256), read(origin, 0, 256));
    }

    /**
     * While one writer's commit is writing its area, another writer allocates, writes its data and
     * queues its exceptions; the next commit covers both of its chunks.
     */
    @Test
    void writersAllocateAndCopyWhileACommitWritesItsArea() throws Exception {
        BlockDevice originDevice = SnapshotTest.origin(512);
        FaultInjectingBlockDevice cow = FaultInjectingBlockDevice.ofMemory("cow", 1024);
        Snapshot s = snapshot(new Origin(originDevice, log), "P", cow);
        CountDownLatch inCommit = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        AtomicBoolean armed = new AtomicBoolean(true);
        AtomicBoolean secondDataWritten = new AtomicBoolean();
        cow.hook((kind, sector, sectors) -> {
            if (kind == Kind.WRITE && sector == 8 && armed.getAndSet(false)) {
                inCommit.countDown();
                MergeTest.await(release);
            } else if (kind == Kind.WRITE && sector >= 24 && inCommit.getCount() == 0) {
                secondDataWritten.set(true);
            }
        });
        long before = cow.flushes();
        CompletableFuture<Void> first = CompletableFuture.runAsync(() -> writeQuietly(s, 80, "A", 8));
        assertTrue(inCommit.await(10, TimeUnit.SECONDS));
        CompletableFuture<Void> second = CompletableFuture.runAsync(() -> writeQuietly(s, 160, "B", 16));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!secondDataWritten.get() && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertTrue(secondDataWritten.get(), "the second writer allocated and wrote during the commit");
        assertFalse(first.isDone(), "the first write waits for its commit");
        assertFalse(second.isDone(), "the second write waits for the next commit");
        // Status reads the store's usage without waiting for the area write: 3 data chunks + 2 others.
        assertEquals("40/1024 16", s.status().format());
        release.countDown();
        first.get(10, TimeUnit.SECONDS);
        second.get(10, TimeUnit.SECONDS);
        assertEquals(4, cow.flushes() - before, "two commits for three exceptions");
        Snapshot loaded = reload(originDevice, cow);
        assertArrayEquals(pattern("A", 80, 8), read(loaded, 80, 8));
        assertArrayEquals(pattern("B", 160, 16), read(loaded, 160, 16));
        assertEquals(3, loaded.exceptionCount());
    }

    /**
     * A PO store that fills up in the middle of a request: the chunks before the one that found it
     * full are written and committed (the kernel's chunk bios stand alone), the rest are not, the
     * snapshot overflows and the request fails.
     */
    @Test
    void aRequestThatOverflowsMidwayKeepsTheChunksBeforeIt() throws Exception {
        BlockDevice originDevice = SnapshotTest.origin(512);
        // Header, area 0 and three data chunks.
        FaultInjectingBlockDevice cow = FaultInjectingBlockDevice.ofMemory("cow", 40);
        Snapshot s = snapshot(new Origin(originDevice, log), "PO", cow);
        write(s, 40, "E", 8); // chunk 5 has an exception already
        SnapshotIOException e = assertThrows(SnapshotIOException.class, () -> write(s, 0, "W", 48));
        assertTrue(e.getMessage().contains("Unable to allocate exception"), e.getMessage());
        assertEquals("Overflow", s.status().format());
        assertEquals(List.of(SnapshotTest.OVERFLOW), log.lines());
        assertArrayEquals(pattern("W", 0, 16), read(s, 0, 16));
        assertArrayEquals(pattern("ORIGIN", 16, 24), read(s, 16, 24));
        assertArrayEquals(pattern("E", 40, 8), read(s, 40, 8), "chunk 5 is after the failure: not written");
    }

    /** The same with P: the snapshot is invalidated, and the request fails. */
    @Test
    void aRequestThatFillsAPStoreMidwayInvalidates() throws Exception {
        FaultInjectingBlockDevice cow = FaultInjectingBlockDevice.ofMemory("cow", 40);
        Snapshot s = snapshot(new Origin(SnapshotTest.origin(512), log), "P", cow);
        assertThrows(SnapshotIOException.class, () -> write(s, 0, "W", 48));
        assertEquals("Invalid", s.status().format());
        assertEquals(List.of(SnapshotTest.NO_ALLOC), log.lines());
    }

    private static void writeQuietly(BlockDevice d, long sector, String tag, int count) {
        try {
            write(d, sector, tag, count);
        } catch (IOException e) {
            throw new RuntimeException(e);
        }
    }
}
