package dev.snapstore.dm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The activator follows lvm2's order on the fake and rolls every failed step back to the state before. */
class SnapshotActivatorTest {

    private static final String LINEAR = "0 8192 linear /dev/vdb 0";
    private static final List<String> MUTATING = List.of("create", "load", "clear", "suspend", "resume", "remove");

    private static RecordingDeviceMapper fake() throws Exception {
        RecordingDeviceMapper dm =
                new RecordingDeviceMapper(TargetVersions.parse("snapshot v1.16.0\nsnapshot-origin v1.9.0\n"));
        dm.create("vol", List.of(LINEAR), false);
        return dm;
    }

    /** Devices with their live table, inactive table and suspension, as one comparable text. */
    private static String state(RecordingDeviceMapper dm) throws Exception {
        StringBuilder s = new StringBuilder();
        for (String name : dm.list()) {
            DeviceInfo info = dm.info(name).orElseThrow();
            s.append(name)
                    .append(info.suspended() ? " suspended" : "")
                    .append(" live=")
                    .append(dm.table(name))
                    .append(" inactive=")
                    .append(dm.inactiveTable(name))
                    .append('\n');
        }
        return s.toString();
    }

    private static List<String> mutations(List<String> calls) {
        List<String> out = new ArrayList<>();
        for (String call : calls) {
            if (MUTATING.contains(call.split(" ")[0])) {
                out.add(call);
            }
        }
        return out;
    }

    @Test
    void theFirstSnapshotFollowsLvm2sOrder() throws Exception {
        RecordingDeviceMapper dm = fake();
        int before = dm.calls().size();
        SnapshotActivator.Activation a =
                new SnapshotActivator(dm).activate("vol", "/dev/vdc", "snap", 8, Optional.empty());
        assertEquals("PO", a.typeWord());
        assertTrue(a.negotiation().isPresent());
        assertEquals("0 8192 snapshot /dev/mapper/vol-real /dev/vdc PO 8", a.table());
        assertEquals(
                List.of(
                        "create vol-real",
                        "create snap suspended",
                        "load vol",
                        "suspend vol",
                        "resume snap",
                        "resume vol"),
                mutations(dm.calls().subList(before, dm.calls().size())));
        assertEquals(List.of(LINEAR), dm.table("vol-real"));
        assertEquals(List.of("0 8192 snapshot-origin /dev/mapper/vol-real"), dm.table("vol"));
        assertEquals(List.of(a.table()), dm.table("snap"));
        assertFalse(dm.info("vol").orElseThrow().suspended());
        assertEquals(List.of("snap"), new SnapshotActivator(dm).snapshotsOf("vol"));
    }

    @Test
    void twoSnapshotsShareRealAndTheLastRemovalRestoresTheOrigin() throws Exception {
        RecordingDeviceMapper dm = fake();
        SnapshotActivator activator = new SnapshotActivator(dm);
        activator.activate("vol", "/dev/vdc", "s1", 8, Optional.of("P"));
        int before = dm.calls().size();
        activator.activate("vol", "/dev/vdd", "s2", 16, Optional.of("P"));
        assertEquals(
                List.of("create s2 suspended", "suspend vol", "resume s2", "resume vol"),
                mutations(dm.calls().subList(before, dm.calls().size())));
        assertEquals(List.of("s1", "s2"), activator.snapshotsOf("vol"));

        activator.remove("s1");
        assertEquals(List.of("s2", "vol", "vol-real"), dm.list());
        assertEquals(List.of("0 8192 snapshot-origin /dev/mapper/vol-real"), dm.table("vol"));
        before = dm.calls().size();
        activator.remove("s2");
        assertEquals(
                List.of("remove s2", "load vol", "suspend vol", "resume vol", "remove vol-real"),
                mutations(dm.calls().subList(before, dm.calls().size())));
        assertEquals(List.of("vol"), dm.list());
        assertEquals(List.of(LINEAR), dm.table("vol"));
        assertEquals(List.of(), activator.snapshotsOf("vol"));
    }

    @Test
    void aFailureAtEveryStepOfTheFirstActivationRollsBack() throws Exception {
        failEveryStep(fake(), "snap");
    }

    @Test
    void aFailureAtEveryStepOfASecondActivationRollsBack() throws Exception {
        RecordingDeviceMapper dm = fake();
        new SnapshotActivator(dm).activate("vol", "/dev/vdc", "s1", 8, Optional.of("P"));
        failEveryStep(dm, "s2");
    }

    private static void failEveryStep(RecordingDeviceMapper dm, String name) throws Exception {
        String before = state(dm);
        // A dry run on a copy of the calls tells the steps; each is then failed in turn.
        RecordingDeviceMapper probe = fake();
        if (dm.exists("s1")) {
            new SnapshotActivator(probe).activate("vol", "/dev/vdc", "s1", 8, Optional.of("P"));
        }
        int start = probe.calls().size();
        new SnapshotActivator(probe).activate("vol", "/dev/vdd", name, 8, Optional.of("P"));
        List<String> steps =
                mutations(probe.calls().subList(start, probe.calls().size()));
        assertTrue(steps.size() >= 4, steps.toString());
        for (String step : steps) {
            dm.failNext(step, "device-mapper: " + step + " ioctl failed: Invalid argument");
            DeviceMapperException e = assertThrows(DeviceMapperException.class, () -> new SnapshotActivator(dm)
                    .activate("vol", "/dev/vdd", name, 8, Optional.of("P")));
            String[] words = step.split(" ");
            assertTrue(e.getMessage().contains("failed at \"" + words[0] + " " + words[1] + "\""), e.getMessage());
            assertTrue(e.getMessage().contains("Invalid argument"), e.getMessage());
            assertEquals("device-mapper: " + step + " ioctl failed: Invalid argument", e.stderr());
            assertEquals(0, e.getSuppressed().length, step);
            assertEquals(before, state(dm), "state after a failed " + step);
        }
        // With no failure left, the same activation works.
        new SnapshotActivator(dm).activate("vol", "/dev/vdd", name, 8, Optional.of("P"));
    }

    @Test
    void aFailureAtEveryStepOfTheLastRemovalRollsTheOriginBack() throws Exception {
        RecordingDeviceMapper probe = fake();
        new SnapshotActivator(probe).activate("vol", "/dev/vdc", "snap", 8, Optional.of("P"));
        int start = probe.calls().size();
        new SnapshotActivator(probe).remove("snap");
        List<String> steps =
                mutations(probe.calls().subList(start, probe.calls().size()));
        assertEquals(List.of("remove snap", "load vol", "suspend vol", "resume vol", "remove vol-real"), steps);
        for (String step : steps) {
            RecordingDeviceMapper dm = fake();
            new SnapshotActivator(dm).activate("vol", "/dev/vdc", "snap", 8, Optional.of("P"));
            String before = state(dm);
            dm.failNext(step, "device-mapper: " + step + " ioctl failed: Device or resource busy");
            DeviceMapperException e =
                    assertThrows(DeviceMapperException.class, () -> new SnapshotActivator(dm).remove("snap"));
            assertTrue(e.getMessage().contains("busy"), e.getMessage());
            if (step.equals("remove snap")) {
                assertEquals(before, state(dm));
            } else {
                // The snapshot is gone; the origin is still snapshot-origin of -real, live and resumed.
                assertEquals(before.replaceFirst("snap live=[^\n]*\n", ""), state(dm), step);
            }
        }
    }

    @Test
    void badRequestsChangeNothing() throws Exception {
        RecordingDeviceMapper dm = fake();
        dm.create("taken", List.of(LINEAR), false);
        String before = state(dm);
        SnapshotActivator activator = new SnapshotActivator(dm);
        DeviceMapperException noOrigin = assertThrows(
                DeviceMapperException.class, () -> activator.activate("nosuch", "/dev/vdc", "s", 8, Optional.empty()));
        assertEquals(-1, noOrigin.exitStatus());
        DeviceMapperException taken = assertThrows(
                DeviceMapperException.class, () -> activator.activate("vol", "/dev/vdc", "taken", 8, Optional.empty()));
        assertTrue(taken.getMessage().contains("taken"), taken.getMessage());
        assertEquals(-1, taken.exitStatus());
        DeviceMapperException notSnapshot = assertThrows(DeviceMapperException.class, () -> activator.remove("taken"));
        assertEquals(-1, notSnapshot.exitStatus());
        assertEquals(
                -1,
                assertThrows(DeviceMapperException.class, () -> activator.remove("nosuch"))
                        .exitStatus());
        assertEquals(before, state(dm));
    }

    @Test
    void theKernelsDeviceNumbersAreUnderstood() throws Exception {
        // dmsetup table prints major:minor; the fake gives -real the number 254:1.
        RecordingDeviceMapper dm = fake();
        dm.create("vol-real", List.of(LINEAR), false);
        dm.create("snap", List.of("0 8192 snapshot 254:1 /dev/vdc P 8"), false);
        dm.load("vol", List.of("0 8192 snapshot-origin 254:1"));
        dm.resume("vol");
        SnapshotActivator activator = new SnapshotActivator(dm);
        assertEquals(List.of("snap"), activator.snapshotsOf("vol"));
        activator.remove("snap");
        assertEquals(List.of("vol"), dm.list());
        assertEquals(List.of(LINEAR), dm.table("vol"));
    }

    @Test
    void aMergeFollowsLvm2sOrderAndEndsWithTheOriginsOwnTable() throws Exception {
        RecordingDeviceMapper dm = fake();
        SnapshotActivator activator = new SnapshotActivator(dm);
        activator.activate("vol", "/dev/vdc", "snap", 8, Optional.of("P"));
        int before = dm.calls().size();
        assertEquals("vol", activator.startMerge("snap"));
        assertEquals(
                List.of(
                        "load vol",
                        "load snap",
                        "suspend vol",
                        "suspend snap",
                        "suspend vol-real",
                        "resume vol-real",
                        "resume vol",
                        "resume snap"),
                mutations(dm.calls().subList(before, dm.calls().size())));
        assertEquals(List.of("0 8192 snapshot-merge /dev/mapper/vol-real /dev/vdc P 8"), dm.table("vol"));
        assertEquals(List.of("0 8192 error"), dm.table("snap"));

        dm.setStatus("vol", List.of("0 8192 snapshot-merge 48/2048 16"));
        DeviceMapperException running =
                assertThrows(DeviceMapperException.class, () -> activator.finishMerge("vol", "snap"));
        assertTrue(running.getMessage().contains("48/2048 16"), running.getMessage());
        dm.setStatus("vol", List.of("0 8192 snapshot-merge 16/2048 16"));
        activator.finishMerge("vol", "snap");
        assertEquals(List.of("vol"), dm.list());
        assertEquals(List.of(LINEAR), dm.table("vol"));
    }

    @Test
    void aFailureAtEveryStepOfStartingAMergeRollsBack() throws Exception {
        List<String> steps = List.of(
                "load vol",
                "load snap",
                "suspend vol",
                "suspend snap",
                "suspend vol-real",
                "resume vol-real",
                "resume vol");
        for (String step : steps) {
            RecordingDeviceMapper dm = fake();
            new SnapshotActivator(dm).activate("vol", "/dev/vdc", "snap", 8, Optional.of("P"));
            String before = state(dm);
            dm.failNext(step, "device-mapper: " + step + " ioctl failed: Invalid argument");
            DeviceMapperException e =
                    assertThrows(DeviceMapperException.class, () -> new SnapshotActivator(dm).startMerge("snap"));
            assertTrue(e.getMessage().contains("Invalid argument"), e.getMessage());
            assertEquals(before, state(dm), step);
        }
    }

    @Test
    void onlyASoleSnapshotMerges() throws Exception {
        RecordingDeviceMapper dm = fake();
        SnapshotActivator activator = new SnapshotActivator(dm);
        activator.activate("vol", "/dev/vdc", "s1", 8, Optional.of("P"));
        activator.activate("vol", "/dev/vdd", "s2", 8, Optional.of("P"));
        String before = state(dm);
        DeviceMapperException e = assertThrows(DeviceMapperException.class, () -> activator.startMerge("s1"));
        assertEquals(-1, e.exitStatus());
        assertTrue(e.getMessage().contains("s2"), e.getMessage());
        assertEquals(
                -1,
                assertThrows(DeviceMapperException.class, () -> activator.finishMerge("vol", "s1"))
                        .exitStatus());
        assertEquals(before, state(dm));
    }
}
