package dev.snapstore.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Fuzz target for the dump reader of {@code snapstore restore --input DUMP --cow FILE}, run
 * in-process as {@link CliRun} does, on a dump of arbitrary bytes (text or JSON: the command tells
 * them apart by the first non-blank character) and a zero-filled COW. Allowed: exit 0, or exit 2
 * with exactly one line on standard error and nothing on standard output. Exit 3 (internal error:
 * an exception escaped the command) or an exception out of {@code run} is a finding.
 *
 * <p>Input layout: bytes 0-1 (unsigned big-endian) + 1 = the COW's size in sectors (up to 32 MiB,
 * sparse; the fixture dumps are of 8 MiB COWs); bytes 2.. = the dump.
 *
 * <p>Without {@code JAZZER_FUZZ} this runs once per file in
 * {@code src/test/resources/dev/snapstore/cli/RestoreFuzzTestInputs/restore/}; see FUZZING.md.
 */
class RestoreFuzzTest {

    @FuzzTest
    void restore(byte[] input) {
        if (input.length < 2) {
            return;
        }
        long cowSectors = (((input[0] & 0xff) << 8) | (input[1] & 0xff)) + 1L;
        Path dump = FuzzFiles.write("restore.dump", Arrays.copyOfRange(input, 2, input.length));
        Path cow = FuzzFiles.zeros("restore-cow.img", cowSectors * 512);
        CliRun run = CliRun.of("restore", "--input", dump.toString(), "--cow", cow.toString());
        if (run.status() == ExitStatus.OK) {
            assertEquals("", run.err(), run::toString);
            return;
        }
        assertEquals(ExitStatus.USAGE, run.status(), run::toString);
        assertEquals("", run.out(), run::toString);
        assertEquals(1, run.err().lines().count(), run::toString);
        assertTrue(run.err().endsWith("\n"), run::toString);
    }
}
