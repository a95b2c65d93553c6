package dev.snapstore.dm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The dmsetup command lines, their input and the error messages, with a scripted runner instead of dmsetup. */
class DmsetupDeviceMapperTest {

    private record Call(List<String> command, Map<String, String> env, String stdin) {}

    private final List<Call> calls = new ArrayList<>();
    private final Deque<ProcessRunner.Result> results = new ArrayDeque<>();

    private DmsetupDeviceMapper mapper(Boolean udev) {
        return new DmsetupDeviceMapper("dmsetup", Duration.ofSeconds(5), null, udev, (command, env, stdin, timeout) -> {
            calls.add(new Call(command, env, stdin));
            return results.isEmpty() ? new ProcessRunner.Result(0, "", "") : results.removeFirst();
        });
    }

    @Test
    void createsWithTheTableOnStandardInputAndWithoutUdev() throws Exception {
        mapper(false).create("origin", List.of("0 8192 linear /dev/vda 0", "8192 8 zero"), false);
        assertEquals(
                List.of("dmsetup", "--noudevsync", "create", "origin"),
                calls.get(0).command());
        assertEquals(Map.of("DM_DISABLE_UDEV", "1"), calls.get(0).env());
        assertEquals("0 8192 linear /dev/vda 0\n8192 8 zero\n", calls.get(0).stdin());
    }

    @Test
    void withUdevItSynchronises() throws Exception {
        mapper(true).resume("snap");
        assertEquals(List.of("dmsetup", "resume", "snap"), calls.get(0).command());
        assertEquals(Map.of(), calls.get(0).env());
    }

    @Test
    void createSuspendedIsCreateWithoutTableThenLoad() throws Exception {
        mapper(true).create("snap", List.of("0 8192 snapshot 254:1 254:2 P 8"), true);
        assertEquals(
                List.of("dmsetup", "create", "snap", "--notable"), calls.get(0).command());
        assertEquals(List.of("dmsetup", "load", "snap"), calls.get(1).command());
        assertEquals("0 8192 snapshot 254:1 254:2 P 8\n", calls.get(1).stdin());
    }

    @Test
    void aRefusedLoadOfASuspendedCreateRemovesTheEmptyDevice() {
        results.add(new ProcessRunner.Result(0, "", ""));
        results.add(new ProcessRunner.Result(
                1, "", "device-mapper: reload ioctl on snap (254:3) failed: Invalid argument\n" + "Command failed.\n"));
        DeviceMapperException e = assertThrows(DeviceMapperException.class, () -> mapper(true)
                .create("snap", List.of("0 8 snapshot 254:1 254:2 P 8"), true));
        assertEquals(
                "dmsetup load snap failed (exit status 1): device-mapper: reload ioctl on snap (254:3) failed: "
                        + "Invalid argument",
                e.getMessage());
        assertEquals(1, e.exitStatus());
        assertEquals(List.of("dmsetup", "remove", "snap"), calls.get(2).command());
    }

    @Test
    void readsTableStatusListAndTargets() throws Exception {
        results.add(new ProcessRunner.Result(0, "0 8192 snapshot 254:0 254:1 P 8\n", ""));
        results.add(new ProcessRunner.Result(0, "0 8192 snapshot 16/2048 16\n", ""));
        results.add(new ProcessRunner.Result(0, "snap\t(254:2)\norigin\t(254:0)\n", ""));
        results.add(new ProcessRunner.Result(0, "snapshot         v1.16.0\nsnapshot-merge   v1.5.0\n", ""));
        DmsetupDeviceMapper dm = mapper(true);
        assertEquals(List.of("0 8192 snapshot 254:0 254:1 P 8"), dm.table("snap"));
        assertEquals("16/2048 16", StatusLine.parse(dm.status("snap").get(0)).params());
        assertEquals(List.of("origin", "snap"), dm.list());
        assertEquals("PO", Negotiator.negotiate(dm.targets(), false, false).typeWord());
        assertEquals(List.of("dmsetup", "ls"), calls.get(2).command());
    }

    @Test
    void noDevicesIsAnEmptyList() throws Exception {
        results.add(new ProcessRunner.Result(0, "No devices found\n", ""));
        assertEquals(List.of(), mapper(true).list());
    }

    @Test
    void infoOfAMissingDeviceIsEmpty() throws Exception {
        results.add(new ProcessRunner.Result(1, "", "Device does not exist.\nCommand failed.\n"));
        assertTrue(mapper(true).info("nosuch").isEmpty());
        results.add(new ProcessRunner.Result(
                0,
                "Name:              snap\nState:             SUSPENDED\n"
                        + "Read Ahead:        256\nTables present:    LIVE & INACTIVE\nOpen count:        2\n"
                        + "Event number:      0\nMajor, minor:      254, 3\nNumber of targets: 1\n",
                ""));
        DeviceInfo info = mapper(true).info("snap").orElseThrow();
        assertEquals(new DeviceInfo("snap", true, true, true, 2, 254, 3, 1), info);
        assertEquals("254:3", info.devno());
    }

    @Test
    void refusesNamesThatAreNotOneArgument() {
        DmsetupDeviceMapper dm = mapper(true);
        for (String bad : List.of("", "-f", "a b", "a/b")) {
            assertThrows(IllegalArgumentException.class, () -> dm.remove(bad), bad);
        }
        assertThrows(IllegalArgumentException.class, () -> dm.load("x", List.of()));
        assertThrows(IllegalArgumentException.class, () -> dm.load("x", List.of("0 8 zero\n8 8 zero")));
        assertTrue(calls.isEmpty());
    }

    @Test
    void aMissingControlNodeIsOneClearLine(@TempDir Path dir) {
        DmsetupDeviceMapper dm = new DmsetupDeviceMapper(
                "dmsetup", Duration.ofSeconds(5), dir.resolve("control"), true, (c, e, s, t) -> {
                    throw new AssertionError("must not run");
                });
        DeviceMapperException e = assertThrows(DeviceMapperException.class, dm::list);
        assertEquals(
                dir.resolve("control") + " is missing: the kernel has no device-mapper (modprobe dm-mod) or /dev is "
                        + "not mounted",
                e.getMessage());
    }

    @Test
    void aMissingDmsetupIsOneClearLine(@TempDir Path dir) throws Exception {
        Path control = Files.createFile(dir.resolve("control"));
        DmsetupDeviceMapper dm = new DmsetupDeviceMapper(
                dir.resolve("no-dmsetup").toString(), Duration.ofSeconds(5), control, false, ProcessRunner::run);
        DeviceMapperException e = assertThrows(DeviceMapperException.class, dm::list);
        assertTrue(
                e.getMessage().startsWith("cannot run " + dir.resolve("no-dmsetup") + ": not found"), e.getMessage());
    }

    @Test
    void aHangingCommandIsKilledAtItsTimeLimit(@TempDir Path dir) throws Exception {
        Path control = Files.createFile(dir.resolve("control"));
        Path script = dir.resolve("slow-dmsetup");
        Files.writeString(script, "#!/bin/sh\nsleep 30\n");
        assertTrue(script.toFile().setExecutable(true));
        DmsetupDeviceMapper dm =
                new DmsetupDeviceMapper(script.toString(), Duration.ofMillis(300), control, true, ProcessRunner::run);
        long t0 = System.nanoTime();
        DeviceMapperException e = assertThrows(DeviceMapperException.class, () -> dm.suspend("origin"));
        assertTrue(e.getMessage().contains("did not finish within 300 ms and was killed"), e.getMessage());
        assertTrue(System.nanoTime() - t0 < Duration.ofSeconds(20).toNanos());
    }

    @Test
    void stderrAndStatusComeFromTheRealProcess(@TempDir Path dir) throws Exception {
        Path control = Files.createFile(dir.resolve("control"));
        Path script = dir.resolve("fake-dmsetup");
        Files.writeString(script, "#!/bin/sh\necho \"args: $* udev=${DM_DISABLE_UDEV:-}\" >&2\ncat >&2\nexit 1\n");
        assertTrue(script.toFile().setExecutable(true));
        DmsetupDeviceMapper dm =
                new DmsetupDeviceMapper(script.toString(), Duration.ofSeconds(20), control, false, ProcessRunner::run);
        DeviceMapperException e = assertThrows(DeviceMapperException.class, () -> dm.load("snap", List.of("0 8 zero")));
        assertEquals("args: --noudevsync load snap udev=1\n0 8 zero", e.stderr());
        assertEquals(1, e.exitStatus());
        assertFalse(e.getMessage().contains("\n"));
    }
}
