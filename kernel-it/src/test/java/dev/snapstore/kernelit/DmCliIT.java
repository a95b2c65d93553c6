package dev.snapstore.kernelit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.snapstore.dm.DeviceMapper;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@code snapstore dm snapshot/status/list/remove} as a program in the guest, against the kernel. */
class DmCliIT {

    private static final long SECTORS = 8192;
    private static final String ORIGIN = "kit-cli";
    private static final String SNAP = "kit-cli-snap";

    private final DeviceMapper dm = DeviceMapper.dmsetup();
    private Path cow;

    /** One run of the program: exit status and both outputs. */
    @BeforeEach
    void origin() throws Exception {
        Guest.requireKernel();
        Path originDisk = Guest.scratch(0);
        cow = Guest.scratch(3);
        Guest.write(cow, 0, new byte[8 * Guest.SECTOR]);
        dm.create(ORIGIN, List.of("0 " + SECTORS + " linear " + originDisk + " 0"), false);
    }

    @AfterEach
    void cleanUp() throws Exception {
        Guest.removeAll(dm, SNAP, ORIGIN, ORIGIN + "-real");
    }

    @Test
    void snapshotStatusListRemove() throws Exception {
        List<String> ownTable = dm.table(ORIGIN);
        Guest.CliRun snap = Guest.snapstore("dm", "snapshot", ORIGIN, "--cow", cow.toString(), "--name", SNAP);
        assertEquals(0, snap.status(), snap.toString());
        assertTrue(snap.out().contains(" PO 8"), snap.out());

        Guest.CliRun status = Guest.snapstore("dm", "status", SNAP);
        assertEquals(0, status.status(), status.toString());
        // A fresh COW on a 1 GiB disk: the header chunk and the first metadata area.
        assertEquals(SNAP + ": 0.00% used (16 of 2097152 sectors, 16 of metadata)\n", status.out());

        Guest.CliRun taken = Guest.snapstore("dm", "snapshot", ORIGIN, "--cow", cow.toString(), "--name", SNAP);
        assertEquals(2, taken.status(), taken.toString());
        assertEquals(1, taken.err().lines().count(), taken.err());

        Guest.CliRun remove = Guest.snapstore("dm", "remove", SNAP);
        assertEquals(0, remove.status(), remove.toString());
        assertFalse(dm.exists(SNAP));
        assertEquals(ownTable, dm.table(ORIGIN));
    }
}
