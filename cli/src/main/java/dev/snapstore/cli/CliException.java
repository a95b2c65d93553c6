package dev.snapstore.cli;

/**
 * Ends a command with a one-line message on stderr and an exit status; never shown as a stack
 * trace.
 */
final class CliException extends Exception {

    private static final long serialVersionUID = 1L;

    private final ExitStatus status;

    CliException(ExitStatus status, String message) {
        super(message);
        this.status = status;
    }

    CliException(ExitStatus status, String message, Throwable cause) {
        super(message, cause);
        this.status = status;
    }

    static CliException usage(String message) {
        return new CliException(ExitStatus.USAGE, message);
    }

    static CliException no(String message) {
        return new CliException(ExitStatus.NO, message);
    }

    ExitStatus status() {
        return status;
    }
}
