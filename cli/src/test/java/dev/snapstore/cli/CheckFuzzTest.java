package dev.snapstore.cli;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Fuzz target for {@code snapstore check --cow FILE [--origin FILE] [--json]}, run in-process as
 * {@link CliRun} does, on a COW image of arbitrary bytes. Allowed: exit 0 (clean) or 1 (findings)
 * with nothing on standard error, or exit 2 with exactly one line on standard error and nothing on
 * standard output. With {@code --json}, what exits 0/1 prints must be JSON. Exit 3 (internal error:
 * an exception escaped the command) or an exception out of {@code run} is a finding.
 *
 * <p>Input layout: byte 0 bit 0 = {@code --json}, bit 1 = {@code --origin} with an origin of
 * (bytes 1-2, unsigned big-endian) sectors; bytes 3.. = the COW image.
 *
 * <p>Without {@code JAZZER_FUZZ} this runs once per file in
 * {@code src/test/resources/dev/snapstore/cli/CheckFuzzTestInputs/check/}; see FUZZING.md.
 */
class CheckFuzzTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @FuzzTest
    void check(byte[] input) {
        if (input.length < 3) {
            return;
        }
        boolean json = (input[0] & 1) != 0;
        boolean withOrigin = (input[0] & 2) != 0;
        long originSectors = ((input[1] & 0xff) << 8) | (input[2] & 0xff);
        Path cow = FuzzFiles.write("check-cow.img", Arrays.copyOfRange(input, 3, input.length));
        List<String> args = new ArrayList<>(List.of("check", "--cow", cow.toString()));
        if (withOrigin) {
            args.addAll(List.of(
                    "--origin",
                    FuzzFiles.zeros("check-origin.img", originSectors * 512).toString()));
        }
        if (json) {
            args.add("--json");
        }
        CliRun run = CliRun.of(args.toArray(String[]::new));
        assertNotEquals(ExitStatus.INTERNAL, run.status(), run::toString);
        if (run.status() == ExitStatus.USAGE) {
            assertEquals("", run.out(), run::toString);
            assertEquals(1, run.err().lines().count(), run::toString);
            assertTrue(run.err().endsWith("\n"), run::toString);
        } else {
            assertTrue(run.status() == ExitStatus.OK || run.status() == ExitStatus.NO, run::toString);
            assertEquals("", run.err(), run::toString);
            if (json) {
                assertDoesNotThrow(() -> JSON.readTree(run.out()), run::toString);
            }
        }
    }
}
