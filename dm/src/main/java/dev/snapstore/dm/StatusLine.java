package dev.snapstore.dm;

import java.util.Objects;

/**
 * One {@code snapshot}/{@code snapshot-merge} line of {@code dmsetup status}:
 * {@code <start> <length> <target> <status>}, e.g. {@code 0 8192 snapshot 24/64 16}, optionally
 * with the {@code "name: "} prefix {@code dmsetup} uses when it lists several devices. Also renders
 * the target's other two status types (spec §5.9).
 *
 * @param start the first sector, at least 0
 * @param length the length in sectors, at least 0
 * @param kind the target
 * @param status the INFO status
 * @since 0.1
 */
public record StatusLine(long start, long length, TargetKind kind, SnapshotStatus status) implements DmsetupLine {

    /**
     * Checks the arguments.
     *
     * @param start the first sector
     * @param length the length in sectors
     * @param kind the target
     * @param status the status
     */
    public StatusLine {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(status, "status");
        if (start < 0 || length < 0) {
            throw new IllegalArgumentException("negative start or length: " + start + " " + length);
        }
    }

    /**
     * Parses a {@code dmsetup status} line; a {@code "name: "} prefix is dropped (see
     * {@link #parseNamed}) and one trailing newline allowed. The status itself is read by
     * {@link SnapshotStatus#parse}.
     *
     * @param line e.g. {@code "0 8192 snapshot 16/2048 16"}
     * @return the line
     * @throws StatusException when the line is not a snapshot status line
     */
    public static StatusLine parse(String line) throws StatusException {
        return parseNamed(line).line();
    }

    /**
     * Parses a {@code dmsetup status} line and keeps its device name, if any.
     *
     * @param line e.g. {@code "vg-snap: 0 32768 snapshot Invalid"}
     * @return the line with its device name
     * @throws StatusException when the line is not a snapshot status line
     */
    public static Named<StatusLine> parseNamed(String line) throws StatusException {
        Objects.requireNonNull(line, "line");
        KernelText.Line fields = KernelText.splitLine(line);
        if (fields == null) {
            throw new StatusException(
                    "not a device-mapper status line (expected \"<start> <length> <target> <status>\"): \"" + line
                            + "\"");
        }
        TargetKind kind = TargetKind.forName(fields.target()).orElse(null);
        if (kind == null) {
            throw new StatusException(
                    "not a snapshot or snapshot-merge status line: the target is \"" + fields.target() + "\"");
        }
        return new Named<>(
                fields.device(),
                new StatusLine(fields.start(), fields.length(), kind, SnapshotStatus.parse(fields.params())));
    }

    /**
     * The status text.
     *
     * @return e.g. {@code "16/2048 16"}
     */
    @Override
    public String params() {
        return status.format();
    }

    /**
     * The whole line as {@code dmsetup status} prints it.
     *
     * @return e.g. {@code "0 8192 snapshot 16/2048 16"}
     */
    @Override
    public String format() {
        return DmsetupLine.super.format();
    }

    /**
     * The same as {@link #format()}.
     *
     * @return the line
     */
    @Override
    public String toString() {
        return format();
    }

    /**
     * The TABLE status ({@code STATUSTYPE_TABLE}): the table line's arguments as the kernel prints
     * them, e.g. {@code "254:0 254:16 P 8 1 discard_zeroes_cow"}. Pass a line that is already
     * normalised ({@link TableLine#validate}, {@link TableLine#of}) with {@code major:minor} names.
     *
     * @param table the table line
     * @return the status text
     */
    public static String tableStatus(TableLine table) {
        return table.params();
    }

    /**
     * The IMA status ({@code STATUSTYPE_IMA}) of a snapshot target:
     * {@code target_name=%s,target_version=%u.%u.%u,snap_origin_name=%s,snap_cow_name=%s,snap_valid=%c,snap_merge_failed=%c,snapshot_overflowed=%c;}
     * with {@code y}/{@code n} flags.
     *
     * @param kind the target
     * @param version the target's version (the kernel prints its own, e.g. 1.16.0 for snapshot)
     * @param origin the origin device name, e.g. {@code "254:0"}
     * @param cow the COW device name
     * @param valid whether the snapshot is valid
     * @param mergeFailed whether a merge failed
     * @param overflowed whether the snapshot overflowed
     * @return the status text
     */
    public static String imaStatus(
            TargetKind kind,
            TargetVersion version,
            String origin,
            String cow,
            boolean valid,
            boolean mergeFailed,
            boolean overflowed) {
        return "target_name=" + kind.targetName() + ",target_version=" + version
                + ",snap_origin_name=" + origin + ",snap_cow_name=" + cow
                + ",snap_valid=" + yn(valid) + ",snap_merge_failed=" + yn(mergeFailed)
                + ",snapshot_overflowed=" + yn(overflowed) + ";";
    }

    private static char yn(boolean b) {
        return b ? 'y' : 'n';
    }
}
