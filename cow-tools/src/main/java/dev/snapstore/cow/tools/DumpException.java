package dev.snapstore.cow.tools;

/**
 * A dump that cannot be read ({@link DumpText#parse}, {@link DumpJson#parse}) or that
 * {@link CowRestore} refuses to write. The message says why, without a command name, e.g.
 * {@code dump line 3: a second header line}.
 */
public final class DumpException extends Exception {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message why
     */
    public DumpException(String message) {
        super(message);
    }
}
