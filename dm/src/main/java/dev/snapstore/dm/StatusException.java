package dev.snapstore.dm;

/**
 * A status text that is not one the {@code snapshot}/{@code snapshot-merge} target prints. The
 * message quotes the text and says what was expected.
 *
 * @since 0.1
 */
public class StatusException extends TargetException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what is wrong, quoting the text
     */
    public StatusException(String message) {
        super(message);
    }
}
