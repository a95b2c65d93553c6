package dev.snapstore.dm;

import java.util.Objects;

/**
 * A {@code snapshot-merge} the kernel gave up: its status is {@code Merge failed} (a read, write or
 * metadata error stopped it) or {@code Invalid} (the snapshot was invalidated), or anything else
 * that is not progress. The message is lvm2's ({@code tools/lvconvert_poll.c}), e.g.
 * {@code "vg-origin: Merge failed. Retry merge or inspect manually."}; the devices stay as they are.
 *
 * @since 0.2
 */
public final class MergeFailedException extends DeviceMapperException {

    private static final long serialVersionUID = 1L;

    /** The status that ended the merge. */
    private final transient SnapshotStatus status;

    /**
     * A merge that ended with the given status.
     *
     * @param origin the merging origin
     * @param status its status, not a usage
     */
    public MergeFailedException(String origin, SnapshotStatus status) {
        super(message(origin, status), 1, "", null);
        this.status = Objects.requireNonNull(status, "status");
    }

    private static String message(String origin, SnapshotStatus status) {
        return switch (status.kind()) {
            case MERGE_FAILED -> origin + ": Merge failed. Retry merge or inspect manually.";
            case INVALID -> origin + ": Merging snapshot invalidated. Aborting merge.";
            default -> origin + ": the merge reports \"" + status.format() + "\", not progress. Aborting the wait.";
        };
    }

    /**
     * The status that ended the merge.
     *
     * @return e.g. {@link SnapshotStatus#MERGE_FAILED}; {@code null} after deserialisation
     */
    public SnapshotStatus status() {
        return status;
    }
}
