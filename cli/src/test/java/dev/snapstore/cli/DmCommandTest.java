package dev.snapstore.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.snapstore.dm.RecordingDeviceMapper;
import dev.snapstore.dm.TargetVersions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code snapstore dm} on the in-memory device-mapper fake: what it prints and its exit statuses. */
class DmCommandTest {

    private static final String LINEAR = "0 8192 linear /dev/vdb 0";

    @TempDir
    Path dir;

    private RecordingDeviceMapper dm;
    private String cow;

    @BeforeEach
    void origin() throws Exception {
        dm = new RecordingDeviceMapper(TargetVersions.parse("snapshot v1.16.0\nsnapshot-origin v1.9.0\n"));
        dm.create("vol", List.of(LINEAR), false);
        cow = Files.createFile(dir.resolve("cow")).toString();
    }

    private CliRun run(String... args) {
        return CliRun.withDm(dm, args);
    }

    @Test
    void snapshotStatusListRemove() throws Exception {
        CliRun snap = run("dm", "snapshot", "vol", "--cow", cow, "--name", "snap");
        assertEquals(ExitStatus.OK, snap.status(), snap.toString());
        assertTrue(snap.out().contains("table: 0 8192 snapshot /dev/mapper/vol-real " + cow + " PO 8"), snap.out());
        assertEquals(List.of("0 8192 snapshot-origin /dev/mapper/vol-real"), dm.table("vol"));

        dm.setStatus("snap", List.of("0 8192 snapshot 32/2048 16"));
        CliRun status = run("dm", "status", "snap");
        assertEquals(ExitStatus.OK, status.status(), status.toString());
        assertEquals("snap: 1.56% used (32 of 2048 sectors, 16 of metadata)\n", status.out());
        CliRun json = run("dm", "status", "snap", "--json");
        assertTrue(json.out().contains("\"percent\" : 1.5625"), json.out());

        CliRun list = run("dm", "list");
        assertEquals("snap snapshot /dev/mapper/vol-real " + cow + " PO 8 32/2048 16\n", list.out());
        assertTrue(run("dm", "list", "--json").out().contains("\"typeWord\" : \"PO\""));

        CliRun remove = run("dm", "remove", "snap");
        assertEquals(ExitStatus.OK, remove.status(), remove.toString());
        assertEquals(List.of("vol"), dm.list());
        assertEquals(List.of(LINEAR), dm.table("vol"));
        assertEquals("", run("dm", "list").out());
    }

    @Test
    void aGivenTypeWordAndChunkSizeAreUsed() throws Exception {
        CliRun snap = run(
                "dm", "snapshot", "vol", "--cow", cow, "--name", "snap", "--type", "P", "--chunk-size", "16", "--json");
        assertEquals(ExitStatus.OK, snap.status(), snap.toString());
        assertTrue(snap.out().contains("\"typeWord\" : \"P\""), snap.out());
        assertEquals(List.of("0 8192 snapshot /dev/mapper/vol-real " + cow + " P 16"), dm.table("snap"));
    }

    @Test
    void overflowAndInvalidAreANo() throws Exception {
        run("dm", "snapshot", "vol", "--cow", cow, "--name", "snap");
        dm.setStatus("snap", List.of("0 8192 snapshot Overflow"));
        CliRun overflow = run("dm", "status", "snap");
        assertEquals(ExitStatus.NO, overflow.status());
        assertEquals("snap: Overflow\n", overflow.out());
        dm.setStatus("snap", List.of("0 8192 snapshot Invalid"));
        assertEquals("snap: Invalid\n", run("dm", "status", "snap").out());
    }

    @Test
    void theKernelsRefusalIsANoAndNothingChanges() throws Exception {
        dm.failNext("load vol", "device-mapper: reload ioctl on vol (254:0) failed: Invalid argument");
        CliRun refused = run("dm", "snapshot", "vol", "--cow", cow, "--name", "snap");
        assertEquals(ExitStatus.NO, refused.status(), refused.toString());
        assertEquals(1, refused.err().lines().count(), refused.err());
        assertTrue(refused.err().contains("Invalid argument"), refused.err());
        assertFalse(refused.err().contains("\tat "), refused.err());
        assertEquals(List.of("vol"), dm.list());
        assertEquals(List.of(LINEAR), dm.table("vol"));
    }

    @Test
    void badInputIsStatus2WithOneLine() throws Exception {
        dm.create("taken", List.of(LINEAR), false);
        for (String[] args : List.of(
                new String[] {"dm", "snapshot", "nosuch", "--cow", cow, "--name", "s"},
                new String[] {"dm", "snapshot", "vol", "--cow", cow, "--name", "taken"},
                new String[] {
                    "dm", "snapshot", "vol", "--cow", dir.resolve("missing").toString(), "--name", "s"
                },
                new String[] {"dm", "snapshot", "vol", "--name", "s"},
                new String[] {"dm", "status", "nosuch"},
                new String[] {"dm", "status", "taken"},
                new String[] {"dm", "remove", "nosuch"},
                new String[] {"dm", "remove", "taken"},
                new String[] {"dm", "frob"},
                new String[] {"dm"},
                new String[] {"dm", "list", "extra"},
                new String[] {"dm", "monitor", "nosuch"})) {
            CliRun r = run(args);
            assertEquals(ExitStatus.USAGE, r.status(), String.join(" ", args) + ": " + r);
            assertEquals(1, r.err().lines().count(), r.err());
            assertEquals("", r.out());
        }
        assertEquals(List.of("taken", "vol"), dm.list());
    }

    @Test
    void monitorPrintsDmeventdsWarnings() throws Exception {
        run("dm", "snapshot", "vol", "--cow", cow, "--name", "snap");
        dm.setStatus("snap", List.of("0 8192 snapshot 1700/2000 16"));
        CliRun r = run("dm", "monitor", "snap", "--interval", "0", "--count", "2");
        assertEquals(ExitStatus.OK, r.status(), r.toString());
        assertEquals("WARNING: Snapshot snap is now 85.00% full.\n", r.out());
        CliRun low = run("dm", "monitor", "snap", "--threshold", "90", "--interval", "0", "--count", "1");
        assertEquals("", low.out());
        dm.setStatus("snap", List.of("0 8192 snapshot Invalid"));
        assertEquals(
                "WARNING: Snapshot snap changed state to: Invalid and should be removed.\n",
                run("dm", "monitor", "snap", "--interval", "0", "--count", "1").out());
    }
}
