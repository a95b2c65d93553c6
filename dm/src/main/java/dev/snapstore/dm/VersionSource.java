package dev.snapstore.dm;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * Where the {@code dmsetup targets} listing comes from: the real {@code dmsetup}, a saved file,
 * standard input or a string. Errors name the source.
 *
 * @since 0.1
 */
@FunctionalInterface
public interface VersionSource {

    /** How long {@link #dmsetup()} waits for {@code dmsetup targets} to finish. */
    Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);

    /**
     * Reads and parses the listing.
     *
     * @return the loaded targets
     * @throws TargetException when the listing cannot be read or parsed; the message names the source
     */
    TargetVersions read() throws TargetException;

    /**
     * A listing given as text.
     *
     * @param text the {@code dmsetup targets} output
     * @return a source that parses the text on every read
     */
    static VersionSource ofText(String text) {
        Objects.requireNonNull(text, "text");
        return () -> TargetVersions.parse(text);
    }

    /**
     * A listing saved in a file (UTF-8; the listing is ASCII).
     *
     * @param path the file
     * @return a source that reads the file on every read
     */
    static VersionSource ofFile(Path path) {
        Objects.requireNonNull(path, "path");
        return () -> Sources.parse(Sources.readFile(path), path.toString());
    }

    /**
     * A listing read from standard input (messages call the stream so). The stream is read to its end
     * on the first {@link #read()} and not closed; later reads return the same result.
     *
     * @param in the stream
     * @return a source over the stream
     */
    static VersionSource ofStream(InputStream in) {
        return ofStream(in, "standard input");
    }

    /**
     * A listing read from a named stream. The stream is read to its end on the first {@link #read()}
     * and not closed; later reads return the same result.
     *
     * @param in the stream
     * @param name what to call the stream in messages, e.g. {@code "standard input"}
     * @return a source over the stream
     */
    static VersionSource ofStream(InputStream in, String name) {
        Objects.requireNonNull(in, "in");
        Objects.requireNonNull(name, "name");
        return new VersionSource() {
            private TargetVersions result;

            @Override
            public synchronized TargetVersions read() throws TargetException {
                if (result == null) {
                    String text;
                    try {
                        text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
                    } catch (IOException e) {
                        throw new TargetException(
                                "cannot read dmsetup targets from " + name + ": " + e.getMessage(), e);
                    }
                    result = Sources.parse(text, name);
                }
                return result;
            }
        };
    }

    /**
     * Runs {@code dmsetup targets} (found on {@code PATH}; it needs root) and waits at most
     * {@link #DEFAULT_TIMEOUT}.
     *
     * @return a source that runs the command on every read
     */
    static VersionSource dmsetup() {
        return dmsetup(DEFAULT_TIMEOUT);
    }

    /**
     * Runs {@code dmsetup targets} with a time limit.
     *
     * @param timeout how long to wait before killing the command
     * @return a source that runs the command on every read
     */
    static VersionSource dmsetup(Duration timeout) {
        return new DmsetupCommand(List.of("dmsetup", "targets"), timeout);
    }
}
