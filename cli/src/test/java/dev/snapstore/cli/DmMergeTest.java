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

/** {@code snapstore dm merge} on the in-memory fake: start, wait, resume, failure, timeout, bad input. */
class DmMergeTest {

    private static final String LINEAR = "0 8192 linear /dev/vdb 0";
    private static final String FAST = "0.001";

    @TempDir
    Path dir;

    private RecordingDeviceMapper dm;

    @BeforeEach
    void snapshot() throws Exception {
        dm = new RecordingDeviceMapper(TargetVersions.parse("snapshot v1.16.0\nsnapshot-origin v1.9.0\n"));
        dm.create("vol", List.of(LINEAR), false);
        String cow = Files.createFile(dir.resolve("cow")).toString();
        assertEquals(
                ExitStatus.OK,
                run("dm", "snapshot", "vol", "--cow", cow, "--name", "snap", "--type", "P")
                        .status());
    }

    private CliRun run(String... args) {
        return CliRun.withDm(dm, args);
    }

    private void script(String... statuses) {
        dm.scriptStatus(
                "vol",
                List.of(statuses).stream()
                        .map(s -> List.of("0 8192 snapshot-merge " + s))
                        .toList());
    }

    private void assertMergedAway() throws Exception {
        assertEquals(List.of("vol"), dm.list());
        assertEquals(List.of(LINEAR), dm.table("vol"));
    }

    @Test
    void waitPrintsProgressLinesAndEndsWithTheOriginOnItsOwnTable() throws Exception {
        script("48/2048 16", "48/2048 16", "32/2048 16", "16/2048 16");
        CliRun r = run("dm", "merge", "snap", "--wait", "--interval", FAST);
        assertEquals(ExitStatus.OK, r.status(), r.toString());
        assertEquals(
                "snap: 0.00% merged into vol (32 sectors left)\n"
                        + "snap: 50.00% merged into vol (16 sectors left)\n"
                        + "snap: 100.00% merged into vol (0 sectors left)\n"
                        + "snap: merged into vol; vol is on its own table again\n",
                r.out());
        assertEquals("", r.err());
        assertMergedAway();
    }

    @Test
    void withoutWaitItStartsTheMergeThenWaitInANewRunFinishesIt() throws Exception {
        CliRun start = run("dm", "merge", "snap");
        assertEquals(ExitStatus.OK, start.status(), start.toString());
        assertEquals(
                "snap: merging into vol ('snapstore dm merge snap --wait' waits for the end and finishes it)\n",
                start.out());
        assertEquals(
                List.of("0 8192 snapshot-merge /dev/mapper/vol-real /tmp/cow P 8"
                        .replace("/tmp/cow", dir.resolve("cow").toString())),
                dm.table("vol"));
        assertEquals(List.of("0 8192 error"), dm.table("snap"));

        CliRun again = run("dm", "merge", "snap", "--json");
        assertEquals(ExitStatus.OK, again.status(), again.toString());
        assertTrue(again.out().contains("\"started\" : false"), again.out());

        script("40/2048 16", "16/2048 16");
        CliRun resumed = run("dm", "merge", "snap", "--wait", "--json", "--interval", FAST);
        assertEquals(ExitStatus.OK, resumed.status(), resumed.toString());
        assertTrue(resumed.out().contains("\"state\" : \"merged\""), resumed.out());
        assertTrue(resumed.out().contains("\"polls\" : 2"), resumed.out());
        assertFalse(resumed.out().contains("% merged"), "no progress lines in JSON: " + resumed.out());
        assertMergedAway();
    }

    @Test
    void waitOnTheOriginResumesToo() throws Exception {
        run("dm", "merge", "snap");
        script("16/2048 16");
        CliRun r = run("dm", "merge", "vol", "--wait", "--interval", FAST);
        assertEquals(ExitStatus.OK, r.status(), r.toString());
        assertTrue(r.out().endsWith("vol: merged into vol; vol is on its own table again\n"), r.out());
        assertMergedAway();
    }

    @Test
    void mergeFailedIsANoInLvm2sWordsAndLeavesTheDevices() throws Exception {
        run("dm", "merge", "snap");
        script("Merge failed");
        CliRun r = run("dm", "merge", "snap", "--wait", "--interval", FAST);
        assertEquals(ExitStatus.NO, r.status(), r.toString());
        assertEquals("snapstore: dm merge: vol: Merge failed. Retry merge or inspect manually.\n", r.err());
        assertEquals(List.of("snap", "vol", "vol-real"), dm.list());
    }

    @Test
    void aTimeoutIsANoThatSaysHowToWaitAgain() throws Exception {
        run("dm", "merge", "snap");
        script("48/2048 16");
        CliRun r = run("dm", "merge", "snap", "--wait", "--interval", FAST, "--timeout", "0.05");
        assertEquals(ExitStatus.NO, r.status(), r.toString());
        assertEquals(1, r.err().lines().count(), r.err());
        assertTrue(r.err().contains("did not finish within 50 ms"), r.err());
        assertTrue(r.err().contains("'snapstore dm merge snap --wait'"), r.err());
        assertEquals("snapshot-merge", dm.table("vol").get(0).split(" ")[2]);
    }

    @Test
    void badInputIsStatus2WithOneLineAndChangesNothing() throws Exception {
        dm.create("plain", List.of(LINEAR), false);
        for (String[] args : List.of(
                new String[] {"dm", "merge", "nosuch"},
                new String[] {"dm", "merge", "plain"},
                new String[] {"dm", "merge", "vol"},
                new String[] {"dm", "merge", "snap", "--timeout", "5"},
                new String[] {"dm", "merge", "snap", "--wait", "--timeout", "soon"},
                new String[] {"dm", "merge", "snap", "--wait", "--interval", "0"},
                new String[] {"dm", "merge"})) {
            CliRun r = run(args);
            assertEquals(ExitStatus.USAGE, r.status(), String.join(" ", args) + ": " + r);
            assertEquals(1, r.err().lines().count(), r.err());
            assertFalse(r.err().contains("\tat "), r.err());
            assertEquals("", r.out());
        }
        assertEquals(List.of("snapshot"), List.of(dm.table("snap").get(0).split(" ")[2]));
        assertEquals(List.of("plain", "snap", "vol", "vol-real"), dm.list());
    }

    @Test
    void theKernelRefusingTheMergeIsANoAndRollsBack() throws Exception {
        List<String> before = dm.table("vol");
        dm.failNext("resume vol-real", "device-mapper: resume ioctl on vol-real failed: Invalid argument");
        CliRun r = run("dm", "merge", "snap", "--wait");
        assertEquals(ExitStatus.NO, r.status(), r.toString());
        assertEquals(1, r.err().lines().count(), r.err());
        assertEquals(before, dm.table("vol"));
        assertEquals("snapshot", dm.table("snap").get(0).split(" ")[2]);
    }

    @Test
    void helpNamesMerge() {
        CliRun r = run("dm", "--help");
        String text = r.out().replaceAll("\\s+", " ");
        assertTrue(text.contains("merge NAME [--wait [--timeout SECONDS]]"), r.out());
        assertTrue(text.contains("--wait merge: wait for the merge to end"), r.out());
        assertTrue(text.contains("--timeout <SECONDS> merge --wait: stop waiting"), r.out());
    }
}
