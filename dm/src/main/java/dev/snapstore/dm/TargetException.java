package dev.snapstore.dm;

/**
 * A problem with the kernel-facing text this module reads or with what was asked of it: an
 * unreadable {@code dmsetup targets} listing, a missing target, a request the kernel would refuse,
 * a status line that is not one the kernel prints. The message is one sentence for a person.
 *
 * @since 0.1
 */
public class TargetException extends Exception {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what went wrong, for a person
     */
    public TargetException(String message) {
        super(message);
    }

    /**
     * Creates the exception with a cause.
     *
     * @param message what went wrong, for a person
     * @param cause the underlying error
     */
    public TargetException(String message, Throwable cause) {
        super(message, cause);
    }
}
