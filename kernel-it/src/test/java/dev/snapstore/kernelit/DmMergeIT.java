package dev.snapstore.kernelit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.snapstore.cow.CowSizing;
import dev.snapstore.dm.DeviceMapper;
import dev.snapstore.dm.SnapshotActivator;
import dev.snapstore.dm.SnapshotMonitor;
import dev.snapstore.dm.SnapshotStatus;
import dev.snapstore.dm.StatusLine;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The rest of the dm workflow in the kernel: overflow as {@code snapstore dm status} and
 * {@link SnapshotMonitor} see it, a COW sized by {@code snapstore size}'s rule ({@link CowSizing}) surviving a rewrite of the
 * whole origin (and one chunk less not), and {@code snapstore dm merge} with {@code --wait} and
 * resumed by a new process. Small devices (1-4 MiB): TCG is slow and each CLI run is a JVM start.
 */
class DmMergeIT {

    private static final int CHUNK = 8;
    private static final String ORIGIN = "kit-m";
    private static final String REAL = ORIGIN + SnapshotActivator.REAL_SUFFIX;
    private static final String SNAP = "kit-m-snap";
    private static final String SNAP2 = "kit-m-snap2";
    private static final String COW = "kit-m-cow";
    private static final String COW2 = "kit-m-cow2";

    private final DeviceMapper dm = DeviceMapper.dmsetup();
    private final SnapshotActivator activator = new SnapshotActivator(dm);

    /** One run of the program: exit status and both outputs. */
    @BeforeEach
    void kernel() {
        Guest.requireKernel();
    }

    @AfterEach
    void cleanUp() throws Exception {
        Guest.removeAll(dm, SNAP, SNAP2, ORIGIN, REAL, COW, COW2);
    }

    private static Path device(String name) {
        return Path.of("/dev/mapper/" + name);
    }

    /** A linear origin of the given length over scratch 0, filled with the ORIGIN pattern. */
    private void origin(long sectors) throws Exception {
        Path disk = Guest.scratch(0);
        Guest.write(disk, 0, Guest.pattern("ORIGIN", 0, (int) sectors));
        dm.create(ORIGIN, List.of("0 " + sectors + " linear " + disk + " 0"), false);
    }

    /** A linear COW device of the given length over a scratch disk, its header chunk zeroed. */
    private Path cow(String name, int scratch, long sectors) throws Exception {
        Path disk = Guest.scratch(scratch);
        Guest.write(disk, 0, new byte[CHUNK * Guest.SECTOR]);
        dm.create(name, List.of("0 " + sectors + " linear " + disk + " 0"), false);
        return device(name);
    }

    private SnapshotStatus status(String name) throws Exception {
        return StatusLine.parse(dm.status(name).get(0)).status();
    }

    @Test
    void overflowIsSeenByStatusAndByTheMonitorAndTheSnapshotStaysReadable() throws Exception {
        origin(2048);
        // Four chunks: the header, one metadata area and room for two exceptions.
        Path cow = cow(COW, 1, 4 * CHUNK);
        activator.activate(ORIGIN, cow.toString(), SNAP, CHUNK, Optional.of("PO"));
        List<SnapshotMonitor.Event> events = new ArrayList<>();
        SnapshotMonitor monitor =
                new SnapshotMonitor(SNAP, () -> status(SNAP), SnapshotMonitor.DMEVENTD_THRESHOLDS, events::add);
        monitor.poll();
        assertEquals(List.of(), events, "a fresh snapshot is below every threshold");

        Guest.write(device(SNAP), 0, Guest.pattern("SNAP", 0, 2 * CHUNK));
        assertThrows(IOException.class, () -> Guest.write(device(SNAP), 2 * CHUNK, Guest.pattern("SNAP", 16, CHUNK)));
        monitor.poll();
        assertEquals(
                SnapshotMonitor.EventKind.OVERFLOW,
                events.get(events.size() - 1).kind(),
                events.toString());
        assertEquals(
                "WARNING: Snapshot " + SNAP + " changed state to: Overflow and should be removed.",
                events.get(events.size() - 1).message());

        Guest.CliRun status = Guest.snapstore("dm", "status", SNAP);
        assertEquals(1, status.status(), status.toString());
        assertEquals(SNAP + ": Overflow\n", status.out());
        // Overflow is not Invalid: what was written stays readable, the rest is the origin's.
        assertArrayEquals(Guest.pattern("SNAP", 0, 2 * CHUNK), Guest.read(device(SNAP), 0, 2 * CHUNK));
        assertArrayEquals(
                Guest.pattern("ORIGIN", 2 * CHUNK, 4 * CHUNK), Guest.read(device(SNAP), 2 * CHUNK, 4 * CHUNK));
    }

    @Test
    void aCowSizedBySnapstoreSizeSurvivesARewriteOfEveryOriginChunk() throws Exception {
        long sectors = 8192; // 4 MiB: 1024 chunks of 4 KiB
        // snapstore size's rule, called in this JVM: a JVM start costs tens of seconds under TCG.
        long cowSectors = CowSizing.fullCoverageSectors(sectors, CHUNK);

        origin(sectors);
        activator.activate(ORIGIN, cow(COW, 1, cowSectors).toString(), SNAP, CHUNK, Optional.of("P"));
        // One chunk less than the rule says: the kernel runs out of room and invalidates it.
        activator.activate(ORIGIN, cow(COW2, 2, cowSectors - CHUNK).toString(), SNAP2, CHUNK, Optional.of("P"));
        Guest.write(device(ORIGIN), 0, Guest.pattern("NEW", 0, (int) sectors));

        SnapshotStatus sized = status(SNAP);
        assertNotEquals(SnapshotStatus.Kind.INVALID, sized.kind(), sized.format());
        assertEquals(SnapshotStatus.INVALID, status(SNAP2), "one chunk short of full coverage");
        assertArrayEquals(Guest.pattern("ORIGIN", 0, (int) sectors), Guest.read(device(SNAP), 0, (int) sectors));
        assertArrayEquals(Guest.pattern("NEW", 0, (int) sectors), Guest.read(device(ORIGIN), 0, (int) sectors));
    }

    @Test
    void mergeWaitThroughTheCliGivesTheOriginTheSnapshotsContent() throws Exception {
        origin(2048);
        List<String> ownTable = dm.table(ORIGIN);
        activator.activate(ORIGIN, cow(COW, 1, 2048).toString(), SNAP, CHUNK, Optional.of("P"));
        Guest.write(device(SNAP), 3 * CHUNK, Guest.pattern("SNAP", 3 * CHUNK, 4 * CHUNK));
        Guest.write(device(ORIGIN), 0, Guest.pattern("LATER", 0, 2 * CHUNK));
        byte[] expected = Guest.read(device(SNAP), 0, 2048);

        Guest.CliRun merge = Guest.snapstore("dm", "merge", SNAP, "--wait", "--interval", "0.2");
        assertEquals(0, merge.status(), merge.toString());
        assertTrue(
                merge.out().endsWith(SNAP + ": merged into " + ORIGIN + "; " + ORIGIN + " is on its own table again\n"),
                merge.out());
        assertTrue(merge.out().contains("100.00% merged into " + ORIGIN + " (0 sectors left)"), merge.out());
        assertEquals("", merge.err());
        assertEquals(ownTable, dm.table(ORIGIN));
        assertFalse(dm.exists(SNAP));
        assertFalse(dm.exists(REAL));
        assertArrayEquals(expected, Guest.read(device(ORIGIN), 0, 2048));
    }

    @Test
    void aMergeStartedWithoutWaitIsFinishedByANewProcess() throws Exception {
        origin(2048);
        List<String> ownTable = dm.table(ORIGIN);
        activator.activate(ORIGIN, cow(COW, 1, 2048).toString(), SNAP, CHUNK, Optional.of("P"));
        Guest.write(device(SNAP), 0, Guest.pattern("SNAP", 0, 8 * CHUNK));
        byte[] expected = Guest.read(device(SNAP), 0, 2048);

        Guest.CliRun start = Guest.snapstore("dm", "merge", SNAP);
        assertEquals(0, start.status(), start.toString());
        assertTrue(start.out().startsWith(SNAP + ": merging into " + ORIGIN), start.out());
        // The starting process is gone; the kernel merges (or has merged) on its own.
        assertEquals("snapshot-merge", dm.table(ORIGIN).get(0).split(" ")[2]);
        assertEquals(List.of("0 2048 error"), dm.table(SNAP));

        Guest.CliRun resume = Guest.snapstore("dm", "merge", SNAP, "--wait", "--json", "--interval", "0.2");
        assertEquals(0, resume.status(), resume.toString());
        assertTrue(resume.out().contains("\"state\" : \"merged\""), resume.out());
        assertTrue(resume.out().contains("\"started\" : false"), resume.out());
        assertEquals(ownTable, dm.table(ORIGIN));
        assertFalse(dm.exists(SNAP));
        assertFalse(dm.exists(REAL));
        assertArrayEquals(expected, Guest.read(device(ORIGIN), 0, 2048));
    }
}
