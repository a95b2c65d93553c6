package dev.snapstore.dm;

import java.util.List;
import java.util.Objects;

/**
 * One line of a device-mapper table for any target a snapshot stack uses: {@code snapshot} and
 * {@code snapshot-merge} ({@link TableLine}), {@code snapshot-origin}, {@code linear} and
 * {@code error}; any other target is kept as it was written ({@link OtherTarget}), so a table read
 * from {@code dmsetup table} prints back unchanged.
 *
 * @since 0.1
 */
public sealed interface TargetLine
        permits TableLine,
                TargetLine.OriginTarget,
                TargetLine.LinearTarget,
                TargetLine.ErrorTarget,
                TargetLine.OtherTarget {

    /** {@code snapshot-origin}'s target name. */
    String SNAPSHOT_ORIGIN = TargetVersions.SNAPSHOT_ORIGIN;
    /** {@code linear}'s target name. */
    String LINEAR = "linear";
    /** {@code error}'s target name. */
    String ERROR = "error";

    /**
     * The first sector the line covers.
     *
     * @return the start sector
     */
    long start();

    /**
     * How many sectors the line covers.
     *
     * @return the length in sectors
     */
    long length();

    /**
     * The target's name as in the table.
     *
     * @return e.g. {@code "linear"}
     */
    String targetName();

    /**
     * The parameters after the target name, as {@code dmsetup table} prints them.
     *
     * @return the parameter text, possibly empty
     */
    String params();

    /**
     * The line as {@code dmsetup table} prints it for one device: {@code "%llu %llu %s "} and the
     * parameters, so a target without parameters ({@code error}) ends in a space.
     *
     * @return {@code "<start> <length> <target> <params>"}
     */
    default String line() {
        return start() + " " + length() + " " + targetName() + " " + params();
    }

    /**
     * Parses one line of a table, with or without a {@code "name: "} prefix, checking the target's
     * constructor arguments as the kernel's constructor does before it opens any device.
     *
     * @param line e.g. {@code "0 2097152 linear 8:19 384"}
     * @return the line
     * @throws TableException with the kernel's words for a constructor's refusal, or a plain message
     *     for text that is no table line
     */
    static TargetLine parse(String line) throws TableException {
        Objects.requireNonNull(line, "line");
        KernelText.Line fields = KernelText.splitLine(line);
        if (fields == null) {
            throw TableException.syntax(
                    "not a device-mapper table line (expected \"<start> <length> <target> <arguments>\"): \"" + line
                            + "\"");
        }
        if (TargetKind.forName(fields.target()).isPresent()) {
            return TableLine.parse(line);
        }
        List<String> args = KernelText.splitArgs(fields.params());
        return switch (fields.target()) {
            case SNAPSHOT_ORIGIN -> {
                if (args.size() != 1) {
                    throw TableException.other(SNAPSHOT_ORIGIN, KernelMessages.ORIGIN_ARGUMENT_COUNT);
                }
                yield new OriginTarget(fields.start(), fields.length(), args.get(0));
            }
            case LINEAR -> {
                if (args.size() != 2) {
                    throw TableException.other(LINEAR, KernelMessages.LINEAR_ARGUMENT_COUNT);
                }
                yield new LinearTarget(fields.start(), fields.length(), args.get(0), sector(args.get(1)));
            }
            // io_err_ctr takes and ignores any arguments; dmsetup prints none back.
            case ERROR -> new ErrorTarget(fields.start(), fields.length());
            default -> new OtherTarget(fields.start(), fields.length(), fields.target(), fields.params());
        };
    }

    /** {@code sscanf(arg, "%llu%c")} as linear_ctr reads the offset: one unsigned decimal number. */
    private static long sector(String arg) throws TableException {
        if (arg.isEmpty() || !arg.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw TableException.other(LINEAR, KernelMessages.LINEAR_INVALID_SECTOR);
        }
        try {
            return Long.parseLong(arg);
        } catch (NumberFormatException e) {
            throw TableException.other(LINEAR, KernelMessages.LINEAR_INVALID_SECTOR);
        }
    }

    private static void checkRange(long start, long length) {
        if (start < 0 || length < 0) {
            throw new IllegalArgumentException("negative start or length: " + start + " " + length);
        }
    }

    private static void checkDevice(String device) {
        Objects.requireNonNull(device, "device");
        if (device.isEmpty() || device.chars().anyMatch(c -> c <= ' ')) {
            throw new IllegalArgumentException("a device is one word without spaces: \"" + device + "\"");
        }
    }

    /**
     * {@code snapshot-origin <device>}: the origin as its snapshots see it; writes copy out first.
     *
     * @param start the first sector
     * @param length the length in sectors
     * @param device the real origin device, e.g. {@code "253:3"} (lvm2's {@code <origin>-real})
     */
    record OriginTarget(long start, long length, String device) implements TargetLine {
        /**
         * Checks the arguments.
         *
         * @param start the first sector
         * @param length the length in sectors
         * @param device the device
         */
        public OriginTarget {
            checkRange(start, length);
            checkDevice(device);
        }

        @Override
        public String targetName() {
            return SNAPSHOT_ORIGIN;
        }

        @Override
        public String params() {
            return device;
        }
    }

    /**
     * {@code linear <device> <offset>}: a range of another device.
     *
     * @param start the first sector
     * @param length the length in sectors
     * @param device the device, e.g. {@code "8:19"} or {@code "/dev/vdb"}
     * @param offset the first sector on that device
     */
    record LinearTarget(long start, long length, String device, long offset) implements TargetLine {
        /**
         * Checks the arguments.
         *
         * @param start the first sector
         * @param length the length in sectors
         * @param device the device
         * @param offset the offset on it, at least 0
         */
        public LinearTarget {
            checkRange(start, length);
            checkDevice(device);
            if (offset < 0) {
                throw new IllegalArgumentException("negative offset: " + offset);
            }
        }

        @Override
        public String targetName() {
            return LINEAR;
        }

        @Override
        public String params() {
            return device + " " + offset;
        }
    }

    /**
     * {@code error}: every I/O fails; what a removed device's table is swapped for.
     *
     * @param start the first sector
     * @param length the length in sectors
     */
    record ErrorTarget(long start, long length) implements TargetLine {
        /**
         * Checks the arguments.
         *
         * @param start the first sector
         * @param length the length in sectors
         */
        public ErrorTarget {
            checkRange(start, length);
        }

        @Override
        public String targetName() {
            return ERROR;
        }

        @Override
        public String params() {
            return "";
        }
    }

    /**
     * Any other target, kept as written (no check of its arguments).
     *
     * @param start the first sector
     * @param length the length in sectors
     * @param targetName the target, e.g. {@code "striped"}
     * @param params its parameters as written
     */
    record OtherTarget(long start, long length, String targetName, String params) implements TargetLine {
        /**
         * Checks the arguments.
         *
         * @param start the first sector
         * @param length the length in sectors
         * @param targetName the target
         * @param params the parameters
         */
        public OtherTarget {
            checkRange(start, length);
            checkDevice(targetName);
            Objects.requireNonNull(params, "params");
        }
    }
}
