package dev.snapstore.engine;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Objects;

/**
 * An image is held by someone else in a mode that excludes the one asked for: the lock of
 * {@link ImageLock}, refused without waiting. The message names the file and who holds it.
 *
 * @since 0.3
 */
public final class ImageInUseException extends IOException {

    private static final long serialVersionUID = 1L;

    private final transient Path path;
    private final boolean thisProcess;

    /**
     * Creates the exception.
     *
     * @param path the image
     * @param thisProcess {@code true} when the holder is in this JVM, {@code false} for another process
     */
    public ImageInUseException(Path path, boolean thisProcess) {
        super(Objects.requireNonNull(path, "path") + " is in use by "
                + (thisProcess ? "another user in this process" : "another process") + " (locked)");
        this.path = path;
        this.thisProcess = thisProcess;
    }

    /** @return the image */
    public Path path() {
        return path;
    }

    /** @return whether the holder is in this JVM */
    public boolean isThisProcess() {
        return thisProcess;
    }
}
