package dev.snapstore.cli;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The progress bar: drawn by the library where asked, never into captured (non-terminal) streams. */
class ProgressTest {

    @Test
    void aBarIsDrawnWithItsTaskAndEnd() {
        ByteArrayOutputStream text = new ByteArrayOutputStream();
        try (Progress progress =
                Progress.to(new PrintStream(text, true, StandardCharsets.UTF_8), "export", 4 << 20, "MiB", 1 << 20)) {
            assertTrue(progress.drawn());
            progress.stepBy(4 << 20);
        }
        String drawn = text.toString(StandardCharsets.UTF_8);
        assertTrue(drawn.contains("export") && drawn.contains("100%") && drawn.contains("4/4MiB"), drawn);
    }

    @Test
    void nothingIsDrawnWhenTheOutputIsNotTheProcessTerminal() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Io io = new Io(
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8),
                new ByteArrayInputStream(new byte[0]));
        try (Progress progress = Progress.start(io, "merge", 10, "chunks", 1)) {
            assertFalse(progress.drawn());
            progress.stepBy(10);
        }
        assertFalse(Progress.none().drawn());
        assertTrue(err.toString(StandardCharsets.UTF_8).isEmpty());
    }
}
