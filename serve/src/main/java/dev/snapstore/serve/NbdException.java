package dev.snapstore.serve;

import java.io.IOException;

/**
 * A failed export operation, carrying the errno that caused it; the server replies with
 * {@link #nbdError()} and the message.
 *
 * <p>An export built on the engine wraps the engine's kernel errors here with their errno number
 * ({@code new NbdException(e.errno().number(), e.getMessage(), e)}), so the client sees the
 * kernel's error as the protocol allows it: ENOSPC stays ENOSPC, ENXIO becomes EIO.
 *
 * @since 0.1
 */
public class NbdException extends IOException {
    private static final long serialVersionUID = 1L;

    /** The errno of the failure, positive as in {@code errno.h}. */
    private final int errno;

    /**
     * An error with a system errno number.
     *
     * @param errno a positive errno as in {@code errno.h}, e.g. 28 for {@code ENOSPC}
     * @param message shown to the client in a structured error reply; may be {@code null}
     * @param cause the engine's or the file system's exception; may be {@code null}
     */
    public NbdException(int errno, String message, Throwable cause) {
        super(message, cause);
        if (errno <= 0) {
            throw new IllegalArgumentException("errno must be positive: " + errno);
        }
        this.errno = errno;
    }

    /**
     * An error with a system errno number and no cause.
     *
     * @param errno a positive errno as in {@code errno.h}
     * @param message shown to the client; may be {@code null}
     */
    public NbdException(int errno, String message) {
        this(errno, message, null);
    }

    /**
     * An error with one of the protocol's values.
     *
     * @param error the protocol's error
     * @param message shown to the client; may be {@code null}
     */
    public NbdException(NbdError error, String message) {
        this(error.value(), message, null);
    }

    /**
     * The errno of the failure, as the export gave it (not yet mapped to the protocol's set).
     *
     * @return a positive errno number
     */
    public int errno() {
        return errno;
    }

    /**
     * The error the server sends for this failure.
     *
     * @return {@link NbdError#fromErrno(int)} of {@link #errno()}
     */
    public NbdError nbdError() {
        return NbdError.fromErrno(errno);
    }
}
