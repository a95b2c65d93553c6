package dev.snapstore.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.snapstore.testkit.Hashes;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** dump and check on input that is not a COW, as thin-provisioning-tools' tests do: one line, exit 2, no byte changed. */
class CowBadInputTest {

    @TempDir
    Path dir;

    private static void oneLineUsageError(CliRun run, String expected) {
        assertEquals(ExitStatus.USAGE, run.status(), run::toString);
        assertEquals("", run.out(), run::toString);
        assertEquals(1, run.err().lines().count(), run::toString);
        assertTrue(run.err().contains(expected), run::toString);
        assertFalse(run.err().contains("Exception"), run::toString);
    }

    @ParameterizedTest
    @ValueSource(strings = {"dump", "check"})
    void missingFile(String command) {
        oneLineUsageError(CliRun.of(command, "--cow", dir.resolve("nope").toString()), "no such file");
    }

    @ParameterizedTest
    @ValueSource(strings = {"dump", "check"})
    void directory(String command) {
        oneLineUsageError(CliRun.of(command, "--cow", dir.toString()), "is a directory");
    }

    @ParameterizedTest
    @ValueSource(strings = {"dump", "check"})
    void emptyAndTinyFiles(String command) throws IOException {
        for (int size : new int[] {0, 1, 100, 511}) {
            Path file = Files.write(dir.resolve("tiny" + size), new byte[size]);
            oneLineUsageError(
                    CliRun.of(command, "--cow", file.toString()), "too small to be a COW (" + size + " bytes");
        }
    }

    @Test
    void unreadableFileIsWordedAsPermissionDenied() {
        // CI runs as root, who can read a file without permissions, so the denial is checked where
        // the CLI words it rather than by provoking one.
        assertEquals("permission denied", Arguments.describe(new AccessDeniedException("/x/locked")));
        assertEquals("no such file", Arguments.describe(new NoSuchFileException("/x/none")));
    }

    private Path header(String name, int magic, int valid, int version, int chunkSize) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(64 * 1024).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(magic).putInt(valid).putInt(version).putInt(chunkSize);
        return Files.write(dir.resolve(name), b.array());
    }

    @ParameterizedTest
    @ValueSource(strings = {"dump", "check"})
    void corruptHeaders(String command) throws IOException {
        List<Object[]> cases = List.of(
                new Object[] {header("garbage", 0x12345678, 1, 1, 8), "Invalid or corrupt snapshot (magic 0x12345678"},
                new Object[] {header("new", 0, 0, 0, 0), "no snapshot header (magic 0"},
                new Object[] {
                    header("cs0", 0x70416e53, 1, 1, 0), "invalid on-disk chunk size 0: Chunk size is not a power of 2."
                },
                new Object[] {
                    header("cs3", 0x70416e53, 1, 1, 3), "invalid on-disk chunk size 3: Chunk size is not a power of 2."
                },
                new Object[] {
                    header("cs2^22", 0x70416e53, 1, 1, 1 << 22),
                    "invalid on-disk chunk size 4194304: Chunk size is too high."
                },
                new Object[] {header("csneg", 0x70416e53, 1, 1, 0x80000000), "invalid on-disk chunk size 2147483648:"});
        for (Object[] c : cases) {
            Path file = (Path) c[0];
            String before = Hashes.sha256(Files.readAllBytes(file));
            oneLineUsageError(CliRun.of(command, "--cow", file.toString()), (String) c[1]);
            assertEquals(before, Hashes.sha256(Files.readAllBytes(file)));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"dump", "check"})
    void hugeChunkSizeOnASmallFileIsTruncatedNotAnAllocation(String command) throws IOException {
        Path file = header("huge", 0x70416e53, 1, 1, 1 << 21);
        CliRun run = CliRun.of(command, "--cow", file.toString());
        assertNotEquals(ExitStatus.INTERNAL, run.status(), run::toString);
        assertTrue(run.out().contains("truncated") || run.err().contains("truncated"), run::toString);
    }

    @Provide
    Arbitrary<byte[]> images() {
        Arbitrary<byte[]> random =
                Arbitraries.bytes().array(byte[].class).ofMinSize(0).ofMaxSize(40 * 512);
        Arbitrary<byte[]> withHeader = Arbitraries.integers().between(0, 3).flatMap(shift -> Arbitraries.integers()
                .between(0, 2)
                .flatMap(valid -> random.map(body -> {
                    ByteBuffer b =
                            ByteBuffer.allocate(Math.max(512, body.length)).order(ByteOrder.LITTLE_ENDIAN);
                    b.put(body).clear();
                    b.putInt(0x70416e53).putInt(valid).putInt(1).putInt(1 << shift);
                    // mostly small records, so that tables run on for a while
                    return b.array();
                })));
        Arbitrary<byte[]> sparse = Arbitraries.integers().between(0, 3).flatMap(shift -> Arbitraries.longs()
                .between(0, 40)
                .array(long[].class)
                .ofMaxSize(200)
                .map(words -> {
                    ByteBuffer b = ByteBuffer.allocate(40 * 512).order(ByteOrder.LITTLE_ENDIAN);
                    b.putInt(0x70416e53).putInt(1).putInt(1).putInt(1 << shift);
                    b.position(512 << shift);
                    for (long w : words) {
                        if (b.remaining() >= 8) {
                            b.putLong(w);
                        }
                    }
                    return b.array();
                }));
        return Arbitraries.oneOf(random, withHeader, sparse);
    }

    @Property(tries = 200)
    void randomImagesNeverBreakDumpOrCheck(@ForAll("images") byte[] image) throws IOException {
        Path file = Files.write(Files.createTempFile("fuzz", ".cow"), image);
        try {
            CliRun dump = CliRun.of("dump", "--cow", file.toString());
            assertTrue(dump.status() == ExitStatus.OK || dump.status() == ExitStatus.USAGE, dump::toString);
            CliRun json = CliRun.of("dump", "--cow", file.toString(), "--json");
            assertEquals(dump.status(), json.status(), json::toString);
            CliRun check = CliRun.of("check", "--cow", file.toString());
            assertNotEquals(ExitStatus.INTERNAL, check.status(), check::toString);
            assertFalse(check.err().contains("internal error"), check::toString);
            if (check.status() == ExitStatus.USAGE) {
                assertEquals(1, check.err().lines().count(), check::toString);
            }
            assertTrue(Arrays.equals(image, Files.readAllBytes(file)), "an image changed");
        } finally {
            Files.delete(file);
        }
    }
}
