package dev.snapstore.dm;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A device's whole {@code dmsetup status} output, one {@link Line} per target: the
 * {@code snapshot}/{@code snapshot-merge} lines read into a {@link StatusLine}, every other target
 * ({@code snapshot-origin}, {@code linear}, ...) passed through as written.
 *
 * @param lines the targets' status lines, in order
 * @since 0.1
 */
public record DeviceStatus(List<Line> lines) {

    /**
     * One target's status.
     *
     * @param start the first sector
     * @param length the length in sectors
     * @param targetName the target, e.g. {@code "snapshot-origin"}
     * @param params the status text after the target name, as written
     * @param snapshot the parsed status for {@code snapshot}/{@code snapshot-merge}, else empty
     */
    public record Line(long start, long length, String targetName, String params, Optional<StatusLine> snapshot) {
        /**
         * Checks the arguments.
         *
         * @param start the first sector
         * @param length the length in sectors
         * @param targetName the target
         * @param params the status text
         * @param snapshot the parsed snapshot status, if any
         */
        public Line {
            Objects.requireNonNull(targetName, "targetName");
            Objects.requireNonNull(params, "params");
            Objects.requireNonNull(snapshot, "snapshot");
        }

        /**
         * The line as {@code dmsetup status} prints it for one device ({@code "%llu %llu %s "} and
         * the status, so a target without status text ends in a space).
         *
         * @return e.g. {@code "0 32768 snapshot-origin "}
         */
        public String format() {
            return start + " " + length + " " + targetName + " " + params;
        }
    }

    /**
     * Keeps the lines.
     *
     * @param lines the lines
     */
    public DeviceStatus {
        lines = List.copyOf(lines);
    }

    /**
     * Parses {@code dmsetup status NAME}; {@code "name: "} prefixes and a trailing newline are allowed.
     *
     * @param text the output
     * @return the status
     * @throws StatusException for a line that is no status line, or a snapshot status the kernel
     *     would not print
     */
    public static DeviceStatus parse(String text) throws StatusException {
        Objects.requireNonNull(text, "text");
        List<Line> lines = new ArrayList<>();
        for (String line : text.split("\n", -1)) {
            if (line.isBlank()) {
                continue;
            }
            KernelText.Line fields = KernelText.splitLine(line);
            if (fields == null) {
                throw new StatusException(
                        "not a device-mapper status line (expected \"<start> <length> <target> <status>\"): \"" + line
                                + "\"");
            }
            Optional<StatusLine> snapshot = TargetKind.forName(fields.target()).isPresent()
                    ? Optional.of(StatusLine.parse(line))
                    : Optional.empty();
            lines.add(new Line(fields.start(), fields.length(), fields.target(), fields.params(), snapshot));
        }
        return new DeviceStatus(lines);
    }

    /**
     * The snapshot status of a device whose table is one {@code snapshot} or {@code snapshot-merge}
     * target.
     *
     * @return the status, or empty for any other device
     */
    public Optional<SnapshotStatus> snapshotStatus() {
        return lines.size() == 1 ? lines.get(0).snapshot().map(StatusLine::status) : Optional.empty();
    }
}
