package dev.snapstore.cli;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * Scratch files for the CLI fuzz targets, which drive commands that take file names. One folder per
 * JVM (in /dev/shm when it exists, so millions of executions do not touch a disk), reused by every
 * execution and deleted when the JVM exits. {@code @TempDir} cannot be used: a {@code @FuzzTest}
 * takes no JUnit-injected parameters and its instance is reused across executions.
 */
final class FuzzFiles {

    private static Path dir;

    private FuzzFiles() {}

    static synchronized Path dir() {
        if (dir == null) {
            try {
                Path shm = Path.of("/dev/shm");
                dir = Files.isDirectory(shm) && Files.isWritable(shm)
                        ? Files.createTempDirectory(shm, "snapstore-fuzz")
                        : Files.createTempDirectory("snapstore-fuzz");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            Path created = dir;
            Runtime.getRuntime().addShutdownHook(new Thread(() -> delete(created)));
        }
        return dir;
    }

    static Path write(String name, byte[] bytes) {
        try {
            return Files.write(dir().resolve(name), bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A file of {@code bytes} zero bytes, sparse where the file system allows. */
    static Path zeros(String name, long bytes) {
        Path file = dir().resolve(name);
        try {
            Files.deleteIfExists(file);
            try (var raf = new RandomAccessFile(file.toFile(), "rw")) {
                raf.setLength(bytes);
            }
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void delete(Path root) {
        try (Stream<Path> walk = Files.walk(root)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // best effort at exit
        }
    }
}
