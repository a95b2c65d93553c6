package dev.snapstore.testkit;

import dev.snapstore.spi.ChunkSize;
import dev.snapstore.spi.MemoryBlockDevice;
import dev.snapstore.spi.Usage;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.tukaani.xz.XZInputStream;

/**
 * The fixtures captured from a real Linux 6.1 kernel, kept in the project's top-level
 * {@code fixtures/} folder (its {@code INDEX.md} says what each one is): where they are and how to
 * open them. The folder comes from the system property {@code snapstore.fixtures} (set by the build)
 * or is searched for as {@code fixtures/INDEX.md} above the working directory.
 */
public final class Fixtures {

    private static final Pattern USAGE = Pattern.compile("(\\d+)/(\\d+) (\\d+)");

    private Fixtures() {}

    /**
     * The project's {@code fixtures} folder.
     *
     * @return its path
     * @throws IllegalStateException when it cannot be found
     */
    public static Path root() {
        String property = System.getProperty("snapstore.fixtures");
        if (property != null && Files.isRegularFile(Path.of(property, "INDEX.md"))) {
            return Path.of(property).toAbsolutePath().normalize();
        }
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            Path candidate = dir.resolve("fixtures");
            if (Files.isRegularFile(candidate.resolve("INDEX.md"))) {
                return candidate.normalize();
            }
        }
        throw new IllegalStateException("the fixtures folder was not found (set -Dsnapstore.fixtures=PATH)");
    }

    /**
     * A fixture's folder, e.g. {@code s2-persistent-P-cs8}.
     *
     * @param name the fixture's name
     * @return its folder, which exists
     */
    public static Path dir(String name) {
        Path dir = root().resolve(name);
        if (!Files.isDirectory(dir)) {
            throw new IllegalStateException("no fixture " + dir);
        }
        return dir;
    }

    /**
     * A file below the fixtures folder.
     *
     * @param relative e.g. {@code s1-version-targets/targets.txt}
     * @return its path (which may not exist)
     */
    public static Path fixture(String relative) {
        return root().resolve(relative);
    }

    /**
     * A file below the fixtures folder, as text.
     *
     * @param relative e.g. {@code s6-errors/scenario.txt}
     * @return its content
     */
    public static String read(String relative) {
        try {
            return Files.readString(fixture(relative), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Every fixture's {@code scenario.txt}, sorted.
     *
     * @return their paths
     */
    public static List<Path> scenarios() {
        try (Stream<Path> dirs = Files.list(root())) {
            return dirs.map(d -> d.resolve("scenario.txt"))
                    .filter(Files::isRegularFile)
                    .sorted()
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * A file of a fixture, as text.
     *
     * @param fixture the fixture's name
     * @param file the file's name
     * @return its content
     */
    public static String text(String fixture, String file) {
        try {
            return Files.readString(dir(fixture).resolve(file), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * A file of a fixture, as lines.
     *
     * @param fixture the fixture's name
     * @param file the file's name
     * @return its lines
     */
    public static List<String> lines(String fixture, String file) {
        return text(fixture, file).lines().toList();
    }

    /**
     * Decompresses an {@code .img.xz} image of a fixture.
     *
     * @param fixture the fixture's name
     * @param file the image's file name, e.g. {@code cow-final.img.xz}
     * @return the raw image
     */
    public static byte[] image(String fixture, String file) {
        try (InputStream in =
                new XZInputStream(Files.newInputStream(dir(fixture).resolve(file)))) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Decompresses an image of a fixture into a new in-memory device of the image's size.
     *
     * @param fixture the fixture's name
     * @param file the image's file name
     * @return the device
     */
    public static MemoryBlockDevice imageDevice(String fixture, String file) {
        byte[] bytes = image(fixture, file);
        MemoryBlockDevice device = new MemoryBlockDevice(fixture + "/" + file, bytes.length / ChunkSize.SECTOR_SIZE);
        try {
            device.write(0, ByteBuffer.wrap(bytes));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return device;
    }

    /**
     * Decompresses an image of a fixture into a file.
     *
     * @param fixture the fixture's name
     * @param file the image's file name
     * @param target where to write the raw image
     * @return {@code target}
     */
    public static Path unpack(String fixture, String file, Path target) {
        try {
            Files.write(target, image(fixture, file));
            return target;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The sha256 a fixture's {@code images.sha256} gives for an uncompressed image.
     *
     * @param fixture the fixture's name
     * @param image the uncompressed image's name, e.g. {@code cow-final.img}
     * @return the hex digest
     */
    public static String imageSha256(String fixture, String image) {
        for (String line : lines(fixture, "images.sha256")) {
            String[] parts = line.trim().split("\\s+");
            if (parts.length >= 2 && parts[1].equals(image)) {
                return parts[0];
            }
        }
        throw new IllegalStateException(image + " not in " + fixture + "/images.sha256");
    }

    /**
     * A value from a fixture's {@code expected.txt}, e.g. {@code expected snap sha256}.
     *
     * @param fixture the fixture's name
     * @param key the text before the colon
     * @return the text after it
     */
    public static String expected(String fixture, String key) {
        for (String line : lines(fixture, "expected.txt")) {
            if (line.startsWith(key + ":")) {
                return line.substring(key.length() + 1).trim();
            }
        }
        throw new IllegalStateException(key + " not in " + fixture + "/expected.txt");
    }

    /**
     * The usage a kernel INFO status shows, {@code "<allocated>/<total> <metadata>"}, so that a test
     * compares a store's {@link Usage} value with what the kernel printed. (The text form has its one
     * home in dm's {@code SnapshotStatus}, which the store modules' tests cannot reach: dm's own
     * tests depend on the stores.)
     *
     * @param status e.g. {@code "24/64 16"}
     * @return the usage
     * @throws IllegalArgumentException when the text is not of that form
     */
    public static Usage usage(String status) {
        Matcher m = USAGE.matcher(status);
        if (!m.matches()) {
            throw new IllegalArgumentException("not a snapshot usage status: \"" + status + "\"");
        }
        return new Usage(
                Long.parseUnsignedLong(m.group(2)),
                Long.parseUnsignedLong(m.group(1)),
                Long.parseUnsignedLong(m.group(3)));
    }
}
