package dev.snapstore.dm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The fake keeps the kernel's rules for tables, suspension and busy devices, and records the calls. */
class RecordingDeviceMapperTest {

    private final RecordingDeviceMapper dm = new RecordingDeviceMapper(TargetVersions.of(Map.of()));

    @Test
    void aSuspendedCreateHasOnlyAnInactiveTableUntilResume() throws Exception {
        dm.create("snap", List.of("0 8 zero"), true);
        DeviceInfo info = dm.info("snap").orElseThrow();
        assertFalse(info.liveTable());
        assertTrue(info.inactiveTable());
        dm.resume("snap");
        assertEquals(List.of("0 8 zero"), dm.table("snap"));
        assertTrue(dm.inactiveTable("snap").isEmpty());
        assertEquals(List.of("create snap suspended", "info snap", "resume snap", "table snap"), dm.calls());
    }

    @Test
    void loadSuspendResumeSwapsTheTable() throws Exception {
        dm.create("origin", List.of("0 8 linear /dev/vda 0"), false);
        dm.load("origin", List.of("0 8 snapshot-origin /dev/mapper/origin-real"));
        dm.suspend("origin");
        assertTrue(dm.info("origin").orElseThrow().suspended());
        assertEquals(List.of("0 8 linear /dev/vda 0"), dm.table("origin"));
        dm.resume("origin");
        assertEquals(List.of("0 8 snapshot-origin /dev/mapper/origin-real"), dm.table("origin"));
        assertFalse(dm.info("origin").orElseThrow().suspended());
    }

    @Test
    void refusesATakenNameAMissingDeviceAndABusyOne() throws Exception {
        dm.create("origin-real", List.of("0 8 linear /dev/vda 0"), false);
        dm.create("origin", List.of("0 8 snapshot-origin /dev/mapper/origin-real"), false);
        assertThrows(DeviceMapperException.class, () -> dm.create("origin", List.of("0 8 zero"), false));
        assertThrows(DeviceMapperException.class, () -> dm.resume("nosuch"));
        DeviceMapperException busy = assertThrows(DeviceMapperException.class, () -> dm.remove("origin-real"));
        assertTrue(busy.getMessage().contains("Device or resource busy"), busy.getMessage());
        dm.remove("origin");
        dm.remove("origin-real");
        assertEquals(List.of(), dm.list());
        assertFalse(dm.exists("origin"));
    }

    @Test
    void failsTheChosenCallOnceAndChangesNothing() throws Exception {
        dm.create("snap", List.of("0 8 zero"), false);
        dm.failNext("load snap", "device-mapper: reload ioctl on snap (254:0) failed: Invalid argument");
        DeviceMapperException e =
                assertThrows(DeviceMapperException.class, () -> dm.load("snap", List.of("0 8 error")));
        assertEquals("device-mapper: reload ioctl on snap (254:0) failed: Invalid argument", e.getMessage());
        assertTrue(dm.inactiveTable("snap").isEmpty());
        dm.load("snap", List.of("0 8 error"));
        assertEquals(List.of("0 8 error"), dm.inactiveTable("snap").orElseThrow());
    }

    @Test
    void reportsTheStatusItIsGiven() throws Exception {
        dm.create("snap", List.of("0 8192 snapshot 254:0 254:1 P 8"), false);
        assertEquals(List.of(), dm.status("snap"));
        dm.setStatus("snap", List.of("0 8192 snapshot Overflow"));
        assertEquals(
                SnapshotStatus.OVERFLOW,
                StatusLine.parse(dm.status("snap").get(0)).status());
    }
}
