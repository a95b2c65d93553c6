package dev.snapstore.dm;

import java.util.Optional;

/**
 * The two device-mapper targets that take an exception store: {@code snapshot} and
 * {@code snapshot-merge}. Both share one constructor, {@code snapshot_ctr} in dm-snap.c.
 *
 * @since 0.1
 */
public enum TargetKind {
    /** The {@code snapshot} target. */
    SNAPSHOT(
            TargetVersions.SNAPSHOT,
            new TargetVersion(1, 15, 0),
            new TargetVersion(1, 16, 0),
            new TargetVersion(1, 16, 0)),
    /** The {@code snapshot-merge} target. */
    SNAPSHOT_MERGE(
            TargetVersions.SNAPSHOT_MERGE,
            new TargetVersion(1, 4, 0),
            new TargetVersion(1, 5, 0),
            new TargetVersion(1, 5, 0));

    private final String targetName;
    private final TargetVersion overflowSince;
    private final TargetVersion discardSince;
    private final TargetVersion version;

    TargetKind(String targetName, TargetVersion overflowSince, TargetVersion discardSince, TargetVersion version) {
        this.targetName = targetName;
        this.overflowSince = overflowSince;
        this.discardSince = discardSince;
        this.version = version;
    }

    /**
     * The version of this target in the kernels this library follows (6.x, spec and fixtures): the
     * one the userspace engine reports in its IMA status.
     *
     * @return {@code 1.16.0} for {@code snapshot}, {@code 1.5.0} for {@code snapshot-merge}
     */
    public TargetVersion version() {
        return version;
    }

    /**
     * The kernel's name of the target.
     *
     * @return {@code "snapshot"} or {@code "snapshot-merge"}
     */
    public String targetName() {
        return targetName;
    }

    /**
     * The first version of this target that knows a {@link Feature}.
     *
     * @param feature the feature
     * @return the gate version: overflow ({@code PO}) 1.15.0 / 1.4.0, discard feature arguments
     *     1.16.0 / 1.5.0 for {@code snapshot} / {@code snapshot-merge}
     */
    public TargetVersion since(Feature feature) {
        return switch (feature) {
            case OVERFLOW -> overflowSince;
            case DISCARD -> discardSince;
        };
    }

    /**
     * The kind with a target name.
     *
     * @param name a target name, e.g. {@code "snapshot-merge"}; compared exactly, as the kernel does
     * @return the kind, or empty for any other target
     */
    public static Optional<TargetKind> forName(String name) {
        for (TargetKind kind : values()) {
            if (kind.targetName.equals(name)) {
                return Optional.of(kind);
            }
        }
        return Optional.empty();
    }

    /**
     * The target name.
     *
     * @return the same as {@link #targetName()}
     */
    @Override
    public String toString() {
        return targetName;
    }
}
