package dev.snapstore.dm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.snapstore.testkit.Fixtures;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Where listings come from; the dmsetup runner is tested with /bin/sh standing in for dmsetup. */
class VersionSourceTest {

    private static final String LISTING = "snapshot-merge   v1.5.0\nsnapshot         v1.16.0\n";

    @TempDir
    Path dir;

    @Test
    void text() throws TargetException {
        assertEquals(
                new TargetVersion(1, 16, 0),
                VersionSource.ofText(LISTING).read().require("snapshot"));
    }

    @Test
    void fixtureFile() throws TargetException {
        Path file = Fixtures.fixture("s1-version-targets/targets.txt");
        assertEquals(
                new TargetVersion(1, 5, 0), VersionSource.ofFile(file).read().require("snapshot-merge"));
    }

    @Test
    void missingFile() {
        Path file = dir.resolve("nope.txt");
        TargetException e = assertThrows(
                TargetException.class, () -> VersionSource.ofFile(file).read());
        assertEquals("cannot read dmsetup targets from " + file + ": no such file", e.getMessage());
    }

    @Test
    void directory() {
        TargetException e = assertThrows(
                TargetException.class, () -> VersionSource.ofFile(dir).read());
        assertEquals("cannot read dmsetup targets from " + dir + ": it is a directory", e.getMessage());
    }

    @Test
    void parentIsAFile() throws IOException {
        Path file = Files.writeString(dir.resolve("plain"), "x");
        TargetException e = assertThrows(TargetException.class, () -> VersionSource.ofFile(file.resolve("child"))
                .read());
        assertTrue(
                e.getMessage().startsWith("cannot read dmsetup targets from " + file.resolve("child") + ": "),
                e.getMessage());
    }

    @Test
    void unreadableFileIsNamed() {
        // As root every file is readable, so the mapping is checked on the exception itself.
        Path file = dir.resolve("secret");
        TargetException e = Sources.readError(file, new AccessDeniedException(file.toString()));
        assertEquals("cannot read dmsetup targets from " + file + ": permission denied", e.getMessage());
    }

    @Test
    void garbageInAFileNamesTheFile() throws IOException {
        Path file = Files.writeString(dir.resolve("t.txt"), "snapshot v1.16.0\n???\n");
        TargetException e = assertThrows(
                TargetException.class, () -> VersionSource.ofFile(file).read());
        assertEquals(
                file + ": line 2 of dmsetup targets: \"???\" is not \"<target> v<major>.<minor>.<patch>\"",
                e.getMessage());
    }

    @Test
    void streamIsReadOnceAndNotClosed() throws TargetException {
        boolean[] closed = {false};
        InputStream in = new ByteArrayInputStream(LISTING.getBytes(StandardCharsets.US_ASCII)) {
            @Override
            public void close() {
                closed[0] = true;
            }
        };
        VersionSource source = VersionSource.ofStream(in);
        TargetVersions first = source.read();
        assertSame(first, source.read());
        assertEquals(new TargetVersion(1, 16, 0), first.require("snapshot"));
        assertEquals(false, closed[0]);
    }

    @Test
    void brokenStreamIsNamed() {
        InputStream broken = new InputStream() {
            @Override
            public int read() throws IOException {
                throw new IOException("device gone");
            }
        };
        TargetException e = assertThrows(
                TargetException.class, () -> VersionSource.ofStream(broken).read());
        assertEquals("cannot read dmsetup targets from standard input: device gone", e.getMessage());
    }

    @Test
    void commandOutputIsParsed() throws TargetException {
        var source = new DmsetupCommand(
                List.of("/bin/sh", "-c", "printf 'snapshot         v1.16.0\\n'"), Duration.ofSeconds(20));
        assertEquals(new TargetVersion(1, 16, 0), source.read().require("snapshot"));
    }

    @Test
    void missingExecutable() {
        var source = new DmsetupCommand(List.of("/nonexistent/dmsetup", "targets"), Duration.ofSeconds(5));
        TargetException e = assertThrows(TargetException.class, source::read);
        assertEquals(
                "cannot run \"/nonexistent/dmsetup targets\": /nonexistent/dmsetup not found or not executable"
                        + " (is the device-mapper userspace, package dmsetup, installed and on PATH?)",
                e.getMessage());
        assertTrue(e.getCause() instanceof IOException);
    }

    @Test
    void nonZeroExitQuotesStderr() {
        var source = new DmsetupCommand(
                List.of(
                        "/bin/sh",
                        "-c",
                        "echo '/dev/mapper/control: open failed: Permission denied' >&2; echo 'Failure to communicate with kernel device-mapper driver.' >&2; exit 1"),
                Duration.ofSeconds(20));
        TargetException e = assertThrows(TargetException.class, source::read);
        assertEquals(
                "\"/bin/sh -c echo '/dev/mapper/control: open failed: Permission denied' >&2;"
                        + " echo 'Failure to communicate with kernel device-mapper driver.' >&2; exit 1\" exited with status 1:"
                        + " /dev/mapper/control: open failed: Permission denied Failure to communicate with kernel device-mapper driver.",
                e.getMessage());
    }

    @Test
    void timeoutKillsTheCommand() {
        long started = System.nanoTime();
        var source = new DmsetupCommand(List.of("/bin/sh", "-c", "sleep 30; echo late"), Duration.ofMillis(500));
        TargetException e = assertThrows(TargetException.class, source::read);
        assertEquals("\"/bin/sh -c sleep 30; echo late\" did not finish within 500 ms and was killed", e.getMessage());
        assertTrue(System.nanoTime() - started < Duration.ofSeconds(20).toNanos());
    }

    @Test
    void garbageOutputNamesTheCommand() {
        var source = new DmsetupCommand(List.of("/bin/sh", "-c", "echo hello"), Duration.ofSeconds(20));
        TargetException e = assertThrows(TargetException.class, source::read);
        assertEquals(
                "output of \"/bin/sh -c echo hello\": line 1 of dmsetup targets: \"hello\" is not"
                        + " \"<target> v<major>.<minor>.<patch>\"",
                e.getMessage());
    }

    @Test
    void lotsOfStderrDoesNotBlock() throws TargetException {
        // 1 MiB on stderr would fill the pipe and hang a runner that reads stdout first.
        var source = new DmsetupCommand(
                List.of("/bin/sh", "-c", "head -c 1048576 /dev/zero >&2; printf 'snapshot         v1.16.0\\n'"),
                Duration.ofSeconds(30));
        assertEquals(new TargetVersion(1, 16, 0), source.read().require("snapshot"));
    }
}
