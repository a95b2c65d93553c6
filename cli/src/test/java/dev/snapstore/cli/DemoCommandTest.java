package dev.snapstore.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** snapstore demo: runs with no arguments and shows the kernel's status lines. */
class DemoCommandTest {

    @Test
    void runsAndShowsTheKernelsStatusLines() {
        CliRun run = CliRun.of("demo");
        assertEquals(ExitStatus.OK, run.status(), run.toString());
        assertEquals("", run.err());
        String out = run.out();
        assertTrue(out.contains("snapshot v1.14.0 -> P "), out);
        assertTrue(out.contains("snapshot v1.16.0 -> PO"), out);
        assertTrue(out.contains("snapshot reads: 'ORIGIN 000000000000 '"), out);
        assertTrue(out.contains("origin   reads: 'W1:origin 000000000"), out);
        for (String status : new String[] {"24/64 16", "32/64 16", "40/64 16", "48/64 16", "56/64 16", "64/64 16"}) {
            assertTrue(
                    out.contains("PO write chunk " + ((Integer.parseInt(status.split("/")[0]) - 16) / 8) + ": ok"),
                    out);
            assertTrue(out.contains("status: " + status), out);
        }
        assertTrue(out.contains("PO write chunk 7: Input/output error status: Overflow"), out);
        assertTrue(out.contains("P  write chunk 7: Input/output error status: Invalid"), out);
        assertTrue(out.contains("P  write chunk 6: ok                 status: 64/64 16"), out);
        assertTrue(out.contains("merge finished   status: 16/2048 16"), out);
        assertTrue(
                out.contains(
                        "after (= the snapshot):  origin sector 0 'ORIGIN 000000000000 ', sector 16 'W2:snap 000000000016'"),
                out);
        String removed = run.lines().get(run.lines().size() - 1);
        assertTrue(removed.startsWith("removed "), removed);
        assertFalse(Files.exists(Path.of(removed.substring("removed ".length()))));
    }
}
