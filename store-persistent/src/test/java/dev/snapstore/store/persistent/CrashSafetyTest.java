package dev.snapstore.store.persistent;

import static dev.snapstore.store.persistent.Harness.Ex;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.snapstore.spi.BlockDevice;
import dev.snapstore.spi.ChunkSize;
import dev.snapstore.spi.ExceptionStore;
import dev.snapstore.spi.MemoryBlockDevice;
import dev.snapstore.spi.MergeRun;
import dev.snapstore.spi.MetadataState;
import dev.snapstore.spi.StoreException;
import dev.snapstore.testkit.FaultInjectingBlockDevice;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Power loss at every write and flush of a workload on a device full of old junk: batches of exceptions (data chunks written, then
 * committed), reloads, merge steps and running out of space, on chunk sizes of 1 and 2 sectors so
 * that areas of 32 or 64 records fill and roll over often. For each crash point the durable image
 * is built several ways (every unflushed write lost, every one kept, seeded subsets, torn sectors)
 * and reloaded. It must load, every exception reported committed must be there with its data, no
 * record may point at data that did not reach the device, and the store must remain usable.
 */
class CrashSafetyTest {

    /** The recorded history of one run, up to the crash. */
    static final class History {
        final Set<Ex> prepared = new HashSet<>();
        final Set<Ex> succeeded = new LinkedHashSet<>();
        final Set<Ex> merged = new HashSet<>();
        final Set<Ex> mergeInFlight = new HashSet<>();
        boolean dropStarted;
        long writes;
        long flushes;
    }

    @ParameterizedTest(name = "cs={0} seed={1}")
    @CsvSource({"1, 1", "1, 2", "2, 4", "2, 5"})
    void everyCrashPointLeavesAConsistentTable(int cs, long seed) throws Exception {
        int sectors = cs * (40 + new Random(seed).nextInt(200));
        History full = run(cs, seed, sectors, Long.MAX_VALUE);
        assertTrue(full.writes > 50, "workload too small: " + full.writes);
        assertFalse(full.succeeded.isEmpty());
        int checked = 0;
        // Crash points: every write, then every flush (a crash can fall between any two I/Os).
        for (long point = 1; point <= full.writes + full.flushes + 2; point++) {
            boolean atWrite = point <= full.writes + 1;
            long crashAt = atWrite ? point : point - full.writes - 1;
            FaultInjectingBlockDevice dev = new FaultInjectingBlockDevice(reusedDevice(sectors, seed));
            if (!atWrite) {
                dev.crashAtFlush(crashAt);
            }
            History h = run(dev, cs, seed, atWrite ? crashAt : Long.MAX_VALUE);
            List<MemoryBlockDevice> images = List.of(
                    dev.durableImage(),
                    dev.durableImage(w -> true),
                    dev.durableImage(seed * 31 + crashAt, false),
                    dev.durableImage(seed * 41 + crashAt, true));
            for (int v = 0; v < images.size(); v++) {
                check(
                        images.get(v),
                        cs,
                        h,
                        "cs=" + cs + " seed=" + seed + " crash at " + (atWrite ? "write " : "flush ") + crashAt
                                + " variant " + v);
                checked++;
            }
        }
        assertTrue(checked > 200);
    }

    static History run(int cs, long seed, int sectors, long crashAt) throws Exception {
        return run(new FaultInjectingBlockDevice(reusedDevice(sectors, seed)), cs, seed, crashAt);
    }

    /**
     * A COW device that held something else before, as a reused LV does: random bytes everywhere
     * except a zero magic, so it is taken as new. Only metadata the store zeroed may ever load.
     */
    static MemoryBlockDevice reusedDevice(int sectors, long seed) {
        byte[] junk = new byte[sectors * ChunkSize.SECTOR_SIZE];
        new Random(~seed).nextBytes(junk);
        junk[0] = junk[1] = junk[2] = junk[3] = 0;
        MemoryBlockDevice device = new MemoryBlockDevice("cow", sectors);
        Harness.write(device, 0, junk);
        return device;
    }

    /** Runs the seeded workload until it ends, the COW fills up, or the power goes. */
    static History run(FaultInjectingBlockDevice dev, int cs, long seed, long crashAt) throws Exception {
        dev.crashAtWrite(crashAt);
        History h = new History();
        Random random = new Random(seed);
        try {
            workload(dev, cs, random, h);
        } finally {
            h.writes = dev.writes();
            h.flushes = dev.flushes();
        }
        return h;
    }

    private static void workload(FaultInjectingBlockDevice dev, int cs, Random random, History h) throws Exception {
        PersistentStore store = Harness.open(dev, cs);
        if (!load(store, dev)) {
            return;
        }
        long old = 1000;
        boolean merging = false;
        for (int round = 0; round < 60; round++) {
            int action = random.nextInt(100);
            if (action < 12 || merging) {
                // Reload (a new table on the same COW); also ends a merge session.
                store = Harness.open(dev, cs);
                List<Ex> loaded = new ArrayList<>();
                try {
                    store.readMetadata((o, n) -> loaded.add(new Ex(o, n)));
                } catch (StoreException e) {
                    if (dev.crashed()) {
                        return;
                    }
                    throw e;
                }
                if (dev.crashed()) {
                    return;
                }
                assertEquals(new ArrayList<>(h.succeeded), loaded, "clean reload");
                merging = false;
                continue;
            }
            if (action < 25) {
                int steps = 1 + random.nextInt(4);
                for (int s = 0; s < steps; s++) {
                    Optional<MergeRun> run;
                    try {
                        run = store.prepareMerge();
                    } catch (StoreException e) {
                        return; // only the crash makes a read fail here
                    }
                    if (run.isEmpty()) {
                        break;
                    }
                    MergeRun r = run.get();
                    h.mergeInFlight.clear();
                    for (int i = 0; i < r.count(); i++) {
                        h.mergeInFlight.add(new Ex(r.lastOld() - i, r.lastNew() - i));
                    }
                    // (The engine copies these chunks to the origin here.)
                    try {
                        store.commitMerge(r.count());
                    } catch (StoreException e) {
                        return;
                    }
                    h.merged.addAll(h.mergeInFlight);
                    h.succeeded.removeAll(h.mergeInFlight);
                    h.mergeInFlight.clear();
                }
                merging = true; // no allocation after merging until a reload, as in dm-snap
                continue;
            }
            // A batch of exceptions in flight at once.
            int k = 1 + random.nextInt(6);
            List<Ex> batch = new ArrayList<>();
            boolean full = false;
            for (int i = 0; i < k; i++) {
                old += random.nextInt(3) == 0 ? 2 + random.nextInt(20) : 1;
                long c = store.prepareException(old);
                if (c == ExceptionStore.NO_SPACE) {
                    full = true;
                    break;
                }
                Ex e = new Ex(old, c);
                try {
                    dev.write(c * cs, ByteBuffer.wrap(data(e, cs)));
                } catch (IOException ioe) {
                    return; // the power went while copying
                }
                h.prepared.add(e);
                batch.add(e);
            }
            List<Boolean> outcomes = new ArrayList<>();
            for (Ex e : batch) {
                store.commitException(e.oldChunk(), e.newChunk(), true, ok -> {
                    outcomes.add(ok);
                    if (ok) {
                        h.succeeded.add(e);
                    }
                });
            }
            if (dev.crashed()) {
                return;
            }
            if (outcomes.contains(false) || full) {
                // dm-snap invalidates a P snapshot on a failed commit or a full COW.
                h.dropStarted = true;
                store.dropSnapshot();
                return;
            }
        }
    }

    private static boolean load(PersistentStore store, FaultInjectingBlockDevice dev) throws StoreException {
        try {
            assertEquals(MetadataState.VALID, store.readMetadata((o, n) -> {}));
            return true;
        } catch (StoreException e) {
            if (dev.crashed()) {
                return false;
            }
            throw e;
        }
    }

    /** What the workload writes into the data chunk of an exception: unique per (old, new). */
    static byte[] data(Ex e, int cs) {
        ByteBuffer b = ByteBuffer.allocate(cs * ChunkSize.SECTOR_SIZE);
        long v = e.oldChunk() * 0x9E3779B97F4A7C15L ^ e.newChunk();
        while (b.hasRemaining()) {
            b.putLong(v++);
        }
        return b.array();
    }

    private static void check(MemoryBlockDevice image, int cs, History h, String where) throws Exception {
        List<Ex> loaded = new ArrayList<>();
        PersistentStore store = Harness.open(image, cs);
        MetadataState state;
        try {
            state = store.readMetadata((o, n) -> loaded.add(new Ex(o, n)));
        } catch (StoreException e) {
            throw new AssertionError(where + ": load failed: " + e.getMessage(), e);
        }
        if (state == MetadataState.INVALIDATED) {
            assertTrue(h.dropStarted, where + ": invalid without a drop");
            return;
        }
        long chunks = image.sizeInSectors() / cs;
        int epa = cs * 32;
        Set<Long> newChunks = new HashSet<>();
        for (Ex e : loaded) {
            assertTrue(h.prepared.contains(e), () -> where + ": " + e + " was never prepared");
            assertTrue(
                    e.newChunk() >= 2 && e.newChunk() < chunks && e.newChunk() % (epa + 1) != 1,
                    () -> where + ": " + e);
            assertTrue(newChunks.add(e.newChunk()), () -> where + ": chunk used twice: " + e);
            assertArrayEquals(data(e, cs), Harness.read(image, e.newChunk() * cs, cs), () -> where + ": data of " + e);
            assertFalse(h.merged.contains(e), () -> where + ": merged exception came back: " + e);
        }
        Set<Ex> present = new HashSet<>(loaded);
        for (Ex e : h.succeeded) {
            if (!h.mergeInFlight.contains(e)) {
                assertTrue(present.contains(e), () -> where + ": committed exception lost: " + e);
            }
        }
        // Still usable: one more exception survives a reload.
        long old = 1L << 40;
        long c = store.prepareException(old);
        if (c != ExceptionStore.NO_SPACE) {
            Ex e = new Ex(old, c);
            Harness.write(image, c * cs, data(e, cs));
            Harness.commitNow(store, old, c);
            List<Ex> again = new ArrayList<>();
            Harness.openLoaded(image, cs, again);
            loaded.add(e);
            assertEquals(loaded, again, where + ": after one more commit");
        }
    }

    /** Sanity check of the harness itself: without a crash nothing is lost. */
    @ParameterizedTest
    @CsvSource({"1, 11", "2, 12"})
    void withoutACrashEverythingCommittedIsThere(int cs, long seed) throws Exception {
        FaultInjectingBlockDevice dev = new FaultInjectingBlockDevice(reusedDevice(cs * 300, seed));
        History h = run(dev, cs, seed, Long.MAX_VALUE);
        BlockDevice image = dev.durableImage();
        List<Ex> loaded = new ArrayList<>();
        PersistentStore store = Harness.open(image, cs);
        MetadataState state = store.readMetadata((o, n) -> loaded.add(new Ex(o, n)));
        if (state == MetadataState.INVALIDATED) {
            assertTrue(h.dropStarted);
        } else {
            assertEquals(new ArrayList<>(h.succeeded), loaded);
        }
        if (h.succeeded.isEmpty()) {
            fail("workload committed nothing");
        }
    }
}
