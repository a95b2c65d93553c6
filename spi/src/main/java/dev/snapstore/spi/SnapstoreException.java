package dev.snapstore.spi;

import java.io.IOException;

/**
 * The checked base of every failure that snapstore's libraries report with a kernel error number:
 * a store's {@link StoreException}, and the engine's refused target constructions and failed
 * snapshot I/O. A caller that only needs the kernel's answer catches this one type and reads
 * {@link #errno()}; the subclasses say what failed.
 *
 * <p>It is an {@link IOException} because failed snapshot I/O must pass through
 * {@link BlockDevice#read} and {@link BlockDevice#write}, whose callers expect I/O exceptions.
 *
 * @since 0.2
 */
public abstract class SnapstoreException extends IOException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what failed; for kernel failures the kernel's own text
     */
    protected SnapstoreException(String message) {
        super(message);
    }

    /**
     * Creates the exception with the failure underneath.
     *
     * @param message what failed; for kernel failures the kernel's own text
     * @param cause what went wrong underneath
     */
    protected SnapstoreException(String message, Throwable cause) {
        super(message, cause);
    }

    /**
     * The kernel's error number for this failure, printed as {@code (-EINVAL)} after a target error.
     *
     * @return the error number, never {@code null}
     */
    public abstract Errno errno();
}
