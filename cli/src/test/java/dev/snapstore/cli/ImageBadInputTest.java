package dev.snapstore.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.snapstore.testkit.Fixtures;
import dev.snapstore.testkit.Hashes;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every command that activates a snapshot, given the inputs thin-provisioning-tools' tests give its
 * tools: a missing file, a directory, a tiny file, a corrupt header, a wrong chunk size, an origin
 * shorter than the snapshot, the same file twice. Each gets one line on stderr, exit 2, nothing on
 * stdout, no stack trace, and no image changes by a single byte.
 */
class ImageBadInputTest {

    @TempDir(factory = MemoryTempDir.class)
    Path dir;

    private Path origin;
    private Path cow;
    private final Map<Path, String> hashes = new LinkedHashMap<>();

    @BeforeEach
    void images() throws IOException {
        // Small images (4 MiB origin, 32 KiB COW), unpacked afresh for every case.
        String fixture = "s4-overflow-a-PO-snap-writes";
        origin = Fixtures.unpack(fixture, "origin-final.img.xz", dir.resolve("origin.img"));
        cow = Fixtures.unpack(fixture, "cow-final.img.xz", dir.resolve("cow.img"));
    }

    /** The command's arguments with the given origin, COW and chunk size (null: the command's default). */
    private static List<String> args(String command, Path origin, Path cow, String chunkSize, Path out) {
        List<String> a = new ArrayList<>(List.of(command, "--origin", origin.toString(), "--cow", cow.toString()));
        switch (command) {
            case "status" -> a.addAll(List.of("--type", "P"));
            case "write" ->
                a.addAll(List.of("--type", "P", "--to", "origin", "--offset", "0", "--fill", "7", "--length", "512"));
            case "read" ->
                a.addAll(List.of(
                        "--type",
                        "P",
                        "--from",
                        "snapshot",
                        "--offset",
                        "0",
                        "--length",
                        "512",
                        "--output",
                        out.toString()));
            case "export" -> a.addAll(List.of("--output", out.toString()));
            case "merge" -> {}
            default -> throw new IllegalArgumentException(command);
        }
        if (command.equals("write")) {
            a.addAll(List.of("--chunk-size", chunkSize == null ? "8" : chunkSize));
        } else if (chunkSize != null) {
            a.addAll(List.of("--chunk-size", chunkSize));
        }
        return a;
    }

    private void remember(Path... files) throws IOException {
        for (Path f : files) {
            if (Files.isRegularFile(f)) {
                hashes.put(f, Hashes.sha256(Files.readAllBytes(f)));
            }
        }
    }

    private void refused(String command, Path origin, Path cow, String chunkSize, String expected) throws IOException {
        Path out = dir.resolve("out-" + command);
        remember(origin, cow, this.origin, this.cow);
        CliRun run = CliRun.of(args(command, origin, cow, chunkSize, out).toArray(String[]::new));
        assertEquals(ExitStatus.USAGE, run.status(), run::toString);
        assertEquals("", run.out(), run::toString);
        assertEquals(1, run.err().lines().count(), run::toString);
        assertTrue(run.err().startsWith("snapstore: " + command + ": "), run::toString);
        assertTrue(run.err().contains(expected), () -> "expected '" + expected + "' in " + run);
        assertFalse(run.err().contains("Exception:") || run.err().contains("\tat "), run::toString);
        assertFalse(Files.exists(out), "no output file for refused input");
        for (Map.Entry<Path, String> e : hashes.entrySet()) {
            assertEquals(e.getValue(), Hashes.sha256(Files.readAllBytes(e.getKey())), e.getKey() + " changed");
        }
    }

    private Path header(String name, int magic, int valid, int version, int chunkSize) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(64 * 1024).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(magic).putInt(valid).putInt(version).putInt(chunkSize);
        return Files.write(dir.resolve(name), b.array());
    }

    @ParameterizedTest
    @ValueSource(strings = {"status", "write", "read", "export", "merge"})
    void missingFiles(String command) throws IOException {
        refused(command, dir.resolve("nope"), cow, null, "origin " + dir.resolve("nope") + ": no such file");
        refused(command, origin, dir.resolve("nope"), null, "COW " + dir.resolve("nope") + ": no such file");
    }

    @ParameterizedTest
    @ValueSource(strings = {"status", "write", "read", "export", "merge"})
    void directories(String command) throws IOException {
        refused(command, dir, cow, null, "origin " + dir + ": is a directory, not an image");
        refused(command, origin, dir, null, "COW " + dir + ": is a directory, not an image");
    }

    @ParameterizedTest
    @ValueSource(strings = {"status", "write", "read", "export", "merge"})
    void tinyAndEmptyFiles(String command) throws IOException {
        Path empty = Files.write(dir.resolve("empty"), new byte[0]);
        Path tiny = Files.write(dir.resolve("tiny"), new byte[100]);
        refused(command, origin, tiny, null, "too small to be a COW (100 bytes");
        refused(command, origin, empty, null, "too small to be a COW (0 bytes");
        if (!command.equals("write")) {
            // write measures the origin first and words it as a range past the end
            refused(command, empty, cow, null, "origin " + empty + " is empty");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"status", "write", "read", "export", "merge"})
    void corruptHeaders(String command) throws IOException {
        refused(
                command,
                origin,
                header("garbage", 0x12345678, 1, 1, 8),
                null,
                "Failed to read snapshot metadata (Invalid or corrupt snapshot)");
        refused(
                command,
                origin,
                header("version2", 0x70416e53, 1, 2, 8),
                null,
                "Failed to read snapshot metadata (unable to handle snapshot disk version 2)");
        refused(
                command,
                origin,
                header("cs3", 0x70416e53, 1, 1, 3),
                null,
                "Failed to read snapshot metadata (invalid on-disk chunk size 3: Chunk size is not a power of 2.)");
    }

    @ParameterizedTest
    @ValueSource(strings = {"status", "write", "read", "export"})
    void wrongChunkSizes(String command) throws IOException {
        refused(command, origin, cow, "3", "Couldn't create exception store (Chunk size is not a power of 2)");
        refused(command, origin, cow, "eight", "Couldn't create exception store (Invalid chunk size)");
        refused(command, origin, cow, "4194304", "Couldn't create exception store (Chunk size is too high)");
    }

    @ParameterizedTest
    @ValueSource(strings = {"status", "write", "read", "export", "merge"})
    void anOriginShorterThanTheSnapshot(String command) throws IOException {
        // The COW holds chunks 1 to 6; an origin of 6 chunks ends before chunk 6.
        Path shorter = Files.write(dir.resolve("short.img"), new byte[6 * 4096]);
        refused(
                command,
                shorter,
                cow,
                null,
                "origin " + shorter + " (24576 bytes) is shorter than the snapshot in " + cow
                        + ": it holds origin chunk 6 (chunk size 8 sectors), past the origin's end");
    }

    @ParameterizedTest
    @ValueSource(strings = {"status", "write", "read", "export", "merge"})
    void aTruncatedTableIsWordedAsTheTableWalkWordsIt(String command) throws IOException {
        // The header chunk only: metadata area 0 (chunk 1) lies past the end. The store refuses the
        // table; the CLI then words where it ends, as it did when it walked the table first.
        Path truncated = Files.write(dir.resolve("truncated.img"), Arrays.copyOf(Files.readAllBytes(cow), 4096));
        refused(
                command,
                origin,
                truncated,
                null,
                truncated + ": truncated: metadata area 0 (chunk 1, byte offset 4096) lies"
                        + " beyond the end of the COW (4096 bytes)");
    }

    @ParameterizedTest
    @ValueSource(strings = {"status", "write", "read", "export", "merge"})
    void theSameFileAsOriginAndCow(String command) throws IOException {
        refused(command, cow, cow, null, "COW device cannot be the same as origin device");
        Path link = Files.createSymbolicLink(dir.resolve("link.img"), cow);
        refused(command, link, cow, null, "COW device cannot be the same as origin device");
    }

    @Test
    void badTypeWordsAndRanges() throws IOException {
        remember(origin, cow);
        for (String[] args : new String[][] {
            TestImages.status(origin, cow, "X"),
            TestImages.fillWrite(origin, cow, "P", "both", "0", "1", "1"),
            TestImages.fillWrite(origin, cow, "P", "snapshot", "4M", "1", "1"),
            TestImages.fillWrite(origin, cow, "P", "snapshot", "0", "256", "1"),
            TestImages.write(origin, cow, "P", "8", "snapshot", "0", "--fill", "1"),
            TestImages.write(origin, cow, "P", "8", "snapshot", "0", "--input", cow.toString()),
            TestImages.fillWrite(origin, cow, "P", "snapshot", "-1", "1", "1"),
            TestImages.read(
                    origin, cow, "snapshot", "1", "4M", dir.resolve("out").toString()),
            TestImages.read(origin, cow, "snapshot", "0", "1", origin.toString()),
            TestImages.export(origin, cow, cow.toString()),
            TestImages.export(origin, cow, dir.toString()),
            {
                "merge",
                "--origin",
                origin.toString(),
                "--cow",
                header("new", 0, 0, 0, 0).toString()
            },
        }) {
            CliRun run = CliRun.of(args);
            assertEquals(ExitStatus.USAGE, run.status(), run::toString);
            assertEquals(1, run.err().lines().count(), run::toString);
            assertFalse(run.err().contains("Exception:") || run.err().contains("\tat "), run::toString);
        }
        for (Map.Entry<Path, String> e : hashes.entrySet()) {
            assertEquals(e.getValue(), Hashes.sha256(Files.readAllBytes(e.getKey())), e.getKey() + " changed");
        }
        CliRun type = CliRun.of(TestImages.status(origin, cow, "X"));
        assertEquals(
                "snapstore: status: Couldn't create exception store (Exception store type is not P or N)\n",
                type.err());
        assertFalse(Files.exists(dir.resolve("out")));
    }

    @Test
    void createRefusesBadSizesAndChunkSizes() throws IOException {
        Path target = dir.resolve("new.img");
        for (String[] c : new String[][] {
            {"1000", "8", "--size 1000 (1000 bytes) is not a multiple of the 512-byte sector"},
            {"12X", "8", "--size must be a size in bytes, such as 4096, 8s (sectors), 64K, 16M or 2G, not '12X'"},
            {"4K", "8", "--size 4096 bytes is too small: a COW with chunk size 8 needs at least two chunks"},
            {"1M", "3", "--chunk-size 3: Chunk size is not a power of 2"},
            {"1M", "x", "--chunk-size x: Invalid chunk size"},
            {"1M", "4194304", "--chunk-size 4194304: Chunk size is too high"},
        }) {
            CliRun run = TestImages.create(target, c[0], c[1]);
            assertEquals(ExitStatus.USAGE, run.status(), run::toString);
            assertEquals(
                    "snapstore: create: " + c[2],
                    run.err()
                            .lines()
                            .findFirst()
                            .orElse("")
                            .substring(
                                    0,
                                    Math.min(
                                            run.err()
                                                    .lines()
                                                    .findFirst()
                                                    .orElse("")
                                                    .length(),
                                            ("snapstore: create: " + c[2]).length())));
            assertFalse(Files.exists(target), "nothing created");
        }
        CliRun directory = TestImages.create(dir, "1M", "8");
        assertEquals("snapstore: create: " + dir + ": is a directory, not a COW image\n", directory.err());
    }
}
