package dev.snapstore.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.snapstore.spi.BlockDevice;
import dev.snapstore.spi.ChunkSize;
import dev.snapstore.spi.ExceptionStore;
import dev.snapstore.spi.KernelLog;
import dev.snapstore.spi.MemoryBlockDevice;
import dev.snapstore.spi.MetadataState;
import dev.snapstore.spi.StoreTypes;
import dev.snapstore.spi.Usage;
import dev.snapstore.testkit.FaultInjectingBlockDevice;
import dev.snapstore.testkit.SectorPattern;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Many threads at once on one origin with two real persistent snapshots, {@code A} ({@code P}, chunk
 * size 4) and {@code B} ({@code PO}, chunk size 16): origin writes and reads, snapshot writes and
 * reads, and, part way through, a snapshot-merge of {@code A} run step by step while the other
 * threads go on writing and reading the origin and {@code B}.
 *
 * <p><b>The model.</b> Every write puts a unique tag into each sector it covers (the
 * {@link SectorPattern}, which also names the sector, so a torn or misplaced sector shows). Each
 * view (origin, A, B) keeps, per sector, every version written with the logical times its write
 * started and ended (one global counter). A read that ran from {@code r0} to {@code r1} may return a
 * version that started before {@code r1} and was not overwritten by a write that both started after
 * it ended and ended before {@code r0}: the per-sector linearizability of a register. Origin writes
 * never show in A or B; the start of the merge is a write of A's content to every origin sector.
 * At the end, quiescent, the origin and B must hold, sector by sector, a last version; A must be
 * merged completely with an empty COW table, and B must reload to the same content.
 *
 * <p>The operation count is bounded (never the time); {@code -Dsnapstore.stress.ops=N} sets the
 * operations per thread, {@code -Dsnapstore.stress.threads=N} the threads and {@code
 * -Dsnapstore.stress.seed=N} replaces the fixed seeds. A summary line goes to standard output.
 */
class StressTest {

    static final int SECTORS = 512;

    /** One write of one view: its tag and when it started and ended (logical time). */
    static final class Version {
        final String tag;
        final long start;
        volatile long end = Long.MAX_VALUE;

        Version(String tag, long start, long end) {
            this.tag = tag;
            this.start = start;
            this.end = end;
        }
    }

    /** The versions of one view, sector by sector. */
    static final class View {
        final String name;
        final List<List<Version>> sectors = new ArrayList<>();

        View(String name) {
            this.name = name;
            Version initial = new Version("ORIGIN", 0, 0);
            for (int s = 0; s < SECTORS; s++) {
                List<Version> list = new ArrayList<>();
                list.add(initial);
                sectors.add(list);
            }
        }

        void add(int sector, Version v) {
            List<Version> list = sectors.get(sector);
            synchronized (list) {
                list.add(v);
            }
        }

        /** Whether a read that ran from r0 to r1 may have returned {@code tag} for {@code sector}. */
        boolean allowed(int sector, String tag, long r0, long r1) {
            List<Version> list = sectors.get(sector);
            synchronized (list) {
                long lastDoneStart = Long.MIN_VALUE;
                for (Version w : list) {
                    if (w.end < r0 && w.start > lastDoneStart) {
                        lastDoneStart = w.start;
                    }
                }
                for (Version v : list) {
                    if (v.tag.equals(tag) && v.start < r1 && v.end >= lastDoneStart) {
                        return true;
                    }
                }
                return false;
            }
        }

        List<String> versions(int sector) {
            List<String> tags = new ArrayList<>();
            List<Version> list = sectors.get(sector);
            synchronized (list) {
                for (Version v : list) {
                    tags.add(v.tag + "[" + v.start + "," + (v.end == Long.MAX_VALUE ? "-" : v.end) + "]");
                }
            }
            return tags;
        }
    }

    final AtomicLong clock = new AtomicLong();
    final AtomicLong sectorsChecked = new AtomicLong();

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {11, 12})
    void threadsAndAMergeAgainstTheModel(long fixedSeed) throws Exception {
        long seed = Long.getLong("snapstore.stress.seed", fixedSeed);
        int threads = Integer.getInteger("snapstore.stress.threads", 4);
        int opsPerThread = Integer.getInteger("snapstore.stress.ops", 500);
        long started = System.nanoTime();
        StoreTypes types = StoreTypes.load();
        MemoryBlockDevice originDevice = SnapshotTest.origin(SECTORS);
        Random jitterSeed = new Random(seed);
        FaultInjectingBlockDevice jittered = FaultInjectingBlockDevice.passThrough(originDevice);
        jittered.hook((w, s, n) -> {
            if (jitterSeed.nextInt(4) == 0) {
                Thread.yield();
            }
        });
        Origin origin = new Origin(jittered, KernelLog.DISCARD);
        MemoryBlockDevice cowA = new MemoryBlockDevice("cowA", 4096);
        MemoryBlockDevice cowB = new MemoryBlockDevice("cowB", 4096);
        Snapshot a = origin.createSnapshot(types, "P", "4", cowA, SECTORS);
        Snapshot b = origin.createSnapshot(types, "PO", "16", cowB, SECTORS);
        a.activate();
        b.activate();
        View o = new View("origin");
        View va = new View("A");
        View vb = new View("B");

        CountDownLatch doneWithA = new CountDownLatch(threads);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        List<Future<Integer>> results = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int me = t;
            results.add(pool.submit(() -> {
                Random random = new Random(seed * 1000 + me);
                int aPhase = opsPerThread / 3;
                boolean counted = false;
                try {
                    for (int op = 0; op < opsPerThread; op++) {
                        if (op == aPhase) {
                            doneWithA.countDown();
                            counted = true;
                        }
                        boolean withA = op < aPhase;
                        int what = random.nextInt(100);
                        String tag = "t" + me + "." + op;
                        if (what < 30) {
                            write(origin, o, random, tag);
                        } else if (what < 45) {
                            write(b, vb, random, tag);
                        } else if (what < 55 && withA) {
                            write(a, va, random, tag);
                        } else if (what < 70) {
                            read(origin, o, random);
                        } else if (what < 85 || !withA) {
                            read(b, vb, random);
                        } else {
                            read(a, va, random);
                        }
                    }
                } finally {
                    if (!counted) {
                        doneWithA.countDown();
                    }
                }
                return opsPerThread;
            }));
        }

        // Part way: every thread is done with A; merge A while the others go on.
        assertTrue(doneWithA.await(10, TimeUnit.MINUTES), "threads did not reach the merge");
        byte[] finalA = SnapshotTest.read(a, 0, SECTORS);
        long m0 = clock.incrementAndGet();
        String[] merged = new String[SECTORS];
        for (int s = 0; s < SECTORS; s++) {
            merged[s] = CrashCampaignTest.tag(finalA, s, s);
            assertNotNull(merged[s], "A sector " + s);
            assertTrue(va.allowed(s, merged[s], m0, m0), () -> "A's final content");
        }
        // The merge's start writes A's content to the whole origin view, in one step.
        Version[] mergeStart = new Version[SECTORS];
        for (int s = 0; s < SECTORS; s++) {
            mergeStart[s] = new Version(merged[s], m0, Long.MAX_VALUE);
            o.add(s, mergeStart[s]);
        }
        a.startMerge();
        long m1 = clock.incrementAndGet();
        for (Version v : mergeStart) {
            v.end = m1;
        }
        long chunksMerged = 0;
        int steps = 0;
        int n;
        while ((n = a.mergeStep()) > 0) {
            chunksMerged += n;
            steps++;
        }
        int ops = 0;
        try {
            for (Future<Integer> f : results) {
                ops += f.get(30, TimeUnit.MINUTES);
            }
        } finally {
            pool.shutdownNow();
        }
        assertTrue(a.isMergeFinished(), "merge finished");
        assertFalse(a.isMergeFailed());
        assertEquals(0, a.exceptionCount());
        Usage usage = a.usage();
        assertEquals(
                usage.metadataSectors(), usage.allocatedSectors(), a.status().format());
        assertTrue(b.isValid() && !b.isOverflowed(), b.status().format());

        // Quiescent: the origin (device and target) and B hold a last version in every sector.
        long end = clock.incrementAndGet();
        byte[] originNow = SnapshotTest.read(originDevice, 0, SECTORS);
        byte[] originRead = SnapshotTest.read(origin, 0, SECTORS);
        byte[] bNow = SnapshotTest.read(b, 0, SECTORS);
        for (int s = 0; s < SECTORS; s++) {
            checkLast(o, s, originNow, end);
            checkLast(o, s, originRead, end);
            checkLast(vb, s, bNow, end);
        }
        origin.close();

        // B reloads to the same content on a fresh engine; A's COW is empty.
        Origin again = new Origin(originDevice, KernelLog.DISCARD);
        Snapshot reloaded = again.createSnapshot(types, "PO", "16", cowB, SECTORS);
        reloaded.activate();
        assertTrue(Arrays.equals(bNow, SnapshotTest.read(reloaded, 0, SECTORS)), "B after a reload");
        ExceptionStore storeA = types.create("P", "4", cowA, ChunkSize.SECTOR_SIZE, KernelLog.DISCARD);
        List<Long> left = new ArrayList<>();
        assertEquals(MetadataState.VALID, storeA.readMetadata((old, cow) -> left.add(old)));
        assertEquals(List.of(), left, "A's table after the merge");
        again.close();

        long millis = (System.nanoTime() - started) / 1_000_000;
        System.out.println("StressTest seed " + seed + ": " + threads + " threads, " + ops + " operations, "
                + sectorsChecked.get() + " sector reads checked, merge of " + chunksMerged + " chunks in " + steps
                + " steps under load, " + millis + " ms");
        assertEquals(threads * opsPerThread, ops);
    }

    private void write(BlockDevice target, View view, Random random, String tag) throws Exception {
        int n = 1 + random.nextInt(24);
        int first = random.nextInt(SECTORS - n);
        Version v = new Version(tag, clock.incrementAndGet(), Long.MAX_VALUE);
        for (int s = first; s < first + n; s++) {
            view.add(s, v);
        }
        target.write(first, ByteBuffer.wrap(SectorPattern.sectors(tag, first, n)));
        v.end = clock.incrementAndGet();
    }

    private void read(BlockDevice target, View view, Random random) throws Exception {
        int n = 1 + random.nextInt(32);
        int first = random.nextInt(SECTORS - n);
        long r0 = clock.incrementAndGet();
        byte[] got = SnapshotTest.read(target, first, n);
        long r1 = clock.incrementAndGet();
        for (int i = 0; i < n; i++) {
            int s = first + i;
            String tag = CrashCampaignTest.tag(got, i, s);
            if (tag == null || !view.allowed(s, tag, r0, r1)) {
                throw new AssertionError(view.name + " sector " + s + " read in [" + r0 + "," + r1 + "] shows '"
                        + (tag == null ? "garbage" : tag) + "'; versions " + view.versions(s));
            }
        }
        sectorsChecked.addAndGet(n);
    }

    private void checkLast(View view, int s, byte[] data, long now) {
        String tag = CrashCampaignTest.tag(data, s, s);
        if (tag == null || !view.allowed(s, tag, now, now)) {
            throw new AssertionError(
                    view.name + " sector " + s + " ends as '" + tag + "'; versions " + view.versions(s));
        }
        sectorsChecked.incrementAndGet();
    }
}
