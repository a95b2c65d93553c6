package dev.snapstore.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.snapstore.engine.Activation;
import dev.snapstore.engine.ActivationRequest;
import dev.snapstore.engine.ImageLock;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two processes on one pair of images, as issue 11's table has them: the first holds the images as
 * its command does (this test's JVM, through the engine's {@link Activation} with that command's
 * access, or a second CLI), the second is the CLI in its own JVM. Without the locks every second
 * command here ran, and lost or corrupted data; now it is refused at once, exit 2, with one line
 * that names the file, and the images are unchanged.
 */
class LockingProcessTest {

    @TempDir(factory = MemoryTempDir.class)
    Path dir;

    private Path origin;
    private Path cow;

    @BeforeEach
    void images() throws IOException {
        origin = TestImages.patternOrigin(dir.resolve("origin.img"), 2048);
        cow = TestImages.createCow(dir.resolve("cow.img"), "512K", "8");
        TestImages.fillEveryOtherChunk(origin, cow, 8);
    }

    private String[] write(String to, long offset, String fill) {
        return TestImages.fillWrite(origin, cow, "P", to, Long.toString(offset), fill, "4096");
    }

    private String[] merge() {
        return new String[] {"merge", "--origin", origin.toString(), "--cow", cow.toString()};
    }

    private String[] export(Path output) {
        return TestImages.export(origin, cow, output.toString());
    }

    /** Holds the images as a command with this access does, in this JVM: another process to the CLI's. */
    private Activation hold(Activation.Access access) throws Exception {
        return Activation.open(ActivationRequest.of(origin, cow, "P").withAccess(access));
    }

    private void assertRefused(CliProcess run, Path busy) {
        assertEquals(2, run.exit(), run::toString);
        String[] lines = run.err().strip().split("\n");
        assertEquals(1, lines.length, run::toString);
        assertTrue(lines[0].contains(busy + " is in use by another process"), run::toString);
    }

    /**
     * Holds the images with {@code access} in this JVM, runs {@code command} as a second CLI, and
     * asserts that it is refused for {@code busy} and that neither image changed.
     */
    private void assertRefusedWhileHeld(Activation.Access access, String[] command, Path busy) throws Exception {
        String originSha = TestImages.sha(origin);
        String cowSha = TestImages.sha(cow);
        try (Activation holder = hold(access)) {
            assertTrue(holder.snapshot().isValid());
            assertRefused(CliProcess.run(dir, command), busy);
            assertEquals(originSha, TestImages.sha(origin), "origin changed");
            assertEquals(cowSha, TestImages.sha(cow), "COW changed");
        }
    }

    @Test
    void twoMergesAtOnce() throws Exception {
        assertRefusedWhileHeld(Activation.Access.ORIGIN_AND_COW, merge(), origin);
        assertEquals(0, CliProcess.run(dir, merge()).exit());
    }

    @Test
    void twoSnapshotWritesAtOnce() throws Exception {
        assertRefusedWhileHeld(Activation.Access.COW, write("snapshot", 65536, "0x11"), cow);
    }

    @Test
    void twoOriginWritesAtOnce() throws Exception {
        assertRefusedWhileHeld(Activation.Access.ORIGIN_AND_COW, write("origin", 65536, "0x11"), origin);
    }

    @Test
    void aSnapshotWriteDuringAMerge() throws Exception {
        // The snapshot write holds the origin shared, which the merge holds exclusively.
        assertRefusedWhileHeld(Activation.Access.ORIGIN_AND_COW, write("snapshot", 65536, "0x11"), origin);
    }

    @Test
    void anExportDuringAnOriginWriteAndTheOtherWayRound() throws Exception {
        Path output = dir.resolve("snap.img");
        try (Activation writing = hold(Activation.Access.ORIGIN_AND_COW)) {
            assertTrue(writing.snapshot().isValid());
            assertRefused(CliProcess.run(dir, export(output)), origin);
            assertFalse(Files.exists(output), "a refused export leaves no file");
        }
        try (Activation exporting = hold(Activation.Access.READ_ONLY)) {
            assertTrue(exporting.snapshot().isValid());
            assertRefused(CliProcess.run(dir, write("origin", 0, "0x11")), origin);
            assertRefused(CliProcess.run(dir, merge()), origin);
            // Readers share the images.
            CliProcess export = CliProcess.run(dir, export(output));
            assertEquals(0, export.exit(), export::toString);
            for (String[] reader : new String[][] {
                {"dump", "--cow", cow.toString()},
                {"check", "--cow", cow.toString()},
                TestImages.status(origin, cow, "P")
            }) {
                CliProcess run = CliProcess.run(dir, reader);
                assertEquals(0, run.exit(), run::toString);
            }
        }
    }

    @Test
    void theOfflineToolsLockTheCow() throws Exception {
        Path dump = dir.resolve("dump.txt");
        Files.writeString(dump, CliRun.of("dump", "--cow", cow.toString()).out());
        try (ImageLock writer = ImageLock.acquire(cow, ImageLock.Mode.EXCLUSIVE, false)) {
            assertEquals(cow, writer.path());
            assertRefused(CliProcess.run(dir, "dump", "--cow", cow.toString()), cow);
            assertRefused(CliProcess.run(dir, "check", "--cow", cow.toString()), cow);
            assertRefused(CliProcess.run(dir, "restore", "--input", dump.toString(), "--cow", cow.toString()), cow);
        }
        try (ImageLock reader = ImageLock.acquire(cow, ImageLock.Mode.SHARED, false)) {
            assertEquals(ImageLock.Mode.SHARED, reader.mode());
            assertRefused(CliProcess.run(dir, "restore", "--input", dump.toString(), "--cow", cow.toString()), cow);
        }
    }

    @Test
    void waitLockWaitsForTheOtherHolder() throws Exception {
        Process waiting;
        try (Activation merging = hold(Activation.Access.ORIGIN_AND_COW)) {
            assertTrue(merging.snapshot().isValid());
            String[] args = write("snapshot", 65536, "0x11");
            String[] withWait = new String[args.length + 1];
            System.arraycopy(args, 0, withWait, 0, args.length);
            withWait[args.length] = "--wait-lock";
            waiting = CliProcess.start(dir, withWait);
            assertFalse(waiting.waitFor(2, TimeUnit.SECONDS), "--wait-lock waits while the images are held");
        }
        assertTrue(waiting.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, waiting.exitValue());
    }

    private static long locksHeldBy(String pid) throws IOException {
        return Files.readAllLines(Path.of("/proc/locks")).stream()
                .filter(line -> line.contains(" POSIX ") && line.contains(pid))
                .count();
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            return e.toString();
        }
    }

    @Test
    void twoCliProcesses() throws Exception {
        // The first CLI exports to a pipe that this test does not read yet: it blocks with its shared locks held.
        Process first = new ProcessBuilder(CliProcess.command(TestImages.export(origin, cow, "-")))
                .redirectError(dir.resolve("first.err").toFile())
                .start();
        first.getOutputStream().close();
        // The locks are POSIX locks: /proc/locks lists them with the holder's pid.
        String pid = " " + first.pid() + " ";
        for (int i = 0; i < 600 && locksHeldBy(pid) < 2; i++) {
            Thread.sleep(100);
        }
        assertEquals(2, locksHeldBy(pid), "the first CLI locks the origin and the COW");
        assertRefused(CliProcess.run(dir, merge()), origin);
        assertRefused(CliProcess.run(dir, write("origin", 0, "0x22")), origin);
        byte[] exported;
        try (InputStream out = first.getInputStream()) {
            exported = out.readAllBytes();
        }
        assertTrue(first.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, first.exitValue(), () -> read(dir.resolve("first.err")));
        assertEquals(2048 * 512, exported.length);
        Path expected = dir.resolve("expected.img");
        assertEquals(ExitStatus.OK, CliRun.of(export(expected)).status());
        assertArrayEquals(Files.readAllBytes(expected), exported);
    }
}
