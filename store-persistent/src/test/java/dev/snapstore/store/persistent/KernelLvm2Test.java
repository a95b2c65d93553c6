package dev.snapstore.store.persistent;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.snapstore.spi.ExceptionStore;
import dev.snapstore.spi.MemoryBlockDevice;
import dev.snapstore.spi.MetadataState;
import dev.snapstore.spi.Usage;
import dev.snapstore.testkit.BlockDeviceSlice;
import dev.snapstore.testkit.Fixtures;
import dev.snapstore.testkit.Hashes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * s7-lvm2: old-style LVM snapshots on a real kernel. The saved PV holds the second snapshot's COW
 * after {@code lvconvert --merge}; the texts tell how the first one filled up and was invalidated.
 */
class KernelLvm2Test {

    private static final String FIXTURE = "s7-lvm2";

    private static long[] linear(String text, String name) {
        Matcher m = Pattern.compile(Pattern.quote(name) + ": 0 (\\d+) linear 254:0 (\\d+)")
                .matcher(text);
        assertTrue(m.find(), name);
        return new long[] {Long.parseLong(m.group(2)), Long.parseLong(m.group(1))};
    }

    private static int snapshotChunkSize(String text, String name) {
        Matcher m = Pattern.compile(Pattern.quote(name) + ": 0 \\d+ snapshot \\S+ \\S+ P (\\d+)")
                .matcher(text);
        assertTrue(m.find(), name);
        return Integer.parseInt(m.group(1));
    }

    @Test
    void theMergedCowInsideThePvLoadsEmptyAndShowsTheMergedOrigin() throws Exception {
        String scenario = Fixtures.text(FIXTURE, "scenario.txt");
        MemoryBlockDevice pv = Harness.image(FIXTURE, "pv-final.img.xz");
        assertEquals(Fixtures.imageSha256(FIXTURE, "pv-final.img"), Hashes.sha256(pv));
        long[] cowExtent = linear(scenario, "vg-snap2-cow");
        long[] originExtent = linear(scenario, "vg-lv-real");
        BlockDeviceSlice cow = new BlockDeviceSlice(pv, cowExtent[0], cowExtent[1]);
        BlockDeviceSlice origin = new BlockDeviceSlice(pv, originExtent[0], originExtent[1]);
        int cs = snapshotChunkSize(scenario, "vg-snap2");

        List<String> log = new ArrayList<>();
        PersistentStore store = Harness.open(cow, cs, false, log);
        assertEquals(new Harness.Loaded(MetadataState.VALID, List.of()), Harness.load(store));
        assertEquals(List.of(), log);
        Usage usage = store.usage();
        // "Merge ... has finished": allocated == metadata, i.e. header + area 0.
        assertEquals(usage.allocatedSectors(), usage.metadataSectors());
        assertEquals(2L * cs, usage.allocatedSectors());
        assertEquals(cowExtent[1], usage.totalSectors());

        String snap2 = Harness.lineAfterColon(scenario, "snap2 sha256");
        assertEquals(snap2, Harness.snapshotSha256(origin, cow, cs, List.of()));
        assertTrue(scenario.contains("lv sha256 after merge: " + snap2));
        assertEquals(Fixtures.imageSha256(FIXTURE, "pv-final.img"), Hashes.sha256(pv), "loading wrote nothing");
    }

    @Test
    void theFirstSnapshotFillsAndIsInvalidatedAtTheKernelsCount() throws Exception {
        String scenario = Fixtures.text(FIXTURE, "scenario.txt");
        long[] cowExtent = linear(scenario, "vg-snap-cow");
        int cs = snapshotChunkSize(scenario, "vg-snap");
        List<String> statuses = Harness.snapshotStatuses(FIXTURE, "scenario.txt");
        Matcher origin = Pattern.compile("write 1 MiB \\((\\d+) chunks\\) to the origin LV")
                .matcher(scenario);
        assertTrue(origin.find());
        Matcher snap = Pattern.compile("(\\d+) snapshot chunk writes succeeded").matcher(scenario);
        assertTrue(snap.find());
        Matcher header =
                Pattern.compile("COW header: ([0-9a-f ]+)$", Pattern.MULTILINE).matcher(scenario);
        assertTrue(header.find());

        MemoryBlockDevice cow = new MemoryBlockDevice("vg-snap-cow", cowExtent[1]);
        PersistentStore store = Harness.open(cow, cs);
        Harness.load(store);
        assertEquals(Fixtures.usage(statuses.get(0)), store.usage(), "after lvcreate -s");
        long old = 0;
        for (int i = 0; i < Integer.parseInt(origin.group(1)); i++, old++) {
            long c = store.prepareException(old);
            assertNotEquals(ExceptionStore.NO_SPACE, c);
            Harness.commitNow(store, old, c);
        }
        assertEquals(Fixtures.usage(statuses.get(1)), store.usage(), "after the origin writes");
        for (int i = 0; i < Integer.parseInt(snap.group(1)); i++, old++) {
            long c = store.prepareException(old);
            assertNotEquals(ExceptionStore.NO_SPACE, c, "snapshot write " + i);
            Harness.commitNow(store, old, c);
        }
        // The next snapshot write finds no room: P invalidates ("Unable to allocate exception").
        assertEquals(ExceptionStore.NO_SPACE, store.prepareException(old));
        assertEquals("Invalid", statuses.get(2));
        store.dropSnapshot();
        assertArrayEquals(Harness.hex(header.group(1)), Arrays.copyOf(Harness.read(cow, 0, 1), 16));
        PersistentStore reloaded = Harness.open(cow, cs);
        assertEquals(MetadataState.INVALIDATED, Harness.load(reloaded).state());
    }
}
