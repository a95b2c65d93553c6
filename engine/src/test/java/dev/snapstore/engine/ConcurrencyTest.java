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
import dev.snapstore.spi.MemoryBlockDevice;
import dev.snapstore.spi.StoreTypes;
import dev.snapstore.testkit.CapturingLog;
import dev.snapstore.testkit.FaultInjectingBlockDevice;
import dev.snapstore.testkit.FaultInjectingBlockDevice.Kind;
import dev.snapstore.testkit.SectorPattern;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The engine under many threads: tracked origin reads, in-order commits, and randomized stress. */
class ConcurrencyTest {

    final CapturingLog log = new CapturingLog();

    /**
     * An origin chunk is not overwritten while a snapshot read of it is served from the origin
     * (track_chunk, and pending_complete's wait for conflicting reads).
     */
    @Test
    void anOriginWriteWaitsForSnapshotReadsOfTheOldData() throws Exception {
        FaultInjectingBlockDevice originDevice = FaultInjectingBlockDevice.passThrough(SnapshotTest.origin(64));
        Origin origin = new Origin(originDevice, log);
        Snapshot s = origin.createSnapshot(StoreTypes.load(), "N", "8", new MemoryBlockDevice("cow", 1024), 64);
        s.activate();
        CountDownLatch reading = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        AtomicBoolean first = new AtomicBoolean(true);
        originDevice.hook((kind, sector, sectors) -> {
            if (kind == Kind.READ && sector == 16 && first.getAndSet(false)) {
                reading.countDown();
                MergeTest.await(release);
            }
        });
        CompletableFuture<byte[]> snapshotRead = CompletableFuture.supplyAsync(() -> {
            try {
                return read(s, 16, 8);
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        });
        assertTrue(reading.await(10, TimeUnit.SECONDS));
        CompletableFuture<Void> originWrite = CompletableFuture.runAsync(() -> {
            try {
                write(origin, 16, "NEW", 8);
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        });
        Thread.sleep(200);
        assertFalse(originWrite.isDone(), "the origin write waits for the tracked read");
        assertEquals(0, originDevice.writes(), "the origin chunk is untouched");
        assertEquals(1, s.exceptionCount(), "the copy is done and committed meanwhile");
        release.countDown();
        assertArrayEquals(pattern("ORIGIN", 16, 8), snapshotRead.get(10, TimeUnit.SECONDS));
        originWrite.get(10, TimeUnit.SECONDS);
        assertArrayEquals(pattern("NEW", 16, 8), read(origin, 16, 8));
        assertArrayEquals(pattern("ORIGIN", 16, 8), read(s, 16, 8));
    }

    /**
     * A snapshot read of several origin chunks is one device read and one tracked run: an origin
     * write to a chunk inside the run (not only its first) waits for it; one outside does not.
     */
    @Test
    void anOriginWriteWaitsForAJoinedReadCoveringItsChunk() throws Exception {
        FaultInjectingBlockDevice originDevice = FaultInjectingBlockDevice.passThrough(SnapshotTest.origin(64));
        Origin origin = new Origin(originDevice, log);
        Snapshot s = origin.createSnapshot(StoreTypes.load(), "N", "8", new MemoryBlockDevice("cow", 1024), 64);
        s.activate();
        CountDownLatch reading = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        AtomicBoolean first = new AtomicBoolean(true);
        originDevice.hook((kind, sector, sectors) -> {
            if (kind == Kind.READ && sector == 8 && sectors == 32 && first.getAndSet(false)) {
                reading.countDown();
                MergeTest.await(release);
            }
        });
        CompletableFuture<byte[]> snapshotRead = CompletableFuture.supplyAsync(() -> {
            try {
                return read(s, 8, 32); // chunks 1-4 in one run
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        });
        assertTrue(reading.await(10, TimeUnit.SECONDS));
        write(origin, 48, "AFTER", 8); // chunk 6: not tracked, not held up
        CompletableFuture<Void> originWrite = CompletableFuture.runAsync(() -> {
            try {
                write(origin, 24, "NEW", 8); // chunk 3: the middle of the run
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        });
        Thread.sleep(200);
        assertFalse(originWrite.isDone(), "the origin write waits for the tracked run");
        assertEquals(2, s.exceptionCount(), "both copies are done and committed meanwhile");
        release.countDown();
        assertArrayEquals(pattern("ORIGIN", 8, 32), snapshotRead.get(10, TimeUnit.SECONDS));
        originWrite.get(10, TimeUnit.SECONDS);
        assertArrayEquals(pattern("NEW", 24, 8), read(origin, 24, 8));
        assertArrayEquals(pattern("AFTER", 48, 8), read(origin, 48, 8));
        assertArrayEquals(pattern("ORIGIN", 8, 32), read(s, 8, 32));
        assertArrayEquals(pattern("ORIGIN", 48, 8), read(s, 48, 8));
    }

    /**
     * A snapshot write that needs a new exception lands in the COW only after the store reported
     * the exception committed; until then reads of the chunk still come from the origin.
     */
    @Test
    void queuedSnapshotWritesWaitForTheCommit() throws Exception {
        WrappingStoreType watched =
                new WrappingStoreType(StoreTypes.load().find("N").orElseThrow());
        MemoryBlockDevice cow = new MemoryBlockDevice("cow", 1024);
        Origin origin = new Origin(SnapshotTest.origin(64), log);
        Snapshot s = origin.createSnapshot(StoreTypes.of(watched), "N", "8", cow, 64);
        s.activate();
        CountDownLatch committing = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        watched.beforeCommit = () -> {
            committing.countDown();
            MergeTest.await(release);
        };
        CompletableFuture<Void> snapshotWrite = CompletableFuture.runAsync(() -> {
            try {
                write(s, 17, "SNAP", 1);
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        });
        assertTrue(committing.await(10, TimeUnit.SECONDS));
        // The copy is in the COW (transient chunk 0), the write is not.
        assertArrayEquals(pattern("ORIGIN", 16, 8), read(cow, 0, 8));
        assertArrayEquals(pattern("ORIGIN", 17, 1), read(s, 17, 1));
        release.countDown();
        snapshotWrite.get(10, TimeUnit.SECONDS);
        assertArrayEquals(pattern("SNAP", 17, 1), read(s, 17, 1));
        assertArrayEquals(pattern("SNAP", 17, 1), read(cow, 1, 1));
        assertEquals(List.of(), log.lines());
    }

    @Test
    void aFailedCommitFailsTheQueuedWritesAndInvalidates() throws Exception {
        WrappingStoreType watched =
                new WrappingStoreType(StoreTypes.load().find("N").orElseThrow());
        Origin origin = new Origin(SnapshotTest.origin(64), log);
        Snapshot s = origin.createSnapshot(StoreTypes.of(watched), "N", "8", new MemoryBlockDevice("cow", 1024), 64);
        s.activate();
        watched.failCommits = true;
        assertThrows(SnapshotIOException.class, () -> write(s, 17, "SNAP", 1));
        assertEquals("Invalid", s.status().format());
        assertEquals(List.of(SnapshotTest.IO_ERROR), log.lines());
        write(origin, 40, "O", 8); // origin writes go on
        assertArrayEquals(pattern("O", 40, 8), read(origin, 40, 8));
    }

    /**
     * Randomized stress with fixed seeds: threads write the origin, write and read three snapshots
     * of different chunk sizes and store types at once. A snapshot never shows data written to the
     * origin after it was taken; each thread reads back its own snapshot writes exactly; stores are
     * never entered by two threads; commits come in allocation order; and the persistent double
     * reloads to the same content.
     */
    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3})
    void stress(long seed) throws Exception {
        int threads = 4;
        long originSectors = 1024;
        int region = 256; // snapshot writes go to sectors [0, region); sector s belongs to thread (s/2) % threads
        MemoryBlockDevice originDevice = SnapshotTest.origin(originSectors);
        SimPersistentStoreType simType = new SimPersistentStoreType();
        WrappingStoreType simWatched = new WrappingStoreType(simType);
        WrappingStoreType nWatched =
                new WrappingStoreType(StoreTypes.load().find("N").orElseThrow());
        Origin origin = new Origin(jittered(originDevice), log);
        MemoryBlockDevice cowP = new MemoryBlockDevice("cowP", 8192);
        List<Snapshot> snaps = List.of(
                origin.createSnapshot(StoreTypes.of(simWatched), "P", "8", cowP, originSectors),
                origin.createSnapshot(
                        StoreTypes.of(nWatched), "N", "4", new MemoryBlockDevice("cowN", 8192), originSectors),
                origin.createSnapshot(
                        StoreTypes.of(simWatched),
                        "PO",
                        "16",
                        new MemoryBlockDevice("cowPO", 8192),
                        originSectors - 40));
        snaps.forEach(Snapshot::activate);
        // expected[snapshot][sector]: the tag a snapshot must show; only the owner thread changes it.
        String[][] expected = new String[snaps.size()][(int) originSectors];
        for (String[] e : expected) {
            Arrays.fill(e, "ORIGIN");
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(1500);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        List<Future<Integer>> results = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int me = t;
            results.add(pool.submit(() -> {
                Random random = new Random(seed * 1000 + me);
                int ops = 0;
                // At least 250 operations each, more while time allows (the deadline only bounds the
                // run on a fast machine; a loaded one still does the minimum).
                for (; ops < 3000 && (ops < 250 || System.nanoTime() < deadline); ops++) {
                    int what = random.nextInt(10);
                    int si = random.nextInt(snaps.size());
                    Snapshot snap = snaps.get(si);
                    if (what < 3) {
                        int n = 1 + random.nextInt(20);
                        long sector = random.nextInt((int) originSectors - n);
                        write(origin, sector, "T" + me + ":" + ops, n);
                    } else if (what < 6) {
                        // A snapshot write to this thread's own sectors, a pair at a time.
                        int pairs = 1 + random.nextInt(3);
                        long pair = random.nextInt(region / 2 / threads - pairs) * threads + me;
                        for (int p = 0; p < pairs; p++) {
                            long sector = (pair + (long) p * threads) * 2;
                            String tag = "S" + me + ":" + ops;
                            write(snap, sector, tag, 2);
                            expected[si][(int) sector] = tag;
                            expected[si][(int) sector + 1] = tag;
                        }
                    } else if (what < 9) {
                        int n = 1 + random.nextInt(32);
                        long sector = random.nextInt((int) snap.sizeInSectors() - n);
                        byte[] got = read(snap, sector, n);
                        for (int i = 0; i < n; i++) {
                            int at = (int) sector + i;
                            String tag = tagOf(got, i, at);
                            boolean mine = at < region && (at / 2) % threads == me;
                            if (mine || at >= region) {
                                assertEquals(expected[si][at], tag, "snapshot " + si + " sector " + at);
                            } else {
                                assertTrue(
                                        tag.equals("ORIGIN") || tag.startsWith("S" + (at / 2) % threads + ":"),
                                        "snapshot " + si + " sector " + at + " shows " + tag);
                            }
                        }
                    } else {
                        int n = 1 + random.nextInt(32);
                        long sector = random.nextInt((int) originSectors - n);
                        byte[] got = read(origin, sector, n);
                        for (int i = 0; i < n; i++) {
                            String tag = tagOf(got, i, sector + i);
                            assertTrue(tag.equals("ORIGIN") || tag.startsWith("T"), tag);
                        }
                    }
                }
                return ops;
            }));
        }
        int total = 0;
        for (Future<Integer> f : results) {
            total += f.get(60, TimeUnit.SECONDS);
        }
        pool.shutdown();
        assertTrue(total >= 1000, "ran " + total + " operations");

        for (int si = 0; si < snaps.size(); si++) {
            Snapshot snap = snaps.get(si);
            byte[] all = read(snap, 0, (int) snap.sizeInSectors());
            for (int s = 0; s < snap.sizeInSectors(); s++) {
                assertEquals(expected[si][s], tagOf(all, s, s), "snapshot " + si + " sector " + s);
            }
            assertTrue(snap.isValid());
        }
        for (WrappingStoreType w : List.of(simWatched, nWatched)) {
            assertFalse(w.overlapped, "two threads were inside a store at once");
        }
        // Per store instance the commits follow allocation order; the double keeps its records so.
        assertEquals(new ArrayList<>(nWatched.prepared), new ArrayList<>(nWatched.committed));
        assertIncreasing(simType.disk(cowP).records);
        assertEquals(List.of(), log.lines());

        // The persistent double reloads to the same content.
        origin.close();
        Origin again = new Origin(originDevice, log);
        Snapshot reloaded = again.createSnapshot(StoreTypes.of(simType), "P", "8", cowP, originSectors);
        reloaded.activate();
        byte[] all = read(reloaded, 0, (int) originSectors);
        for (int s = 0; s < originSectors; s++) {
            assertEquals(expected[0][s], tagOf(all, s, s), "reloaded sector " + s);
        }
    }

    /**
     * A merge running while other threads write and read the origin and read another snapshot: the
     * origin always shows the merging snapshot's content plus the writes made since; the other
     * snapshot never changes.
     */
    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {7, 8})
    void mergeUnderLoad(long seed) throws Exception {
        int threads = 3;
        int sectors = 1024;
        MemoryBlockDevice originDevice = SnapshotTest.origin(sectors);
        SimPersistentStoreType simType = new SimPersistentStoreType();
        Origin origin = new Origin(jittered(originDevice), log);
        Snapshot merging =
                origin.createSnapshot(StoreTypes.of(simType), "P", "8", new MemoryBlockDevice("m", 8192), sectors);
        Snapshot other = origin.createSnapshot(
                StoreTypes.of(simType, StoreTypes.load().find("N").orElseThrow()),
                "N",
                "4",
                new MemoryBlockDevice("o", 8192),
                sectors);
        merging.activate();
        other.activate();
        Random setup = new Random(seed);
        for (int i = 0; i < 60; i++) {
            int n = 1 + setup.nextInt(16);
            long sector = setup.nextInt(sectors - n);
            write(setup.nextBoolean() ? origin : merging, sector, "P" + i, n);
        }
        String[] view = new String[sectors];
        byte[] v = read(merging, 0, sectors);
        for (int s = 0; s < sectors; s++) {
            view[s] = tagOf(v, s, s);
        }
        String[] initial = view.clone();
        byte[] otherView = read(other, 0, sectors);
        merging.startMerge();
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        AtomicBoolean done = new AtomicBoolean();
        List<Future<Integer>> results = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int me = t;
            results.add(pool.submit(() -> {
                Random random = new Random(seed * 100 + me);
                int ops = 0;
                while ((!done.get() || ops < 200) && ops < 20000) {
                    ops++;
                    if (random.nextInt(3) == 0) {
                        // Write this thread's sectors (s % threads == me).
                        int count = 1 + random.nextInt(4);
                        long first = random.nextInt(sectors / threads - count);
                        for (int i = 0; i < count; i++) {
                            long sector = (first + i) * threads + me;
                            String tag = "W" + me + ":" + ops;
                            write(origin, sector, tag, 1);
                            view[(int) sector] = tag;
                        }
                    } else if (random.nextBoolean()) {
                        int n = 1 + random.nextInt(32);
                        long sector = random.nextInt(sectors - n);
                        byte[] got = read(origin, sector, n);
                        for (int i = 0; i < n; i++) {
                            int at = (int) sector + i;
                            String tag = tagOf(got, i, at);
                            if (at % threads == me) {
                                assertEquals(view[at], tag, "origin sector " + at);
                            } else {
                                assertTrue(
                                        tag.equals(initial[at]) || tag.startsWith("W" + at % threads + ":"),
                                        "origin sector " + at + " shows " + tag);
                            }
                        }
                    } else {
                        int n = 1 + random.nextInt(32);
                        long sector = random.nextInt(sectors - n);
                        assertArrayEquals(
                                Arrays.copyOfRange(otherView, (int) sector * 512, (int) (sector + n) * 512),
                                read(other, sector, n));
                    }
                }
                return ops;
            }));
        }
        try {
            long merged = 0;
            int n;
            while ((n = merging.mergeStep()) > 0) {
                merged += n;
                Thread.sleep(1);
            }
            assertTrue(merged > 0);
            assertTrue(merging.isMergeFinished());
        } finally {
            done.set(true);
            for (Future<Integer> f : results) {
                f.get(60, TimeUnit.SECONDS);
            }
            pool.shutdown();
        }
        byte[] all = read(originDevice, 0, sectors);
        for (int s = 0; s < sectors; s++) {
            assertEquals(view[s], tagOf(all, s, s), "origin sector " + s);
        }
        assertArrayEquals(otherView, read(other, 0, sectors));
        assertEquals("16/8192 16", merging.status().format());
        assertEquals(List.of(), log.lines());
    }

    /** A device that spins a little before each transfer, to vary the interleavings. */
    static FaultInjectingBlockDevice jittered(BlockDevice device) {
        FaultInjectingBlockDevice d = FaultInjectingBlockDevice.passThrough(device);
        d.hook((w, s, n) -> {
            int spins = ThreadLocalRandom.current().nextInt(2000);
            for (int i = 0; i < spins; i++) {
                Thread.onSpinWait();
            }
        });
        return d;
    }

    private static void assertIncreasing(List<long[]> records) {
        for (int i = 1; i < records.size(); i++) {
            assertTrue(records.get(i)[1] > records.get(i - 1)[1], "records out of allocation order at " + i);
        }
    }

    /** The tag of a pattern sector, checking that it was written for this sector number. */
    static String tagOf(byte[] data, int index, long sector) {
        String text = new String(data, index * 512, 40, StandardCharsets.US_ASCII);
        String suffix = String.format(" %012d", sector);
        int at = text.indexOf(suffix);
        assertTrue(at > 0, "sector " + sector + " holds '" + text.trim() + "'");
        byte[] whole = Arrays.copyOfRange(data, index * 512, index * 512 + 512);
        String tag = text.substring(0, at);
        assertArrayEquals(SectorPattern.sector(tag, sector), whole, "torn sector " + sector);
        return tag;
    }
}
