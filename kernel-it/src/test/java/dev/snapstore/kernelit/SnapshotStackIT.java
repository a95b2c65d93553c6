package dev.snapstore.kernelit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.snapstore.dm.DeviceInfo;
import dev.snapstore.dm.DeviceMapper;
import dev.snapstore.dm.DeviceMapperException;
import dev.snapstore.dm.Negotiator;
import dev.snapstore.dm.SnapshotStatus;
import dev.snapstore.dm.StatusLine;
import dev.snapstore.dm.TableLine;
import dev.snapstore.dm.TargetKind;
import dev.snapstore.spi.Usage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The DeviceMapper client builds, by hand and in lvm2's order, a linear origin, its
 * {@code -real} copy, a {@code snapshot-origin} and a {@code snapshot} on the guest's scratch
 * disks, and the dm parsers read what the kernel says.
 */
class SnapshotStackIT {

    private static final long SECTORS = 8192;
    private static final int CHUNK = 8;
    private static final String ORIGIN = "kit-origin";
    private static final String REAL = "kit-origin-real";
    private static final String SNAP = "kit-snap";
    private static final String COW = "kit-cow";

    private final DeviceMapper dm = DeviceMapper.dmsetup();
    private Path originDisk;
    private Path cowDisk;

    @BeforeEach
    void disks() throws Exception {
        Guest.requireKernel();
        originDisk = Guest.scratch(0);
        cowDisk = Guest.scratch(1);
        // Every test starts from a fresh origin pattern and a zeroed COW header.
        Guest.write(originDisk, 0, Guest.pattern("ORIGIN", 0, (int) SECTORS));
        Guest.write(cowDisk, 0, new byte[CHUNK * Guest.SECTOR]);
    }

    @AfterEach
    void cleanUp() throws Exception {
        Guest.removeAll(dm, SNAP, ORIGIN, REAL, COW);
    }

    private String linear() {
        return "0 " + SECTORS + " linear " + originDisk + " 0";
    }

    /** lvm2's order: -real and the suspended snapshot first, then origin suspend, snapshot resume, origin resume. */
    private void activate(String typeWord, Path cow) throws DeviceMapperException {
        dm.create(REAL, List.of(linear()), false);
        dm.create(
                SNAP,
                List.of("0 " + SECTORS + " snapshot /dev/mapper/" + REAL + " " + cow + " " + typeWord + " " + CHUNK),
                true);
        dm.load(ORIGIN, List.of("0 " + SECTORS + " snapshot-origin /dev/mapper/" + REAL));
        dm.suspend(ORIGIN);
        dm.resume(SNAP);
        // The origin's resume computes its write split from the snapshot's chunk size.
        dm.resume(ORIGIN);
    }

    @Test
    void createLoadSuspendResumeRemoveAStack() throws Exception {
        String typeWord = Negotiator.negotiate(dm.targets(), false, false).typeWord();
        assertEquals("PO", typeWord);
        dm.create(ORIGIN, List.of(linear()), false);
        assertTrue(dm.list().contains(ORIGIN));
        activate(typeWord, cowDisk);

        DeviceInfo snap = dm.info(SNAP).orElseThrow();
        assertTrue(snap.liveTable());
        assertFalse(snap.inactiveTable());
        assertFalse(snap.suspended());
        TableLine table = TableLine.parse(dm.table(SNAP).get(0));
        assertEquals(TargetKind.SNAPSHOT, table.kind());
        assertEquals("PO", table.typeWord());
        assertEquals(dm.info(REAL).orElseThrow().devno(), table.origin());
        assertEquals(
                List.of("0 " + SECTORS + " snapshot-origin "
                        + dm.info(REAL).orElseThrow().devno()),
                dm.table(ORIGIN));

        // A fresh persistent COW: the header chunk and the first metadata area.
        StatusLine fresh = StatusLine.parse(dm.status(SNAP).get(0));
        Usage usage = fresh.status().findUsage().orElseThrow();
        assertEquals(2L * CHUNK, usage.allocatedSectors());
        assertEquals(2L * CHUNK, usage.metadataSectors());

        // One write across a chunk boundary: both chunks are copied out before the origin changes.
        Path origin = Path.of("/dev/mapper/" + ORIGIN);
        Guest.write(origin, CHUNK - 2, Guest.pattern("NEW", CHUNK - 2, 4));
        Usage after =
                StatusLine.parse(dm.status(SNAP).get(0)).status().findUsage().orElseThrow();
        assertEquals(4L * CHUNK, after.allocatedSectors(), "two chunks copied out");
        assertArrayEquals(
                Guest.pattern("ORIGIN", 0, 2 * CHUNK), Guest.read(Path.of("/dev/mapper/" + SNAP), 0, 2 * CHUNK));
        assertArrayEquals(Guest.pattern("NEW", CHUNK - 2, 4), Guest.read(origin, CHUNK - 2, 4));

        // The kernel keeps a used device: -real is busy while the origin and snapshot use it.
        DeviceMapperException busy = assertThrows(DeviceMapperException.class, () -> dm.remove(REAL));
        assertTrue(busy.getMessage().contains("busy"), busy.getMessage());

        // Take the snapshot away; the origin gets its own table back, then -real goes.
        dm.remove(SNAP);
        dm.load(ORIGIN, List.of(linear()));
        assertTrue(dm.info(ORIGIN).orElseThrow().inactiveTable());
        dm.suspend(ORIGIN);
        assertTrue(dm.info(ORIGIN).orElseThrow().suspended());
        dm.resume(ORIGIN);
        dm.remove(REAL);
        assertArrayEquals(Guest.pattern("NEW", CHUNK - 2, 4), Guest.read(origin, CHUNK - 2, 4));
        dm.remove(ORIGIN);
        assertFalse(dm.exists(ORIGIN));
        assertTrue(
                dm.list().stream().noneMatch(n -> n.startsWith("kit-")),
                dm.list().toString());
    }

    @Test
    void aRefusedTableLeavesNoDeviceAndTheKernelsWords() throws Exception {
        // A chunk size that is not a power of 2: the kernel refuses the snapshot's table.
        DeviceMapperException e = assertThrows(
                DeviceMapperException.class,
                () -> dm.create(
                        SNAP, List.of("0 " + SECTORS + " snapshot " + originDisk + " " + cowDisk + " P 7"), true));
        assertTrue(e.getMessage().contains("Invalid argument"), e.getMessage());
        assertFalse(dm.exists(SNAP));
        assertThrows(DeviceMapperException.class, () -> dm.resume("kit-nosuch"));
        assertTrue(dm.info("kit-nosuch").isEmpty());
    }

    @Test
    void pIsInvalidatedByOriginWritesThatDoNotFit() throws Exception {
        makeSmallCowSnapshot("P");
        Path origin = Path.of("/dev/mapper/" + ORIGIN);
        for (int chunk = 0; chunk < 3; chunk++) {
            Guest.write(origin, (long) chunk * CHUNK, Guest.pattern("NEW", (long) chunk * CHUNK, CHUNK));
        }
        assertEquals(
                SnapshotStatus.INVALID, StatusLine.parse(dm.status(SNAP).get(0)).status());
    }

    @Test
    void poOverflowsOnSnapshotWritesThatDoNotFitAndStaysReadable() throws Exception {
        makeSmallCowSnapshot("PO");
        Path snap = Path.of("/dev/mapper/" + SNAP);
        Guest.write(snap, 0, Guest.pattern("SNAP", 0, CHUNK));
        Guest.write(snap, CHUNK, Guest.pattern("SNAP", CHUNK, CHUNK));
        // The third chunk does not fit: the kernel fails the write and marks the snapshot overflowed.
        assertThrows(IOException.class, () -> Guest.write(snap, 2 * CHUNK, Guest.pattern("SNAP", 2 * CHUNK, CHUNK)));
        assertEquals(
                SnapshotStatus.OVERFLOW,
                StatusLine.parse(dm.status(SNAP).get(0)).status());
        assertArrayEquals(Guest.pattern("SNAP", 0, 2 * CHUNK), Guest.read(snap, 0, 2 * CHUNK));
    }

    /** A COW of 4 chunks: the header, one metadata chunk and two data chunks. */
    private void makeSmallCowSnapshot(String typeWord) throws Exception {
        dm.create(COW, List.of("0 " + 4 * CHUNK + " linear " + cowDisk + " 0"), false);
        dm.create(ORIGIN, List.of(linear()), false);
        activate(typeWord, Path.of("/dev/mapper/" + COW));
    }
}
