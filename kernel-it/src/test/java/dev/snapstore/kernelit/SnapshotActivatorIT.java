package dev.snapstore.kernelit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.snapstore.dm.DeviceMapper;
import dev.snapstore.dm.DeviceMapperException;
import dev.snapstore.dm.SnapshotActivator;
import dev.snapstore.dm.SnapshotStatus;
import dev.snapstore.dm.StatusLine;
import dev.snapstore.dm.TableLine;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link SnapshotActivator} against the kernel: activation in lvm2's order on a live linear device,
 * two snapshots of one origin, removal giving the origin its own table back, the rollback of an
 * activation the kernel refuses, and a merge from start to finish.
 */
class SnapshotActivatorIT {

    private static final long SECTORS = 8192;
    private static final int CHUNK = 8;
    private static final String ORIGIN = "kit-act";
    private static final String REAL = ORIGIN + SnapshotActivator.REAL_SUFFIX;
    private static final String SNAP1 = "kit-act-s1";
    private static final String SNAP2 = "kit-act-s2";
    private static final String SMALL = "kit-act-small";

    private final DeviceMapper dm = DeviceMapper.dmsetup();
    private final SnapshotActivator activator = new SnapshotActivator(dm);
    private Path originDisk;
    private Path cow1;
    private Path cow2;

    @BeforeEach
    void disks() throws Exception {
        Guest.requireKernel();
        originDisk = Guest.scratch(0);
        cow1 = Guest.scratch(1);
        cow2 = Guest.scratch(2);
        Guest.write(originDisk, 0, Guest.pattern("ORIGIN", 0, (int) SECTORS));
        Guest.write(cow1, 0, new byte[CHUNK * Guest.SECTOR]);
        Guest.write(cow2, 0, new byte[CHUNK * Guest.SECTOR]);
        dm.create(ORIGIN, List.of("0 " + SECTORS + " linear " + originDisk + " 0"), false);
    }

    @AfterEach
    void cleanUp() throws Exception {
        Guest.removeAll(dm, SNAP1, SNAP2, ORIGIN, REAL, SMALL);
    }

    private Path device(String name) {
        return Path.of("/dev/mapper/" + name);
    }

    @Test
    void activationKeepsTheContentAndRemovalRestoresTheOrigin() throws Exception {
        List<String> ownTable = dm.table(ORIGIN);
        SnapshotActivator.Activation a = activator.activate(ORIGIN, cow1.toString(), SNAP1, CHUNK, Optional.empty());
        assertEquals("PO", a.typeWord(), "6.1's snapshot target is 1.16.0");
        assertEquals("PO", TableLine.parse(dm.table(SNAP1).get(0)).typeWord());
        assertEquals(ownTable, dm.table(REAL));
        assertEquals(List.of(SNAP1), activator.snapshotsOf(ORIGIN));

        // Writes across chunk boundaries (the origin splits them at the chunk size): each chunk is copied out first.
        Guest.write(device(ORIGIN), CHUNK - 2, Guest.pattern("NEW", CHUNK - 2, 4));
        Guest.write(device(ORIGIN), 5 * CHUNK - 1, Guest.pattern("NEW", 5 * CHUNK - 1, 2 * CHUNK + 2));
        assertArrayEquals(Guest.pattern("ORIGIN", 0, 10 * CHUNK), Guest.read(device(SNAP1), 0, 10 * CHUNK));
        assertArrayEquals(
                Guest.pattern("NEW", 5 * CHUNK - 1, 2 * CHUNK + 2),
                Guest.read(device(ORIGIN), 5 * CHUNK - 1, 2 * CHUNK + 2));
        SnapshotStatus status = StatusLine.parse(dm.status(SNAP1).get(0)).status();
        assertEquals(2L * CHUNK + 6L * CHUNK, status.usage().allocatedSectors(), "6 chunks copied out");

        activator.remove(SNAP1);
        assertFalse(dm.exists(SNAP1));
        assertFalse(dm.exists(REAL));
        assertEquals(ownTable, dm.table(ORIGIN));
        assertArrayEquals(Guest.pattern("NEW", CHUNK - 2, 4), Guest.read(device(ORIGIN), CHUNK - 2, 4));
    }

    @Test
    void twoSnapshotsOfOneOrigin() throws Exception {
        List<String> ownTable = dm.table(ORIGIN);
        activator.activate(ORIGIN, cow1.toString(), SNAP1, CHUNK, Optional.empty());
        Guest.write(device(ORIGIN), 0, Guest.pattern("MID", 0, CHUNK));
        activator.activate(ORIGIN, cow2.toString(), SNAP2, 2 * CHUNK, Optional.of("P"));
        assertEquals(List.of(SNAP1, SNAP2), activator.snapshotsOf(ORIGIN));
        Guest.write(device(ORIGIN), 0, Guest.pattern("LAST", 0, 4 * CHUNK));
        assertArrayEquals(Guest.pattern("ORIGIN", 0, 4 * CHUNK), Guest.read(device(SNAP1), 0, 4 * CHUNK));
        assertArrayEquals(Guest.pattern("MID", 0, CHUNK), Guest.read(device(SNAP2), 0, CHUNK));
        assertArrayEquals(Guest.pattern("ORIGIN", CHUNK, 3 * CHUNK), Guest.read(device(SNAP2), CHUNK, 3 * CHUNK));

        activator.remove(SNAP1);
        assertTrue(dm.exists(REAL));
        assertEquals("snapshot-origin", dm.table(ORIGIN).get(0).split(" ")[2]);
        assertArrayEquals(Guest.pattern("MID", 0, CHUNK), Guest.read(device(SNAP2), 0, CHUNK));
        activator.remove(SNAP2);
        assertFalse(dm.exists(REAL));
        assertEquals(ownTable, dm.table(ORIGIN));
    }

    @Test
    void aRefusedActivationLeavesTheDevicesAsTheyWere() throws Exception {
        // One chunk: room for the header, none for the first metadata area.
        dm.create(SMALL, List.of("0 " + CHUNK + " linear " + cow1 + " 0"), false);
        List<String> devices = dm.list();
        List<String> ownTable = dm.table(ORIGIN);
        DeviceMapperException e = assertThrows(
                DeviceMapperException.class,
                () -> activator.activate(ORIGIN, device(SMALL).toString(), SNAP1, CHUNK, Optional.of("P")));
        assertTrue(e.getMessage().contains("failed at \"create " + SNAP1 + "\""), e.getMessage());
        assertTrue(e.getMessage().contains("device-mapper"), e.getMessage());
        // dmsetup only gives the ioctl's errno; the reason is the kernel's own line from its log.
        assertTrue(
                e.kernelLog().stream()
                        .anyMatch(l -> l.startsWith("device-mapper: table: ") && l.contains(": snapshot: ")),
                e.kernelLog() + " / " + e.getMessage());
        assertTrue(e.getMessage().contains("; kernel: " + e.kernelLog().get(0)), e.getMessage());
        assertEquals(devices, dm.list());
        assertEquals(ownTable, dm.table(ORIGIN));
        assertFalse(dm.info(ORIGIN).orElseThrow().suspended());
        assertFalse(dm.info(ORIGIN).orElseThrow().inactiveTable());
    }

    @Test
    void aMergeGivesTheOriginTheSnapshotsContent() throws Exception {
        List<String> ownTable = dm.table(ORIGIN);
        activator.activate(ORIGIN, cow1.toString(), SNAP1, CHUNK, Optional.of("P"));
        // The snapshot's own write is merged in; the origin's later write is undone by the merge.
        Guest.write(device(SNAP1), 3 * CHUNK, Guest.pattern("SNAP", 3 * CHUNK, 2 * CHUNK));
        Guest.write(device(ORIGIN), 0, Guest.pattern("LATER", 0, CHUNK));
        byte[] expected = Guest.read(device(SNAP1), 0, 8 * CHUNK);

        assertEquals(ORIGIN, activator.startMerge(SNAP1));
        assertEquals("snapshot-merge", dm.table(ORIGIN).get(0).split(" ")[2]);
        SnapshotStatus status = StatusLine.parse(dm.status(ORIGIN).get(0)).status();
        for (int i = 0; i < 600 && !status.isMergeFinished(); i++) {
            Thread.sleep(100);
            status = StatusLine.parse(dm.status(ORIGIN).get(0)).status();
        }
        assertTrue(status.isMergeFinished(), status.format());
        activator.finishMerge(ORIGIN, SNAP1);
        assertEquals(ownTable, dm.table(ORIGIN));
        assertFalse(dm.exists(SNAP1));
        assertFalse(dm.exists(REAL));
        assertArrayEquals(expected, Guest.read(device(ORIGIN), 0, 8 * CHUNK));
    }
}
