package dev.snapstore.spi;

/**
 * Receives the lines the kernel would print to its log ({@code DMWARN}, {@code DMERR}), already
 * formatted as {@code "device-mapper: <prefix>: <message>"}, so that callers can show or compare
 * them with {@code dmesg}.
 *
 * <p>Implementations must be safe to call from any thread.
 *
 * @since 0.1
 */
@FunctionalInterface
public interface KernelLog {

    /** A log that drops every line. */
    KernelLog DISCARD = line -> {};

    /**
     * Takes one line.
     *
     * @param line the whole line, never {@code null}
     */
    void log(String line);

    /**
     * Logs a message under a device-mapper prefix, as the kernel's {@code DMWARN}/{@code DMERR} do.
     *
     * @param prefix the {@code DM_MSG_PREFIX}, e.g. {@code "persistent snapshot"}
     * @param message the message
     */
    default void dm(String prefix, String message) {
        log("device-mapper: " + prefix + ": " + message);
    }
}
