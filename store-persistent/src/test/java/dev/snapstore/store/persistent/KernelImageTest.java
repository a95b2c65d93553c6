package dev.snapstore.store.persistent;

import static dev.snapstore.store.persistent.Harness.Ex;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.snapstore.spi.ExceptionStore;
import dev.snapstore.spi.MemoryBlockDevice;
import dev.snapstore.spi.MetadataState;
import dev.snapstore.testkit.FixtureWrite;
import dev.snapstore.testkit.Fixtures;
import dev.snapstore.testkit.Hashes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The store against the COW images a real Linux 6.1 kernel wrote (../shared/fixtures): what it
 * loads from them, and what it writes when it is fed the same exceptions. Every fixture with a
 * persistent COW image goes through the same code; the fixture texts are read from disk.
 */
class KernelImageTest {

    /** Every fixture that saved a persistent COW image as cow-final.img.xz. */
    static final String[] COW_FIXTURES = {
        "s2-persistent-P-cs16", "s2-persistent-P-cs8", "s2-persistent-PO-cs8",
        "s4-overflow-a-PO-snap-writes", "s4-overflow-b-P-snap-writes", "s5-merge-handover-P-cs8",
    };

    private static final Pattern SNAP_TABLE = Pattern.compile("--table \"0 \\d+ snapshot \\S+ \\S+ (\\S+) (\\d+)\"");
    private static final Pattern SNAP_HASH =
            Pattern.compile("(?:snap sha256(?: after reload)?|sha256 /dev/mapper/snap): ([0-9a-f]{64})\\s*$");

    /** The type word and chunk size of the fixture's {@code snapshot} table. */
    static String[] table(String fixture) {
        Matcher m = SNAP_TABLE.matcher(Fixtures.text(fixture, "scenario.txt"));
        assertTrue(m.find(), "no snapshot table in " + fixture);
        return new String[] {m.group(1), m.group(2)};
    }

    static int tableChunkSize(String fixture) {
        return Integer.parseInt(table(fixture)[1]);
    }

    static boolean tableOverflow(String fixture) {
        return table(fixture)[0].toUpperCase().startsWith("PO");
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "s2-persistent-P-cs16", "s2-persistent-P-cs8", "s2-persistent-PO-cs8",
                "s4-overflow-a-PO-snap-writes", "s4-overflow-b-P-snap-writes", "s5-merge-handover-P-cs8",
            })
    void loadsTheKernelImageAsCowdumpDecodesIt(String fixture) throws Exception {
        MemoryBlockDevice cow = Harness.image(fixture, "cow-final.img.xz");
        assertEquals(Fixtures.imageSha256(fixture, "cow-final.img"), Hashes.sha256(cow));
        List<String> log = new ArrayList<>();
        PersistentStore store = Harness.open(cow, tableChunkSize(fixture), tableOverflow(fixture), log);
        Harness.Loaded loaded = Harness.load(store);

        boolean valid = !Harness.cowdumpHeader(fixture, "valid").equals("0");
        assertEquals(valid ? MetadataState.VALID : MetadataState.INVALIDATED, loaded.state());
        assertEquals(valid ? Harness.cowdump(fixture) : List.of(), loaded.exceptions());
        assertEquals(Integer.parseInt(Harness.cowdumpHeader(fixture, "chunk_size")), store.chunkSize());
        assertEquals(List.of(), log);

        // The kernel's last INFO status of the snapshot (after its reload from this very COW).
        List<String> statuses = Harness.snapshotStatuses(fixture, "scenario.txt");
        String last = statuses.get(statuses.size() - 1);
        if (last.equals("Invalid")) {
            assertEquals(MetadataState.INVALIDATED, loaded.state());
        } else {
            assertEquals(Fixtures.usage(last), store.usage());
        }
        // The table status the kernel printed for it.
        String[] table = table(fixture);
        assertTrue(
                Fixtures.text(fixture, "scenario.txt").contains(" snapshot 254:0 254:16" + store.tableStatus() + "\n"),
                "table status" + store.tableStatus() + " for " + String.join(" ", table));

        // Loading wrote nothing: "cow raw sha256 after reload+remove" equals the image's hash.
        assertEquals(Fixtures.imageSha256(fixture, "cow-final.img"), Hashes.sha256(cow));
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "s2-persistent-P-cs16",
                "s2-persistent-P-cs8",
                "s2-persistent-PO-cs8",
                "s4-overflow-a-PO-snap-writes",
                "s5-merge-handover-P-cs8",
            })
    void rebuiltSnapshotHashesToTheKernelsSnapshot(String fixture) throws Exception {
        MemoryBlockDevice cow = Harness.image(fixture, "cow-final.img.xz");
        MemoryBlockDevice origin = Harness.image(fixture, "origin-final.img.xz");
        List<Ex> exceptions = new ArrayList<>();
        PersistentStore store = Harness.openLoaded(cow, tableChunkSize(fixture), exceptions);

        String kernelHash = null;
        for (String line : Fixtures.lines(fixture, "scenario.txt")) {
            Matcher m = SNAP_HASH.matcher(line.trim());
            if (m.find()) {
                kernelHash = m.group(1);
            }
        }
        assertTrue(kernelHash != null, "no snapshot hash in " + fixture);
        if (Fixtures.dir(fixture).resolve("expected.txt").toFile().exists()) {
            assertEquals(Fixtures.expected(fixture, "expected snap sha256"), kernelHash);
        }
        assertEquals(kernelHash, Harness.snapshotSha256(origin, cow, store.chunkSize(), exceptions));
    }

    /**
     * Feeds the kernel's exception list, in its table order, through prepare/commit on a blank COW
     * of the same size, copying each data chunk from the kernel's image before the commit, and
     * compares the whole result with the kernel's image byte for byte. Covers the fresh header,
     * area 0, filling an area and pre-zeroing the next one, running out of space and the drop.
     */
    @ParameterizedTest
    @ValueSource(
            strings = {
                "s2-persistent-P-cs16",
                "s2-persistent-P-cs8",
                "s2-persistent-PO-cs8",
                "s4-overflow-a-PO-snap-writes",
                "s4-overflow-b-P-snap-writes",
            })
    void replayingTheKernelsExceptionsWritesTheKernelsImage(String fixture) throws Exception {
        for (int batching : new int[] {1, 7, 0}) {
            replay(fixture, batching);
        }
    }

    /**
     * @param batching 1 = one exception at a time; n &gt; 1 = n in flight; 0 = random batch sizes
     */
    private static void replay(String fixture, int batching) throws Exception {
        MemoryBlockDevice kernel = Harness.image(fixture, "cow-final.img.xz");
        int cs = tableChunkSize(fixture);
        MemoryBlockDevice cow = new MemoryBlockDevice("replay", kernel.sizeInSectors());
        List<String> log = new ArrayList<>();
        PersistentStore store = Harness.open(cow, cs, tableOverflow(fixture), log);
        assertEquals(new Harness.Loaded(MetadataState.VALID, List.of()), Harness.load(store));

        List<Ex> kernelList = Harness.cowdump(fixture);
        Random random = new Random(fixture.hashCode());
        int done = 0;
        while (done < kernelList.size()) {
            int n = batching == 0 ? 1 + random.nextInt(40) : batching;
            n = Math.min(n, kernelList.size() - done);
            for (int i = 0; i < n; i++) {
                Ex e = kernelList.get(done + i);
                assertEquals(e.newChunk(), store.prepareException(e.oldChunk()), "allocation " + (done + i));
                Harness.copyChunk(kernel, cow, e.newChunk(), cs);
            }
            List<Boolean> outcomes = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                Ex e = kernelList.get(done + i);
                store.commitException(e.oldChunk(), e.newChunk(), true, outcomes::add);
            }
            assertEquals(Collections.nCopies(n, true), outcomes);
            done += n;
        }
        long total = store.usage().totalSectors();
        boolean full = store.usage().allocatedSectors() + cs > total;
        boolean kernelDropped = Harness.cowdumpHeader(fixture, "valid").equals("0");
        if (full) {
            // The next snapshot write found no room (s4: the 7th write).
            assertEquals(ExceptionStore.NO_SPACE, store.prepareException(1_000_000));
        }
        if (kernelDropped) {
            // P invalidates on a full COW (dm-snap calls drop_snapshot); PO only overflows.
            assertFalse(store.supportsOverflow());
            store.dropSnapshot();
        }
        assertEquals(List.of(), log);
        byte[] expected = Harness.readAll(kernel);
        byte[] actual = Harness.readAll(cow);
        assertEquals(
                Fixtures.imageSha256(fixture, "cow-final.img"),
                Hashes.sha256(cow),
                fixture + " batching " + batching + ": " + Harness.firstDifference(expected, actual));
    }

    /** s4: each full-chunk snapshot write and the status the kernel printed right after it. */
    private static final Pattern S4_WRITE = Pattern.compile(
            "W(\\d+) dev=snap chunk=(\\d+) sector=\\d+ count=\\d+ rc=(\\d) status_after='0 \\d+ snapshot (.*)'");

    @ParameterizedTest
    @ValueSource(strings = {"s4-overflow-a-PO-snap-writes", "s4-overflow-b-P-snap-writes"})
    void tinyCowFillsAndOverflowsAsTheKernelDid(String fixture) throws Exception {
        String scenario = Fixtures.text(fixture, "scenario.txt");
        MemoryBlockDevice kernel = Harness.image(fixture, "cow-final.img.xz");
        int cs = tableChunkSize(fixture);
        MemoryBlockDevice cow = new MemoryBlockDevice("s4", kernel.sizeInSectors());
        PersistentStore store = Harness.open(cow, cs, tableOverflow(fixture), new ArrayList<>());
        Harness.load(store);
        boolean invalid = false;
        int writes = 0;
        for (String line : scenario.lines().toList()) {
            Matcher m = S4_WRITE.matcher(line);
            if (!m.find()) {
                continue;
            }
            writes++;
            long chunk = Long.parseLong(m.group(2));
            boolean ok = m.group(3).equals("0");
            String status = m.group(4);
            if (!invalid && !status.equals("Overflow")) {
                long newChunk = store.prepareException(chunk);
                assertEquals(ok, newChunk != ExceptionStore.NO_SPACE, line);
                if (ok) {
                    Harness.copyChunk(kernel, cow, newChunk, cs);
                    Harness.commitNow(store, chunk, newChunk);
                }
            } else if (!invalid) {
                // An overflowed PO snapshot refuses writes before asking the store.
                assertTrue(store.supportsOverflow());
                assertEquals(ExceptionStore.NO_SPACE, store.prepareException(chunk));
            }
            if (!ok && !store.supportsOverflow() && !invalid) {
                store.dropSnapshot();
                invalid = true;
            }
            if (invalid || !ok) {
                assertEquals(invalid ? "Invalid" : "Overflow", status, line);
            } else {
                assertEquals(Fixtures.usage(status), store.usage(), line);
            }
        }
        assertEquals(9, writes);
        // The header the kernel left ("cow header (first 16 bytes)").
        Matcher header = Pattern.compile("cow header \\(first 16 bytes\\):\\s+00000000\\s+([0-9a-f ]+?)\\s+\\|")
                .matcher(scenario);
        assertTrue(header.find());
        assertArrayEquals(Harness.hex(header.group(1)), Arrays.copyOf(Harness.read(cow, 0, 1), 16));
        assertEquals(Fixtures.imageSha256(fixture, "cow-final.img"), Hashes.sha256(cow));
    }

    /**
     * The order in which the fixture's writes create exceptions: each write() call covers some
     * chunks, in ascending order, and each chunk without an exception yet gets the next one. Both
     * origin and snapshot writes create them, as in dm-snap.
     */
    static List<Long> allocationOrder(String fixture, int chunkSize) {
        Set<Long> seen = new LinkedHashSet<>();
        for (FixtureWrite w : FixtureWrite.of(fixture)) {
            for (long s = w.sector(); s < w.sector() + w.count(); s += w.pieceSectors()) {
                long end = Math.min(s + w.pieceSectors(), w.sector() + w.count());
                for (long c = s / chunkSize; c <= (end - 1) / chunkSize; c++) {
                    seen.add(c);
                }
            }
        }
        return new ArrayList<>(seen);
    }

    @ParameterizedTest
    @ValueSource(strings = {"s2-persistent-P-cs16", "s2-persistent-P-cs8", "s2-persistent-PO-cs8"})
    void writeListPredictsTheKernelsAllocationOrder(String fixture) {
        List<Long> order = allocationOrder(fixture, tableChunkSize(fixture));
        assertEquals(order, Harness.cowdump(fixture).stream().map(Ex::oldChunk).toList());
    }

    @ParameterizedTest
    @ValueSource(strings = {"s2-persistent-P-cs16", "s2-persistent-P-cs8", "s2-persistent-PO-cs8"})
    void freshAndFinalUsageMatchTheKernelsStatus(String fixture) throws Exception {
        List<String> statuses = Harness.snapshotStatuses(fixture, "scenario.txt");
        MemoryBlockDevice kernel = Harness.image(fixture, "cow-final.img.xz");
        int cs = tableChunkSize(fixture);
        PersistentStore store = Harness.open(new MemoryBlockDevice("fresh", kernel.sizeInSectors()), cs);
        Harness.load(store);
        // "-- right after creation": the first status.
        assertEquals(Fixtures.usage(statuses.get(0)), store.usage());
        for (long old : allocationOrder(fixture, cs)) {
            long c = store.prepareException(old);
            assertNotEquals(ExceptionStore.NO_SPACE, c);
            Harness.commitNow(store, old, c);
        }
        // "-- after the writes".
        assertEquals(Fixtures.usage(statuses.get(1)), store.usage());
    }
}
