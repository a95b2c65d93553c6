package dev.snapstore.cli;

/** The exit statuses of every snapstore command; scripts may rely on them. */
public enum ExitStatus {
    /** It worked. */
    OK(0),
    /** The answer is "no": a target is missing, problems were found, or the operation failed as the kernel would fail it. */
    NO(1),
    /** Usage or input error: bad arguments, a missing or unreadable file, a corrupt image, a broken installation. */
    USAGE(2),
    /** A bug in snapstore: an unexpected exception. */
    INTERNAL(3);

    private final int code;

    ExitStatus(int code) {
        this.code = code;
    }

    /**
     * The process exit code.
     *
     * @return 0 to 3
     */
    public int code() {
        return code;
    }
}
