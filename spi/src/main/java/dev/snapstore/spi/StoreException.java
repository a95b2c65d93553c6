package dev.snapstore.spi;

import java.util.Objects;

/**
 * A failure the kernel reports with an error number and a message: a bad type word or chunk size,
 * a corrupt header, an I/O error while reading metadata. The message is the kernel's own text,
 * without a trailing newline.
 *
 * @since 0.1
 */
public class StoreException extends SnapstoreException {

    private static final long serialVersionUID = 1L;

    private final Errno errno;

    /**
     * Creates the exception.
     *
     * @param errno the kernel's error number
     * @param message the kernel's message, never {@code null}
     */
    public StoreException(Errno errno, String message) {
        super(Objects.requireNonNull(message, "message"));
        this.errno = Objects.requireNonNull(errno, "errno");
    }

    /**
     * Creates the exception with a cause.
     *
     * @param errno the kernel's error number
     * @param message the kernel's message, never {@code null}
     * @param cause what went wrong underneath, for example an {@link java.io.IOException}
     */
    public StoreException(Errno errno, String message, Throwable cause) {
        super(Objects.requireNonNull(message, "message"), cause);
        this.errno = Objects.requireNonNull(errno, "errno");
    }

    /**
     * The kernel's error number for this failure.
     *
     * @return the error number, never {@code null}
     */
    public Errno errno() {
        return errno;
    }
}
