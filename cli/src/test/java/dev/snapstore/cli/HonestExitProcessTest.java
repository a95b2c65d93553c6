package dev.snapstore.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The rows of issue 11's table that only a real process shows: standard output to {@code /dev/full}
 * and into a pipe whose reader leaves early, {@code /dev/null} as an output, input from a pipe, a
 * FIFO as an image, a failed export or create beside an existing file. Each ran to exit 0 with cut
 * or lost output, hung, or failed for nothing before.
 */
class HonestExitProcessTest {

    private static final Path FULL = Path.of("/dev/full");

    @TempDir(factory = MemoryTempDir.class)
    Path dir;

    private Path origin;
    private Path cow;

    @BeforeEach
    void images() throws IOException {
        origin = TestImages.patternOrigin(dir.resolve("origin.img"), 2048);
        cow = TestImages.createCow(dir.resolve("cow.img"), "512K", "8");
        TestImages.fillEveryOtherChunk(origin, cow, 4);
    }

    private String imageArgs() {
        return "--origin " + origin + " --cow " + cow;
    }

    @Test
    void everyCommandThatPrintsFailsOnAFullDisk() throws Exception {
        List<String[]> commands = List.of(
                new String[] {"dump", "--cow", cow.toString()},
                new String[] {"dump", "--cow", cow.toString(), "--json"},
                new String[] {"check", "--cow", cow.toString()},
                new String[] {"check", "--cow", cow.toString(), "--json"},
                TestImages.status(origin, cow, "P"),
                TestImages.status(origin, cow, "P", "--json"),
                TestImages.export(origin, cow, "-"),
                TestImages.read(origin, cow, "snapshot", "0", "64K", "-"),
                new String[] {"types"});
        for (String[] command : commands) {
            CliProcess run = CliProcess.runTo(dir, FULL, command);
            assertEquals(1, run.exit(), () -> String.join(" ", command) + "\n" + run);
            assertTrue(run.err().contains("standard output"), run::toString);
        }
    }

    @Test
    void aPipeWhoseReaderLeavesEarlyIsExitOne() throws Exception {
        // Each writes far more than a pipe buffer (64 KiB), so the reader's exit always cuts it; a
        // small output such as this COW's dump can fit the buffer and rightly end with exit 0 (its
        // failed writes are covered by the /dev/full test).
        for (String command : List.of(
                "export " + imageArgs() + " --output -",
                "read " + imageArgs() + " --type P --from origin --offset 0 --length 1M --output -")) {
            CliProcess run = CliProcess.shell(
                    dir, "$SNAPSTORE " + command + " | head -c 100 >/dev/null;" + " echo ${PIPESTATUS[0]}");
            assertEquals("1", run.out().strip(), () -> command + "\n" + run);
            assertTrue(run.err().contains("standard output"), run::toString);
        }
    }

    @Test
    void devNullIsAnOutput() throws Exception {
        CliProcess export =
                CliProcess.shell(dir, "$SNAPSTORE export " + imageArgs() + " --output /dev/null && echo ok");
        assertEquals("ok", export.out().lines().reduce((a, b) -> b).orElse(""), export::toString);
        CliProcess read = CliProcess.shell(
                dir,
                "$SNAPSTORE read " + imageArgs()
                        + " --type P --from snapshot --offset 0 --length 4K --output /dev/null");
        assertEquals(0, read.exit(), read::toString);
    }

    @Test
    void writeReadsAPipeToItsEnd() throws Exception {
        CliProcess run = CliProcess.shell(
                dir,
                "head -c 4096 /dev/urandom > " + dir.resolve("data") + "; cat " + dir.resolve("data")
                        + " | $SNAPSTORE write " + imageArgs()
                        + " --type P --chunk-size 8 --to snapshot --offset 65536 --input /dev/stdin");
        assertEquals(0, run.exit(), run::toString);
        assertTrue(run.out().startsWith("wrote 4096 bytes to the snapshot at byte 65536"), run::toString);
        CliRun back = CliRun.of(TestImages.read(
                origin, cow, "snapshot", "65536", "4096", dir.resolve("back").toString()));
        assertEquals(ExitStatus.OK, back.status(), back::toString);
        assertArrayEquals(Files.readAllBytes(dir.resolve("data")), Files.readAllBytes(dir.resolve("back")));

        String cowSha = TestImages.sha(cow);
        CliProcess tooMuch = CliProcess.shell(
                dir,
                "head -c 2000000 /dev/zero | $SNAPSTORE write " + imageArgs()
                        + " --type P --chunk-size 8 --to snapshot --offset 0 --input -");
        assertEquals(2, tooMuch.exit(), tooMuch::toString);
        assertTrue(tooMuch.err().contains("holds more than the 1048576 bytes"), tooMuch::toString);
        assertEquals(cowSha, TestImages.sha(cow), "nothing was written");
    }

    @Test
    void aFifoIsRefusedAtOnce() throws Exception {
        Path fifo = dir.resolve("fifo");
        assertEquals(0, new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor());
        for (String[] command : List.of(
                new String[] {"status", "--origin", fifo.toString(), "--cow", cow.toString(), "--type", "P"},
                new String[] {"status", "--origin", origin.toString(), "--cow", fifo.toString(), "--type", "P"},
                new String[] {"merge", "--origin", origin.toString(), "--cow", fifo.toString()},
                new String[] {"dump", "--cow", fifo.toString()},
                new String[] {"check", "--cow", fifo.toString()},
                new String[] {"create", "--cow", fifo.toString(), "--size", "64K", "--chunk-size", "8"})) {
            CliProcess run = CliProcess.run(dir, command);
            assertEquals(2, run.exit(), run::toString);
            assertTrue(run.err().contains(fifo + ": is a FIFO"), run::toString);
        }
    }

    @Test
    void aFailedExportOrCreateLeavesNothingPartialAndKeepsTheOldFile() throws Exception {
        Path old = dir.resolve("snap.img");
        Files.writeString(old, "an earlier good export");
        // A file size limit makes the writes fail as a full disk would.
        CliProcess export =
                CliProcess.shell(dir, "ulimit -f 100; $SNAPSTORE export " + imageArgs() + " --output " + old);
        assertEquals(1, export.exit(), export::toString);
        assertEquals("an earlier good export", Files.readString(old));
        CliProcess create = CliProcess.shell(
                dir, "ulimit -f 100; $SNAPSTORE create --cow " + dir.resolve("new.img") + " --size 1M --chunk-size 8");
        assertTrue(create.exit() != 0, create::toString);
        assertTrue(Files.notExists(dir.resolve("new.img")));
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(
                    List.of(),
                    files.filter(f -> f.toString().endsWith(".partial")).toList());
        }
        // And a good one replaces the old file whole.
        assertEquals(
                0,
                CliProcess.run(dir, TestImages.export(origin, cow, old.toString()))
                        .exit());
        assertEquals(2048 * 512, Files.size(old));
    }

    @Test
    void dumpJsonOfATruncatedCowPrintsNoHalfDocument() throws Exception {
        Path truncated = dir.resolve("truncated.img");
        Files.copy(cow, truncated);
        try (RandomAccessFile file = new RandomAccessFile(truncated.toFile(), "rw")) {
            file.setLength(600);
        }
        CliProcess run = CliProcess.run(dir, "dump", "--cow", truncated.toString(), "--json");
        assertEquals(2, run.exit(), run::toString);
        assertEquals("", run.out());
        assertTrue(run.err().contains("truncated"), run::toString);
    }

    @Test
    void aTransientWriteOverAPersistentCowNeedsForce() throws Exception {
        String cowSha = TestImages.sha(cow);
        String[] args = TestImages.fillWrite(origin, cow, "N", "snapshot", "0", "1", "512");
        CliRun refused = CliRun.of(args);
        assertEquals(ExitStatus.USAGE, refused.status(), refused::toString);
        assertTrue(refused.err().contains("holds a persistent snapshot"), refused::toString);
        assertEquals(cowSha, TestImages.sha(cow));
        String[] forced = Stream.concat(Stream.of(args), Stream.of("--force")).toArray(String[]::new);
        assertEquals(ExitStatus.OK, CliRun.of(forced).status());
    }

    @Test
    void aFullCowFileSystemIsNamed() {
        Path path = Path.of("cow.img");
        assertTrue(WriteCommand.spaceCause(new IOException("x", new IOException("No space left on device")), path)
                .endsWith("could not grow: No space left on device (ENOSPC)"));
        assertTrue(WriteCommand.spaceCause(new IOException("Disk quota exceeded"), path)
                .endsWith("(EDQUOT)"));
        assertEquals("", WriteCommand.spaceCause(new IOException("x"), path));
    }
}
