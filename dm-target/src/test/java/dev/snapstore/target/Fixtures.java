package dev.snapstore.target;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * The kernel fixtures in {@code shared/fixtures}, read from disk: the directory comes from the system
 * property {@code snapstore.shared} (set by the parent pom), else {@code ../shared} next to the
 * repository root.
 */
final class Fixtures {

    private Fixtures() {
    }

    static Path shared() {
        String property = System.getProperty("snapstore.shared");
        if (property != null && !property.isBlank() && Files.isDirectory(Path.of(property))) {
            return Path.of(property);
        }
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null && !(Files.isDirectory(dir.resolve("dm-target")) && Files.exists(dir.resolve("pom.xml")))) {
            dir = dir.getParent();
        }
        if (dir == null) {
            throw new IllegalStateException("cannot find the repository root from " + Path.of("").toAbsolutePath());
        }
        Path fallback = dir.resolve("../shared").normalize();
        if (!Files.isDirectory(fallback)) {
            throw new IllegalStateException("no fixtures: set -Dsnapstore.shared or put shared/ at " + fallback);
        }
        return fallback;
    }

    static Path fixture(String relative) {
        return shared().resolve("fixtures").resolve(relative);
    }

    static String read(String relative) {
        try {
            return Files.readString(fixture(relative), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static List<Path> scenarios() {
        try (Stream<Path> dirs = Files.list(shared().resolve("fixtures"))) {
            return dirs.map(d -> d.resolve("scenario.txt")).filter(Files::isRegularFile).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
