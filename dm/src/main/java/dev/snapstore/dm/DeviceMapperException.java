package dev.snapstore.dm;

import java.util.List;

/**
 * A device-mapper operation failed: the kernel refused it, the device does not exist, or
 * {@code dmsetup} could not be run. The message is one line for a person and carries the command's
 * own words ({@code dmsetup}'s stderr, e.g. {@code "device-mapper: reload ioctl on snap (254:2) failed:
 * Invalid argument"}) when there are any.
 *
 * @since 0.1
 */
public class DeviceMapperException extends Exception {

    private static final long serialVersionUID = 1L;

    /** The exit status of the command, or -1 when it did not run to its end. */
    private final int exitStatus;
    /** What the command wrote on stderr, stripped; empty when nothing or not run. */
    private final String stderr;
    /** The kernel's log lines about the failure; not serialisable as a List, so transient and re-made empty. */
    private final transient List<String> kernelLog;

    /**
     * An error without a command result (the command could not be started, or a check before it).
     *
     * @param message the message
     */
    public DeviceMapperException(String message) {
        this(message, -1, "", null);
    }

    /**
     * An error with a cause.
     *
     * @param message the message
     * @param cause the cause
     */
    public DeviceMapperException(String message, Throwable cause) {
        this(message, -1, "", cause);
    }

    /**
     * An error from a command that ran and failed.
     *
     * @param message the message
     * @param exitStatus the command's exit status, or -1
     * @param stderr the command's stderr (may be empty, not null)
     * @param cause the cause, or {@code null}
     */
    public DeviceMapperException(String message, int exitStatus, String stderr, Throwable cause) {
        this(message, exitStatus, stderr, List.of(), cause);
    }

    /**
     * An error from a command that ran and failed, with what the kernel logged about it.
     *
     * @param message the message
     * @param exitStatus the command's exit status, or -1
     * @param stderr the command's stderr (may be empty, not null)
     * @param kernelLog the kernel's {@code device-mapper:} log lines about the failure, oldest first
     * @param cause the cause, or {@code null}
     * @since 0.2
     */
    public DeviceMapperException(
            String message, int exitStatus, String stderr, List<String> kernelLog, Throwable cause) {
        super(message, cause);
        this.exitStatus = exitStatus;
        this.stderr = stderr == null ? "" : stderr.strip();
        this.kernelLog = List.copyOf(kernelLog);
    }

    /**
     * The command's exit status.
     *
     * @return the status, or -1 when the command did not run to its end
     */
    public int exitStatus() {
        return exitStatus;
    }

    /**
     * The command's own words.
     *
     * @return what the command wrote on stderr, stripped; empty when nothing
     */
    public String stderr() {
        return stderr;
    }

    /**
     * The kernel's own words about the failure, read from its log right after the command failed
     * (e.g. {@code "device-mapper: table: 254:3: snapshot: Couldn't create exception store (-EINVAL)"});
     * best effort, empty when the log could not be read or said nothing.
     *
     * @return the lines, oldest first
     * @since 0.2
     */
    public List<String> kernelLog() {
        return kernelLog == null ? List.of() : kernelLog;
    }
}
