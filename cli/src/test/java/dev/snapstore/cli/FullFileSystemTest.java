package dev.snapstore.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A COW on a file system that really runs out of space (a 256 KiB tmpfs): the write fails as the
 * kernel fails it, and the message names the cause. Needs root to mount; on CI (CI=true, as root) a
 * failed mount fails the test instead of skipping it.
 */
class FullFileSystemTest {

    @TempDir
    Path dir;

    private Path mount;

    @BeforeEach
    void mountASmallTmpfs() throws Exception {
        mount = Files.createDirectory(dir.resolve("small"));
        Process p = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", mount.toString())
                .redirectErrorStream(true)
                .start();
        String out = new String(p.getInputStream().readAllBytes());
        boolean mounted = p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
        if (!mounted) {
            mount = null;
            if ("true".equals(System.getenv("CI"))) {
                fail("cannot mount a tmpfs (CI runs as root and must): " + out);
            }
            Assumptions.abort("cannot mount a tmpfs here (not root?): " + out);
        }
    }

    @AfterEach
    void unmount() throws Exception {
        if (mount != null) {
            new ProcessBuilder("umount", mount.toString()).inheritIO().start().waitFor(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void enospcOnTheCowIsNamed() throws IOException {
        Path origin = TestImages.patternOrigin(dir.resolve("origin.img"), 4096);
        Path cow = TestImages.createCow(mount.resolve("cow.img"), "2M", "8");
        // 1 MiB of snapshot writes: 256 new chunks, four times what the tmpfs holds.
        CliRun run = CliRun.of(TestImages.fillWrite(origin, cow, "P", "snapshot", "0", "0x41", "1M"));
        assertEquals(ExitStatus.NO, run.status(), run.toString());
        assertTrue(run.err().contains("(ENOSPC)"), run.toString());
        // The kernel's status stays the kernel's: a P snapshot whose COW write failed is invalid.
        assertEquals("Invalid", run.lines().get(run.lines().size() - 1), run.toString());
    }
}
