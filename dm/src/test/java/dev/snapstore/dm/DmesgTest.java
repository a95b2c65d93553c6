package dev.snapstore.dm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The kernel log's device-mapper lines: dmesg's formats, the time window, and their place in a refusal's message. */
class DmesgTest {

    /** dmesg of a 6.1 guest in which a snapshot table was refused at 12.5 s (fixture s6-errors' words). */
    private static final String DMESG = "[    0.000000] Linux version 6.1.0-56-amd64\n"
            + "[    3.722622] device-mapper: ioctl: 4.47.0-ioctl (2022-07-28) initialised: dm-devel@redhat.com\n"
            + "[   12.400001] device-mapper: snapshots: Snapshot is marked invalid.\n"
            + "[   12.500000] device-mapper: table: 254:3: snapshot: Couldn't create exception store (-EINVAL)\n"
            + "[   12.500002] device-mapper: ioctl: error adding target to table\n"
            + "[   12.600000] virtio_blk virtio2: [vdc] 2097152 512-byte logical blocks\n";

    @Test
    void parsesUtilLinuxAndRawLinesAndSkipsLinesWithoutATimestamp() {
        List<Dmesg.Entry> entries = Dmesg.parse(
                "[    3.722622] device-mapper: probe\n<3>[   12.5] device-mapper: raw\nno stamp\n[1.123456789] x\n");
        assertEquals(
                List.of(
                        new Dmesg.Entry(3_722_622, "device-mapper: probe"),
                        new Dmesg.Entry(12_500_000, "device-mapper: raw"),
                        new Dmesg.Entry(1_123_456, "x")),
                entries);
        assertEquals(List.of(), Dmesg.parse(""));
    }

    @Test
    void reportsTheDeviceMapperLinesSinceTheMarkOnce() {
        Deque<Long> clock = new ArrayDeque<>(List.of(12_450_000L, 12_450_000L));
        Dmesg log = new Dmesg(() -> DMESG, clock::removeFirst);
        long mark = log.mark();
        assertEquals(
                List.of(
                        "device-mapper: table: 254:3: snapshot: Couldn't create exception store (-EINVAL)",
                        "device-mapper: ioctl: error adding target to table"),
                log.since(mark));
        // A second failure right after: the same lines are not the kernel's words about it.
        assertEquals(List.of(), log.since(log.mark()));
    }

    @Test
    void aLineStampedJustBeforeTheMarkCountsOneLongBeforeDoesNot() {
        List<Dmesg.Entry> entries = Dmesg.parse(DMESG);
        assertEquals(2, Dmesg.select(entries, 12_510_000, Long.MIN_VALUE).size(), "within the slack");
        assertEquals(0, Dmesg.select(entries, 12_600_000, Long.MIN_VALUE).size());
        assertEquals(3, Dmesg.select(entries, 12_000_000, Long.MIN_VALUE).size());
        assertEquals(
                Dmesg.MAX_LINES,
                Dmesg.select(Dmesg.parse("[ 1.0] device-mapper: a\n".repeat(9)), 0, Long.MIN_VALUE)
                        .size());
    }

    @Test
    void anUnreadableLogGivesNoLines() {
        assertEquals(List.of(), new Dmesg(() -> "", () -> 0L).since(0));
        assertEquals(List.of(), Dmesg.NONE.since(0));
    }

    @Test
    void aRefusedLoadCarriesTheKernelsWords() {
        DmsetupDeviceMapper dm = new DmsetupDeviceMapper(
                "dmsetup",
                Duration.ofSeconds(5),
                null,
                true,
                (command, env, stdin, timeout) -> new ProcessRunner.Result(
                        1,
                        "",
                        "device-mapper: reload ioctl on snap (254:3) failed: Invalid argument\nCommand failed.\n"),
                new Dmesg(() -> DMESG, () -> 12_450_000L));
        DeviceMapperException e = assertThrows(
                DeviceMapperException.class, () -> dm.load("snap", List.of("0 8 snapshot 254:1 254:2 P 8")));
        assertEquals(
                "dmsetup load snap failed (exit status 1): device-mapper: reload ioctl on snap (254:3) failed: Invalid"
                        + " argument; kernel: device-mapper: table: 254:3: snapshot: Couldn't create exception store"
                        + " (-EINVAL); device-mapper: ioctl: error adding target to table",
                e.getMessage());
        assertEquals(2, e.kernelLog().size());
        assertTrue(e.kernelLog().get(0).contains(KernelMessages.STORE_NOT_CREATED));
    }

    @Test
    void aFailedReadOfTheTableDoesNotAskTheLog() {
        DmsetupDeviceMapper dm = new DmsetupDeviceMapper(
                "dmsetup",
                Duration.ofSeconds(5),
                null,
                true,
                (command, env, stdin, timeout) -> new ProcessRunner.Result(1, "", "Device does not exist.\n"),
                new Dmesg(
                        () -> {
                            throw new AssertionError("must not read the log");
                        },
                        () -> 0L));
        DeviceMapperException e = assertThrows(DeviceMapperException.class, () -> dm.table("x"));
        assertEquals(List.of(), e.kernelLog());
    }
}
