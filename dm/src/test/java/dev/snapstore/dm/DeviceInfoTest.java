package dev.snapstore.dm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** dmsetup info's default format, as dmsetup 1.02.185 prints it. */
class DeviceInfoTest {

    @Test
    void readsAnActiveDeviceWithALiveTable() throws Exception {
        DeviceInfo info =
                DeviceInfo.parse("Name:              origin\nState:             ACTIVE\nRead Ahead:        256\n"
                        + "Tables present:    LIVE\nOpen count:        0\nEvent number:      0\nMajor, minor:      254, 0\n"
                        + "Number of targets: 1\n");
        assertEquals(new DeviceInfo("origin", false, true, false, 0, 254, 0, 1), info);
    }

    @Test
    void readsACreatedButNeverResumedDevice() throws Exception {
        DeviceInfo info = DeviceInfo.parse("Name:              snap\nState:             ACTIVE\nRead Ahead:        0\n"
                + "Tables present:    INACTIVE\nOpen count:        0\nEvent number:      0\nMajor, minor:      254, 4\n"
                + "Number of targets: 0\n");
        assertEquals(new DeviceInfo("snap", false, false, true, 0, 254, 4, 0), info);
    }

    @Test
    void refusesOtherText() {
        assertThrows(DeviceMapperException.class, () -> DeviceInfo.parse("Device does not exist.\n"));
        assertThrows(
                DeviceMapperException.class,
                () -> DeviceInfo.parse(
                        "Name: a\nState: ACTIVE\nTables present: LIVE\n" + "Open count: x\nMajor, minor: 254, 0\n"));
    }
}
