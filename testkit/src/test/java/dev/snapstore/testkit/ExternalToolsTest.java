package dev.snapstore.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opentest4j.AssertionFailedError;
import org.opentest4j.TestAbortedException;

/** A missing tool fails the build on CI and only skips elsewhere; a failing command fails the test. */
class ExternalToolsTest {

    @TempDir
    Path dir;

    @Test
    void aMissingClientFailsOnCiNamingThePackage() {
        AssertionFailedError e = assertThrows(
                AssertionFailedError.class,
                () -> ExternalTools.require(
                        "no-such-nbd-client", "libnbd-bin", Map.of("CI", "true", "PATH", "/nonexistent")));
        assertTrue(e.getMessage().contains("install the Debian package libnbd-bin"), e.getMessage());
    }

    @Test
    void aMissingClientSkipsLocally() {
        assertThrows(
                TestAbortedException.class,
                () -> ExternalTools.require("no-such-nbd-client", "libnbd-bin", Map.of("PATH", "/nonexistent")));
    }

    @Test
    void aToolOnThePathIsFound() {
        assertEquals(Path.of("/bin/sh"), ExternalTools.require("sh", "dash", Map.of("PATH", "/nonexistent:/bin")));
    }

    @Test
    void runReturnsTheOutputAndFailsOnANonZeroExit() throws IOException, InterruptedException {
        assertEquals(new ExternalTools.Result(0, "hi\n"), ExternalTools.run(dir, "sh", "-c", "echo hi"));
        AssertionFailedError e = assertThrows(
                AssertionFailedError.class, () -> ExternalTools.run(dir, "sh", "-c", "echo no >&2; exit 3"));
        assertTrue(e.getMessage().contains("exited with 3:\nno"), e.getMessage());
    }
}
