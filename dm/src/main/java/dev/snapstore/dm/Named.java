package dev.snapstore.dm;

import java.util.Objects;
import java.util.Optional;

/**
 * A {@code dmsetup table}/{@code status} line with the device name that {@code dmsetup} puts in
 * front when it lists several devices ({@code "vg-snap: 0 32768 snapshot 16/8192 16"}).
 *
 * @param device the device name, or {@code null} when the line had none
 * @param line the line itself
 * @param <T> the kind of line
 * @since 0.1
 */
public record Named<T extends DmsetupLine>(String device, T line) {

    /**
     * Checks the arguments.
     *
     * @param device the device name, or {@code null}
     * @param line the line
     */
    public Named {
        Objects.requireNonNull(line, "line");
        if (device != null && device.isEmpty()) {
            throw new IllegalArgumentException("empty device name");
        }
    }

    /**
     * The device name, if the line had one.
     *
     * @return the name
     */
    public Optional<String> deviceName() {
        return Optional.ofNullable(device);
    }

    /**
     * The line as {@code dmsetup} prints it: with {@code "name: "} in front when there is a name.
     *
     * @return the text, without a newline
     */
    public String format() {
        return device == null ? line.format() : device + ": " + line.format();
    }
}
