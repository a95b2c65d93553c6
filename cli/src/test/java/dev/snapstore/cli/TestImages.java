package dev.snapstore.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.snapstore.spi.FileBlockDevice;
import dev.snapstore.testkit.Hashes;
import dev.snapstore.testkit.SectorPattern;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The image set-up the CLI's tests share: a patterned origin, a COW created and written through the
 * CLI, and the argument lists of the commands that take an origin and a COW. The arguments stand in
 * the order the tests always gave them.
 */
final class TestImages {

    private TestImages() {}

    /** Makes {@code path} an origin of {@code sectors} sectors, each holding testkit's "ORIGIN" sector pattern. */
    static Path patternOrigin(Path path, long sectors) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(path.toFile(), "rw")) {
            f.setLength(sectors * 512);
        }
        try (FileBlockDevice device = FileBlockDevice.open(path, true)) {
            SectorPattern.fill(device, "ORIGIN");
        }
        return path;
    }

    /** The SHA-256 of the file's bytes, in hex. */
    static String sha(Path file) throws IOException {
        return Hashes.sha256(Files.readAllBytes(file));
    }

    /** Runs {@code create} for a COW of {@code size} with {@code chunkSize}-sector chunks, {@code more} after. */
    static CliRun create(Path cow, String size, String chunkSize, String... more) {
        return CliRun.of(
                args(List.of("create", "--cow", cow.toString(), "--size", size, "--chunk-size", chunkSize), more));
    }

    /** Creates the COW as {@link #create} does, asserts that it worked and returns its path. */
    static Path createCow(Path cow, String size, String chunkSize) {
        CliRun run = create(cow, size, chunkSize);
        assertEquals(ExitStatus.OK, run.status(), run::toString);
        return cow;
    }

    /**
     * Writes {@code chunks} runs of 4096 bytes of 0x5a into the snapshot of a P COW of 8-sector
     * chunks, one {@code write} each, at every other chunk from byte 0, and asserts each worked.
     */
    static void fillEveryOtherChunk(Path origin, Path cow, int chunks) {
        for (int chunk = 0; chunk < chunks; chunk++) {
            CliRun run =
                    CliRun.of(fillWrite(origin, cow, "P", "snapshot", Long.toString(chunk * 8192L), "0x5a", "4096"));
            assertEquals(ExitStatus.OK, run.status(), run::toString);
        }
    }

    /**
     * The arguments of a {@code write} through a {@code type} store of {@code chunkSize}-sector chunks
     * to {@code to} ("origin" or "snapshot") at byte {@code offset}; {@code source} ends them (--fill
     * and --length, or --input, and any further options).
     */
    static String[] write(
            Path origin, Path cow, String type, String chunkSize, String to, String offset, String... source) {
        return args(
                List.of(
                        "write",
                        "--origin",
                        origin.toString(),
                        "--cow",
                        cow.toString(),
                        "--type",
                        type,
                        "--chunk-size",
                        chunkSize,
                        "--to",
                        to,
                        "--offset",
                        offset),
                source);
    }

    /** The arguments of a {@code write} of {@code length} bytes of {@code fill} through a store of 8-sector chunks. */
    static String[] fillWrite(
            Path origin, Path cow, String type, String to, String offset, String fill, String length) {
        return write(origin, cow, type, "8", to, offset, "--fill", fill, "--length", length);
    }

    /** The arguments of a {@code read} of {@code length} bytes at {@code offset} of a P store's {@code from} side. */
    static String[] read(Path origin, Path cow, String from, String offset, String length, String output) {
        return new String[] {
            "read",
            "--origin",
            origin.toString(),
            "--cow",
            cow.toString(),
            "--type",
            "P",
            "--from",
            from,
            "--offset",
            offset,
            "--length",
            length,
            "--output",
            output
        };
    }

    /** The arguments of an {@code export} of the snapshot to {@code output}, {@code more} after. */
    static String[] export(Path origin, Path cow, String output, String... more) {
        return args(
                List.of("export", "--origin", origin.toString(), "--cow", cow.toString(), "--output", output), more);
    }

    /** The arguments of a {@code status} of a {@code type} store, {@code more} after. */
    static String[] status(Path origin, Path cow, String type, String... more) {
        return args(List.of("status", "--origin", origin.toString(), "--cow", cow.toString(), "--type", type), more);
    }

    private static String[] args(List<String> first, String... more) {
        List<String> all = new ArrayList<>(first);
        all.addAll(List.of(more));
        return all.toArray(String[]::new);
    }
}
