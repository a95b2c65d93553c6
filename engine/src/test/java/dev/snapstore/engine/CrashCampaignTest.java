package dev.snapstore.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.snapstore.spi.BlockDevice;
import dev.snapstore.spi.ChunkSize;
import dev.snapstore.spi.CommitCallback;
import dev.snapstore.spi.ExceptionSink;
import dev.snapstore.spi.ExceptionStore;
import dev.snapstore.spi.ExceptionStoreType;
import dev.snapstore.spi.KernelLog;
import dev.snapstore.spi.MemoryBlockDevice;
import dev.snapstore.spi.MergeRun;
import dev.snapstore.spi.MetadataState;
import dev.snapstore.spi.StoreContext;
import dev.snapstore.spi.StoreException;
import dev.snapstore.spi.StoreTypes;
import dev.snapstore.spi.Usage;
import dev.snapstore.testkit.FaultInjectingBlockDevice;
import dev.snapstore.testkit.SectorPattern;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Consumer;
import java.util.function.LongConsumer;
import org.junit.jupiter.api.Test;

/**
 * A power-loss campaign through the engine with the real persistent store, {@code P} and {@code PO}:
 * seeded workloads of origin writes, snapshot writes (partial and whole-chunk), reads, flushes,
 * reloads, COWs that fill up (invalidation, overflow) and a snapshot-merge started part way, on chunk
 * sizes of 1, 2 and 4 sectors so that the workloads cross many metadata areas. The origin and the COW
 * are {@link FaultInjectingBlockDevice}s that lose power together at one random write or flush
 * (counted over both devices); the crash points are drawn evenly from the categories below, so that
 * the rare ones (drops, area boundaries) get their share.
 *
 * <p>For each crash point the durable images a power loss could leave are built four ways (every
 * unflushed write lost, every one kept, a seeded subset, seeded torn sectors), applied to both
 * devices, and a fresh engine is started on them. Then:
 * <ul>
 *   <li>the COW header is either absent (new COW) or consistent; it says invalid only if a drop was
 *       started, and it must say invalid if a drop finished;</li>
 *   <li>the reloaded table holds at least every exception whose commit was reported before the
 *       interrupted operation, and at most what that operation would have added (merge steps: removed);</li>
 *   <li>every sector of the snapshot (read through a fresh {@link Snapshot}) and of the origin holds
 *       one of the values the model allows: the value at the last flush of both devices or any value
 *       written since, never anything else (the sector pattern names its tag and sector, so garbage,
 *       a misplaced chunk or a torn sector shows);</li>
 *   <li>merging the reloaded snapshot to the end (resuming an interrupted merge, or merging one that
 *       was not merging) leaves exactly the snapshot's content on the origin and an empty COW table.</li>
 * </ul>
 * A write counts as acknowledged durable once it returned and both devices were flushed after it,
 * as with a disk's volatile write cache; until then a crash may keep the old or the new value.
 *
 * <p>The number of crash points is {@value #CI_POINTS} in normal builds; {@code
 * -Dsnapstore.crash.points=10000} runs the full campaign in this same test, and {@code
 * -Dsnapstore.crash.seed=N} changes the base seed. A summary line goes to standard output.
 */
class CrashCampaignTest {

    static final int CI_POINTS = 500;
    static final long DEFAULT_SEED = 20261123L;
    static final int POINTS_PER_CONFIG = 16;
    static final int VARIANTS = 4;
    /** Looked up once: a ServiceLoader scan per run would cost more than the run. */
    static final StoreTypes TYPES = StoreTypes.load();

    /** What the I/O at a crash point belonged to; a later, more specific label wins. */
    enum Category {
        /** Data copies, origin and snapshot data writes, user flushes, COW initialisation. */
        OTHER,
        /** An exception commit: the flush, area write and flush of commit_exception. */
        COMMIT,
        /** A commit that filled its area: the next area zeroed, the current one written. */
        AREA_BOUNDARY,
        /** A merge step (or the offline merge): COW to origin copy, origin flush, commit_merge. */
        MERGE_STEP,
        /** An invalidation: drop_snapshot's header write and flush. */
        DROP
    }

    /** One workload: the store type, chunk size, sizes and length, all drawn from the seed. */
    record Config(long seed, String type, int cs, int originSectors, int cowSectors, int ops) {

        static Config of(long seed) {
            Random r = new Random(seed);
            String type = (seed & 1) == 0 ? "P" : "PO";
            int cs = new int[] {1, 1, 2, 2, 4}[r.nextInt(5)];
            int chunks = 90 + r.nextInt(90);
            int originSectors = chunks * cs + (cs > 1 && r.nextBoolean() ? cs / 2 : 0);
            int epa = cs * 32;
            int roomy = 2 + chunks + chunks / epa + 2;
            // Half of the COWs are too small, so that P invalidates and PO overflows.
            int cowChunks = r.nextInt(2) == 0 ? 12 + r.nextInt(chunks / 2) : roomy;
            return new Config(seed, type, cs, originSectors, cowChunks * cs, 45 + r.nextInt(60));
        }

        @Override
        public String toString() {
            return type + " cs=" + cs + " origin=" + originSectors + " cow=" + cowSectors + " ops=" + ops + " seed="
                    + seed;
        }
    }

    /** The shared power switch of both devices: counts writes and flushes, cuts the power at one. */
    static final class Power {
        final long crashAt;
        final List<Category> categories = new ArrayList<>();
        final List<FaultInjectingBlockDevice> devices = new ArrayList<>();
        Category phase = Category.OTHER;
        long count;
        boolean crashed;
        /** The I/O numbers at which to take a {@link Point} just before the I/O, without crashing. */
        Set<Long> capture = Set.of();

        LongConsumer sink = at -> {};

        Power(long crashAt) {
            this.crashAt = crashAt;
        }

        boolean test(FaultInjectingBlockDevice.Event e) {
            if (e.kind() == FaultInjectingBlockDevice.Kind.READ) {
                return false;
            }
            count++;
            categories.add(phase);
            if (capture.contains(count)) {
                sink.accept(count);
            }
            if (count == crashAt) {
                crashed = true;
                for (FaultInjectingBlockDevice d : devices) {
                    d.crashNow();
                }
                return true;
            }
            return false;
        }

        FaultInjectingBlockDevice attach(BlockDevice device) {
            FaultInjectingBlockDevice d = new FaultInjectingBlockDevice(device);
            d.failIf(this::test);
            devices.add(d);
            return d;
        }

        /** Relabels the I/O numbered {@code from + 1 .. count}. */
        void relabel(long from, Category category) {
            for (long i = from; i < count; i++) {
                if (categories.get((int) i).ordinal() < category.ordinal()) {
                    categories.set((int) i, category);
                }
            }
        }
    }

    /**
     * The model: per sector, the value the engine shows now ({@code cur}) and the values a power
     * loss may leave ({@code allowed}: the value at the last flush of both devices and every value
     * written since). {@code s} is the snapshot, {@code o} the origin; while merging, {@code o} is
     * the merged view.
     */
    static final class Model {
        final String[] sCur;
        final String[] oCur;
        final List<Set<String>> sAllowed = new ArrayList<>();
        final List<Set<String>> oAllowed = new ArrayList<>();

        Model(int sectors) {
            sCur = new String[sectors];
            oCur = new String[sectors];
            Arrays.fill(sCur, "ORIGIN");
            Arrays.fill(oCur, "ORIGIN");
            for (int i = 0; i < sectors; i++) {
                sAllowed.add(new HashSet<>(Set.of("ORIGIN")));
                oAllowed.add(new HashSet<>(Set.of("ORIGIN")));
            }
        }

        void synced() {
            for (int i = 0; i < sCur.length; i++) {
                sAllowed.set(i, new HashSet<>(Set.of(sCur[i])));
                oAllowed.set(i, new HashSet<>(Set.of(oCur[i])));
            }
        }

        void startedMerge() {
            for (int i = 0; i < sCur.length; i++) {
                oCur[i] = sCur[i];
                oAllowed.set(i, new HashSet<>(sAllowed.get(i)));
            }
        }
    }

    /** What a run left: the devices, the model, and what the engine had done by the crash. */
    static final class Outcome {
        final Config config;
        final Power power;
        final Model model;
        FaultInjectingBlockDevice originDev;
        FaultInjectingBlockDevice cowDev;
        boolean merging;
        boolean dropStarted;
        boolean dropDone;
        /** exceptionCount() before each operation, and after it in a run without a crash. */
        final List<Long> countBefore = new ArrayList<>();

        final List<Long> countAfter = new ArrayList<>();
        /** The operation the crash interrupted (-1: during the snapshot's creation). */
        int crashedOp = -1;

        Outcome(Config config, Power power) {
            this.config = config;
            this.power = power;
            this.model = new Model(config.originSectors());
        }
    }

    /**
     * What a power loss just before I/O number {@code at} leaves: the durable images of both devices
     * (every variant) and the model's state. Taking it during an uninterrupted run is the same as
     * crashing there, since nothing after the crash reaches the devices; a share of the points is
     * crashed for real as well and must give byte-identical images.
     */
    static final class Point {
        final long at;
        final int op;
        final long countBefore;
        final boolean merging;
        final boolean dropStarted;
        final boolean dropDone;
        final List<Set<String>> sAllowed = new ArrayList<>();
        final List<Set<String>> oAllowed = new ArrayList<>();
        final MemoryBlockDevice[] origins = new MemoryBlockDevice[VARIANTS];
        final MemoryBlockDevice[] cows = new MemoryBlockDevice[VARIANTS];

        Point(Outcome out, long at, boolean dropStarted) {
            this.at = at;
            this.op = out.crashedOp;
            this.countBefore = op >= 0 ? out.countBefore.get(op) : 0;
            this.merging = out.merging;
            this.dropStarted = dropStarted;
            this.dropDone = out.dropDone;
            for (Set<String> allowed : out.model.sAllowed) {
                sAllowed.add(new HashSet<>(allowed));
            }
            for (Set<String> allowed : out.model.oAllowed) {
                oAllowed.add(new HashSet<>(allowed));
            }
            long seed = out.config.seed() * 1_000_003L + at * 7;
            for (int v = 0; v < VARIANTS; v++) {
                origins[v] = image(out.originDev, v, seed + v);
                cows[v] = image(out.cowDev, v, ~(seed + v));
            }
        }
    }

    @Test
    void randomCrashPointsReloadToTheModel() throws Exception {
        int points = Integer.getInteger("snapstore.crash.points", CI_POINTS);
        long baseSeed = Long.getLong("snapstore.crash.seed", DEFAULT_SEED);
        long started = System.nanoTime();
        int threads = Integer.getInteger(
                "snapstore.crash.threads", Math.max(1, Runtime.getRuntime().availableProcessors()));
        Tally tally = new Tally();
        Map<Category, Integer> byCategory = tally.byCategory;
        TYPES.find("P").orElseThrow(); // the lookup, once, before the threads share it
        int done = 0;
        int configs = 0;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            // Workloads are independent; they run in waves on a few threads, in a fixed order of seeds.
            while (done < points) {
                List<Future<Integer>> wave = new ArrayList<>();
                int waveSize =
                        Math.max(1, Math.min(threads * 2, (points - done + POINTS_PER_CONFIG - 1) / POINTS_PER_CONFIG));
                for (int i = 0; i < waveSize; i++) {
                    Config config = Config.of(baseSeed * 1_000_003L + configs++);
                    wave.add(pool.submit(() -> campaign(config, tally)));
                }
                for (Future<Integer> f : wave) {
                    try {
                        done += f.get();
                    } catch (ExecutionException e) {
                        if (e.getCause() instanceof Error error) {
                            throw error;
                        }
                        throw e;
                    }
                }
            }
        } finally {
            pool.shutdownNow();
        }
        long millis = (System.nanoTime() - started) / 1_000_000;
        System.out.println("CrashCampaignTest: " + done + " crash points " + byCategory + " " + tally.byType + ", "
                + tally.images + " durable images checked (" + VARIANTS
                + " variants per point: none, all, subset, torn), "
                + tally.resumedMerges + " resumed merges, " + tally.invalidated + " invalidated reloads, "
                + tally.realCrashes + " points also crashed for real, " + configs + " workloads on " + threads
                + " threads, base seed " + baseSeed + ", " + millis + " ms");
        assertTrue(done >= points);
        for (Category category : Category.values()) {
            assertTrue(byCategory.getOrDefault(category, 0) > 0, "no crash point in " + category + ": " + byCategory);
        }
    }

    /** One workload: a reference run, a run that checks every chosen point, real crashes for some. */
    private static int campaign(Config config, Tally tally) throws Exception {
        Outcome reference = run(config, Long.MAX_VALUE, Set.of(), null);
        assertFalse(reference.power.crashed);
        List<Category> labels = reference.power.categories;
        Map<Category, List<Integer>> groups = new EnumMap<>(Category.class);
        for (int i = 0; i < labels.size(); i++) {
            groups.computeIfAbsent(labels.get(i), k -> new ArrayList<>()).add(i + 1);
        }
        List<Category> present = new ArrayList<>(groups.keySet());
        Random pick = new Random(config.seed() * 31 + 7);
        int offset = pick.nextInt(present.size());
        Set<Long> chosen = new TreeSet<>();
        int n = POINTS_PER_CONFIG;
        for (int j = 0; chosen.size() < Math.min(n, labels.size()) && j < n * 8; j++) {
            List<Integer> group = groups.get(present.get((offset + j) % present.size()));
            chosen.add((long) group.get(pick.nextInt(group.size())));
        }
        // Every chosen point is checked during one run; every eighth is also crashed for real.
        Set<Long> real = new HashSet<>();
        int k = 0;
        for (long at : chosen) {
            if (k++ % 8 == 0) {
                real.add(at);
            }
        }
        List<Saved> kept = new ArrayList<>();
        Outcome captured = run(config, Long.MAX_VALUE, chosen, point -> {
            String where = config + " crash at I/O " + point.at + " (" + labels.get((int) point.at - 1) + ", op "
                    + point.op + ")";
            if (real.contains(point.at)) {
                // Kept before the checks, which reload and merge on the images.
                try {
                    kept.add(new Saved(point, contents(point.origins), contents(point.cows)));
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
            for (int v = 0; v < VARIANTS; v++) {
                Check result;
                try {
                    result = check(point, config, reference.countAfter, v, where + " variant " + v);
                } catch (Exception e) {
                    throw new AssertionError(where + " variant " + v + ": " + e, e);
                }
                tally.image(result);
            }
            tally.point(labels.get((int) point.at - 1), config.type());
        });
        assertEquals(reference.power.count, captured.power.count, config + ": the run is not deterministic");
        for (Saved saved : kept) {
            Point point = saved.point();
            Outcome crash = run(config, point.at, Set.of(), null);
            String where = config + " real crash at I/O " + point.at;
            assertTrue(crash.power.crashed, where + ": no crash");
            assertEquals(point.op, crash.crashedOp, where);
            assertEquals(point.merging, crash.merging, where);
            assertEquals(point.dropStarted, crash.dropStarted, where);
            long seed = config.seed() * 1_000_003L + point.at * 7;
            for (int v = 0; v < VARIANTS; v++) {
                assertArrayEquals(
                        saved.origins()[v], contents(image(crash.originDev, v, seed + v)), where + " origin " + v);
                assertArrayEquals(saved.cows()[v], contents(image(crash.cowDev, v, ~(seed + v))), where + " cow " + v);
            }
            tally.realCrash();
        }
        return chosen.size();
    }

    /** The campaign's counts. */
    static final class Tally {
        final Map<Category, Integer> byCategory = new EnumMap<>(Category.class);
        final Map<String, Integer> byType = new TreeMap<>();
        int images;
        int resumedMerges;
        int invalidated;
        int realCrashes;

        synchronized void image(Check result) {
            images++;
            if (result == Check.RESUMED_MERGE) {
                resumedMerges++;
            } else if (result == Check.INVALID) {
                invalidated++;
            }
        }

        synchronized void point(Category category, String type) {
            byCategory.merge(category, 1, Integer::sum);
            byType.merge(type, 1, Integer::sum);
        }

        synchronized void realCrash() {
            realCrashes++;
        }
    }

    /** A point crashed for real as well, with its images as taken. */
    record Saved(Point point, byte[][] origins, byte[][] cows) {}

    private static byte[] contents(MemoryBlockDevice device) throws IOException {
        return SnapshotTest.read(device, 0, (int) device.sizeInSectors());
    }

    private static byte[][] contents(MemoryBlockDevice[] devices) throws IOException {
        byte[][] all = new byte[devices.length][];
        for (int i = 0; i < devices.length; i++) {
            all[i] = contents(devices[i]);
        }
        return all;
    }

    // --- the workload ---------------------------------------------------------------------------

    static Outcome run(Config config, long crashAt, Set<Long> capture, Consumer<Point> sink) throws Exception {
        Power power = new Power(crashAt);
        Outcome out = new Outcome(config, power);
        out.originDev = power.attach(device("origin", config.originSectors(), PATTERN));
        out.cowDev = power.attach(device("cow", config.cowSectors(), reusedCow(config.cowSectors(), config.seed())));
        PhaseStoreType phased = new PhaseStoreType(TYPES.find("P").orElseThrow(), power);
        if (sink != null) {
            power.capture = capture;
            power.sink = at -> sink.accept(new Point(out, at, phased.dropCalled));
        }
        StoreTypes types = StoreTypes.of(phased);
        String cs = String.valueOf(config.cs());
        int sectors = config.originSectors();
        Origin origin = new Origin(out.originDev, KernelLog.DISCARD);
        Snapshot snap;
        try {
            snap = origin.createSnapshot(types, config.type(), cs, out.cowDev, sectors);
        } catch (SnapshotTargetException e) {
            if (power.crashed) {
                return out;
            }
            throw e;
        }
        snap.activate();
        Random r = new Random(config.seed() ^ 0x5DEECE66DL);
        for (int op = 0; op < config.ops(); op++) {
            out.crashedOp = op;
            long before = snap.exceptionCount();
            out.countBefore.add(before);
            try {
                snap = step(r, op, out, origin, snap, types, cs, phased);
                origin = snap.origin();
            } catch (Exception e) {
                if (!power.crashed) {
                    throw new AssertionError(config + " op " + op + " failed without a crash", e);
                }
            }
            out.dropStarted = phased.dropCalled;
            if (power.crashed) {
                return out;
            }
            out.dropDone = phased.dropCalled;
            out.countAfter.add(snap.exceptionCount());
        }
        out.crashedOp = config.ops();
        return out;
    }

    /** One operation; returns the snapshot to use from now on (a reload replaces it). */
    private static Snapshot step(
            Random r,
            int op,
            Outcome out,
            Origin origin,
            Snapshot snap,
            StoreTypes types,
            String cs,
            PhaseStoreType phased)
            throws Exception {
        Model m = out.model;
        Config config = out.config;
        int sectors = config.originSectors();
        int chunk = config.cs();
        boolean snapUsable = snap.isValid() && !out.merging;
        int what = r.nextInt(100);
        if (what < 30) {
            // An origin write, up to three chunks long.
            int first = r.nextInt(sectors);
            int n = Math.min(1 + r.nextInt(3 * chunk), sectors - first);
            String tag = "o" + op;
            for (int s = first; s < first + n; s++) {
                m.oAllowed.get(s).add(tag);
            }
            SnapshotTest.write(origin, first, tag, n);
            for (int s = first; s < first + n; s++) {
                m.oCur[s] = tag;
            }
            return snap;
        }
        if (what < 60) {
            if (out.merging) {
                // Merge steps take the snapshot writes' share while merging.
                out.power.phase = Category.MERGE_STEP;
                try {
                    // Now and then the offline merge: everything at once, one flush, one commit.
                    if (r.nextInt(8) == 0) {
                        snap.mergeOffline(n -> {});
                    } else {
                        snap.mergeStep();
                    }
                } finally {
                    out.power.phase = Category.OTHER;
                }
                return snap;
            }
            if (!snapUsable || snap.isOverflowed()) {
                return snap;
            }
            // A snapshot write: whole chunks (start_full_bio) or any range.
            int first;
            int n;
            if (r.nextInt(3) == 0) {
                first = r.nextInt(sectors / chunk) * chunk;
                n = Math.min(chunk * (1 + r.nextInt(2)), sectors - first);
            } else {
                first = r.nextInt(sectors);
                n = Math.min(1 + r.nextInt(3 * chunk), sectors - first);
            }
            String tag = "s" + op;
            for (int s = first; s < first + n; s++) {
                m.sAllowed.get(s).add(tag);
            }
            try {
                SnapshotTest.write(snap, first, tag, n);
            } catch (SnapshotIOException e) {
                if (out.power.crashed) {
                    throw e;
                }
                // The COW is full: P invalidates, PO overflows with the pieces before the full one written.
                assertTrue(!snap.isValid() || snap.isOverflowed(), e::toString);
                if (snap.isValid()) {
                    byte[] got = SnapshotTest.read(snap, first, n);
                    for (int i = 0; i < n; i++) {
                        String t = tag(got, i, first + i);
                        assertTrue(t.equals(tag) || t.equals(m.sCur[first + i]), t);
                        m.sCur[first + i] = t;
                    }
                }
                return snap;
            }
            for (int s = first; s < first + n; s++) {
                m.sCur[s] = tag;
            }
            return snap;
        }
        if (what < 72) {
            // Flush both devices: what was written so far is durable.
            origin.flush();
            snap.flush();
            m.synced();
            return snap;
        }
        if (what < 84) {
            int first = r.nextInt(sectors);
            int n = Math.min(1 + r.nextInt(4 * chunk), sectors - first);
            boolean ofSnapshot = snapUsable && r.nextBoolean();
            byte[] got = SnapshotTest.read(ofSnapshot ? snap : origin, first, n);
            String[] cur = ofSnapshot ? m.sCur : m.oCur;
            for (int i = 0; i < n; i++) {
                assertEquals(
                        cur[first + i],
                        tag(got, i, first + i),
                        config + " op " + op + " read of " + (ofSnapshot ? "snapshot" : "origin") + " sector "
                                + (first + i));
            }
            return snap;
        }
        if (what < 92 || !snapUsable || op < config.ops() / 3) {
            // A reload without a crash: a new table on the same devices; a merging one merges on.
            snap.close();
            Origin again = new Origin(out.originDev, KernelLog.DISCARD);
            Snapshot reloaded = again.createSnapshot(types, config.type(), cs, out.cowDev, sectors);
            assertEquals(snap.isValid(), reloaded.isValid(), config + " op " + op + ": validity after a reload");
            reloaded.activate();
            if (out.merging) {
                reloaded.startMerge();
            }
            return reloaded;
        }
        // Start the merge.
        snap.startMerge();
        out.merging = true;
        m.startedMerge();
        return snap;
    }

    /** The origin's first content, {@link SectorPattern} with tag ORIGIN, as long as any origin here. */
    private static final byte[] PATTERN = SectorPattern.sectors("ORIGIN", 0, 200 * 4);

    /** A COW that held something else before: random bytes, but a zero magic, so it is taken as new. */
    static byte[] reusedCow(int sectors, long seed) {
        byte[] junk = new byte[sectors * ChunkSize.SECTOR_SIZE];
        new Random(~seed).nextBytes(junk);
        junk[0] = junk[1] = junk[2] = junk[3] = 0;
        return junk;
    }

    private static MemoryBlockDevice device(String name, int sectors, byte[] content) throws IOException {
        MemoryBlockDevice device = new MemoryBlockDevice(name, sectors);
        device.write(0, ByteBuffer.wrap(content, 0, sectors * ChunkSize.SECTOR_SIZE));
        return device;
    }

    // --- the checks -----------------------------------------------------------------------------

    enum Check {
        CHECKED,
        RESUMED_MERGE,
        INVALID
    }

    private static Check check(Point crash, Config config, List<Long> countAfter, int variant, String where)
            throws Exception {
        MemoryBlockDevice originImage = crash.origins[variant];
        MemoryBlockDevice cowImage = crash.cows[variant];
        int sectors = config.originSectors();

        // The header: absent (the COW was being created) or consistent.
        ByteBuffer header = ByteBuffer.allocate(ChunkSize.SECTOR_SIZE).order(ByteOrder.LITTLE_ENDIAN);
        cowImage.read(0, header);
        int magic = header.getInt(0);
        if (magic == 0) {
            assertEquals(-1, crash.op, where + ": the header vanished");
        } else {
            assertEquals(0x70416e53, magic, where + ": magic");
            int valid = header.getInt(4);
            assertTrue(valid == 0 || valid == 1, where + ": valid flag " + valid);
            assertEquals(1, header.getInt(8), where + ": version");
            assertEquals(config.cs(), header.getInt(12), where + ": chunk size");
        }

        Origin origin = new Origin(originImage, KernelLog.DISCARD);
        Snapshot snap;
        try {
            snap = origin.createSnapshot(TYPES, config.type(), String.valueOf(config.cs()), cowImage, sectors);
        } catch (SnapshotTargetException e) {
            throw new AssertionError(where + ": reload failed: " + e.getMessage() + " (" + e.innerMessage() + ")", e);
        }
        snap.activate();
        if (!snap.isValid()) {
            assertTrue(crash.dropStarted, where + ": invalid without a drop");
            assertFalse(crash.merging, where + ": invalid while merging");
            checkView(SnapshotTest.read(origin, 0, sectors), crash.oAllowed, where + ": origin");
            return Check.INVALID;
        }
        assertFalse(crash.dropDone, where + ": a finished drop did not stick");

        // Every exception acknowledged before the interrupted operation is there; at most what it adds.
        int op = crash.op;
        if (op >= 0 && !crash.dropStarted) {
            long before = crash.countBefore;
            long after = countAfter.get(op);
            long count = snap.exceptionCount();
            assertTrue(
                    count >= Math.min(before, after) && count <= Math.max(before, after),
                    where + ": " + count + " exceptions, expected between " + before + " and " + after);
        } else if (op < 0) {
            assertEquals(0, snap.exceptionCount(), where);
        }

        byte[] view = SnapshotTest.read(snap, 0, sectors);
        checkView(view, crash.merging ? crash.oAllowed : crash.sAllowed, where + ": snapshot");
        if (!crash.merging) {
            checkView(SnapshotTest.read(origin, 0, sectors), crash.oAllowed, where + ": origin");
        }

        // Merge to the end: the origin becomes the snapshot's content, the table empties.
        snap.startMerge();
        snap.mergeAll();
        assertTrue(snap.isMergeFinished(), where + ": merge did not finish");
        assertFalse(snap.isMergeFailed(), where + ": merge failed");
        assertEquals(0, snap.exceptionCount(), where);
        byte[] after = SnapshotTest.read(originImage, 0, sectors);
        if (!Arrays.equals(view, after)) {
            for (int s = 0; s < sectors; s++) {
                assertEquals(tag(view, s, s), tag(after, s, s), where + ": merged origin sector " + s);
            }
        }
        Usage usage = snap.usage();
        assertEquals(
                usage.metadataSectors(),
                usage.allocatedSectors(),
                where + ": " + snap.status().format());
        snap.close();
        ExceptionStore store = TYPES.create(
                config.type(), String.valueOf(config.cs()), cowImage, ChunkSize.SECTOR_SIZE, KernelLog.DISCARD);
        List<long[]> left = new ArrayList<>();
        assertEquals(MetadataState.VALID, store.readMetadata((o, n) -> left.add(new long[] {o, n})), where);
        assertEquals(0, left.size(), where + ": exceptions left after the merge");
        return crash.merging ? Check.RESUMED_MERGE : Check.CHECKED;
    }

    private static MemoryBlockDevice image(FaultInjectingBlockDevice dev, int variant, long seed) {
        return switch (variant) {
            case 0 -> dev.durableImage();
            case 1 -> dev.durableImage(w -> true);
            case 2 -> dev.durableImage(seed, false);
            default -> dev.durableImage(seed, true);
        };
    }

    private static void checkView(byte[] data, List<Set<String>> allowed, String where) {
        for (int s = 0; s < allowed.size(); s++) {
            String tag = tag(data, s, s);
            if (tag == null || !allowed.get(s).contains(tag)) {
                String shown = tag != null
                        ? tag
                        : new String(data, s * ChunkSize.SECTOR_SIZE, 40, StandardCharsets.US_ASCII).trim();
                throw new AssertionError(
                        where + " sector " + s + " holds '" + shown + "', allowed " + new TreeSet<>(allowed.get(s)));
            }
        }
    }

    /**
     * The tag of a pattern sector ({@link SectorPattern#sector}), or null when the sector is not
     * exactly the pattern of sector {@code sector} under some tag: garbage, another sector's data, or
     * torn. {@code index} is the sector's place in {@code data}.
     */
    static String tag(byte[] data, int index, long sector) {
        int base = index * ChunkSize.SECTOR_SIZE;
        int space = -1;
        for (int i = base; i < base + 40; i++) {
            if (data[i] == ' ') {
                space = i;
                break;
            }
        }
        if (space <= base) {
            return null;
        }
        int at = space + 1;
        long number = sector;
        for (int d = 11; d >= 0; d--) {
            if (data[at + d] != '0' + (int) (number % 10)) {
                return null;
            }
            number /= 10;
        }
        for (int i = at + 12; i < base + ChunkSize.SECTOR_SIZE - 1; i++) {
            if (data[i] != ' ') {
                return null;
            }
        }
        if (data[base + ChunkSize.SECTOR_SIZE - 1] != '\n') {
            return null;
        }
        return new String(data, base, space - base, StandardCharsets.US_ASCII);
    }

    /**
     * The real store type behind a wrapper that labels the I/O its stores do: commits, area
     * boundaries (a commit after which the store's metadata usage grew: the area filled) and drops.
     */
    static final class PhaseStoreType implements ExceptionStoreType {
        private final ExceptionStoreType inner;
        private final Power power;
        boolean dropCalled;

        PhaseStoreType(ExceptionStoreType inner, Power power) {
            this.inner = inner;
            this.power = power;
        }

        @Override
        public String name() {
            return inner.name();
        }

        @Override
        public String longName() {
            return inner.longName();
        }

        @Override
        public String description() {
            return inner.description();
        }

        @Override
        public boolean supportsMerge() {
            return inner.supportsMerge();
        }

        @Override
        public ExceptionStore create(StoreContext context, String options) throws StoreException {
            ExceptionStore store = inner.create(context, options);
            return new ExceptionStore() {
                @Override
                public int chunkSize() {
                    return store.chunkSize();
                }

                @Override
                public String typeWord() {
                    return store.typeWord();
                }

                @Override
                public boolean supportsOverflow() {
                    return store.supportsOverflow();
                }

                @Override
                public MetadataState readMetadata(ExceptionSink sink) throws StoreException {
                    return store.readMetadata(sink);
                }

                @Override
                public long prepareException(long oldChunk) {
                    return store.prepareException(oldChunk);
                }

                @Override
                public void commitException(long oldChunk, long newChunk, boolean copied, CommitCallback callback) {
                    Category saved = power.phase;
                    long from = power.count;
                    long metadata = store.usage().metadataSectors();
                    power.phase = Category.COMMIT;
                    try {
                        store.commitException(oldChunk, newChunk, copied, callback);
                    } finally {
                        power.phase = saved;
                    }
                    if (store.usage().metadataSectors() != metadata) {
                        power.relabel(from, Category.AREA_BOUNDARY);
                    }
                }

                @Override
                public Optional<MergeRun> prepareMerge() throws StoreException {
                    return store.prepareMerge();
                }

                @Override
                public void commitMerge(int count) throws StoreException {
                    store.commitMerge(count);
                }

                @Override
                public void commitMergeAll() throws StoreException {
                    store.commitMergeAll();
                }

                @Override
                public void dropSnapshot() {
                    // A drop tried after the power went cannot write anything; it did not start.
                    dropCalled |= !power.crashed;
                    Category saved = power.phase;
                    power.phase = Category.DROP;
                    try {
                        store.dropSnapshot();
                    } finally {
                        power.phase = saved;
                    }
                }

                @Override
                public Usage usage() {
                    return store.usage();
                }

                @Override
                public String tableStatus() {
                    return store.tableStatus();
                }

                @Override
                public void close() {
                    store.close();
                }
            };
        }
    }
}
