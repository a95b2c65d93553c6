package dev.snapstore.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.snapstore.testkit.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** snapstore negotiate against the real kernel's dmsetup targets text and hand-made older versions. */
class NegotiateCommandTest {

    private static final String TARGETS =
            Fixtures.dir("s1-version-targets").resolve("targets.txt").toString();

    @Test
    void linux61AsksForPOAndNamesTheGatedFeatures() {
        CliRun run = CliRun.of("negotiate", "--targets", TARGETS);
        assertEquals(ExitStatus.OK, run.status(), run.toString());
        assertEquals("PO", run.lines().get(0));
        assertTrue(run.lines().get(1).contains("v1.16.0"), run.out());
        assertEquals("features: discard, overflow", run.lines().get(2));
        assertEquals(
                "PO",
                CliRun.of("negotiate", "--targets", TARGETS, "--merge").lines().get(0));
        assertEquals(
                "N",
                CliRun.of("negotiate", "--targets", TARGETS, "--transient")
                        .lines()
                        .get(0));
    }

    @ParameterizedTest(name = "snapshot {0}, merge {1} -> {2}/{3}")
    @CsvSource({
        "1.14.0, 1.3.0, P,  P",
        "1.15.0, 1.3.0, PO, P",
        "1.14.0, 1.4.0, P,  PO",
        "1.15.0, 1.4.0, PO, PO",
        "1.16.0, 1.5.0, PO, PO",
        "2.0.0,  2.0.0, PO, PO",
        "1.9.12, 1.3.99, P, P",
    })
    void asksForPOOnlyFromTheGateOn(String snapshot, String merge, String forSnapshot, String forMerge) {
        String text =
                String.format("snapshot-merge   v%s%nsnapshot-origin  v1.9.0%nsnapshot         v%s%n", merge, snapshot);
        CliRun plain = CliRun.withInput(text, "negotiate", "--targets", "-");
        assertEquals(ExitStatus.OK, plain.status(), plain.toString());
        assertEquals(forSnapshot, plain.lines().get(0));
        assertEquals(
                forMerge,
                CliRun.withInput(text, "negotiate", "--targets", "-", "--merge")
                        .lines()
                        .get(0));
    }

    @Test
    void aMissingTargetIsANoWithStatus1() {
        String before = Fixtures.dir("s1-version-targets")
                .resolve("targets-before-modprobe.txt")
                .toString();
        CliRun run = CliRun.of("negotiate", "--targets", before);
        assertEquals(ExitStatus.NO, run.status(), run.toString());
        assertEquals("", run.out());
        assertEquals(
                "snapstore: negotiate: target \"snapshot\" not found in dmsetup targets (is dm-snapshot loaded?)\n",
                run.err());
    }

    @Test
    void garbageAndMissingFilesAreInputErrors() {
        CliRun garbage = CliRun.withInput("snapshot v1\n", "negotiate", "--targets", "-");
        assertEquals(ExitStatus.USAGE, garbage.status());
        assertTrue(garbage.err().contains("\"snapshot v1\""), garbage.err());
        CliRun missing = CliRun.of("negotiate", "--targets", "/nonexistent/targets.txt");
        assertEquals(ExitStatus.USAGE, missing.status());
        assertEquals(
                "snapstore: negotiate: cannot read dmsetup targets from /nonexistent/targets.txt: no such file\n",
                missing.err());
    }

    @Test
    void transientMergeIsRefusedWithTheKernelsReason() {
        CliRun run = CliRun.of("negotiate", "--targets", TARGETS, "--merge", "--transient");
        assertEquals(ExitStatus.USAGE, run.status());
        assertTrue(run.err().endsWith("Snapshot exception store does not support snapshot-merge.\n"), run.err());
    }
}
