package dev.snapstore.engine;

import dev.snapstore.dm.SnapshotStatus;
import dev.snapstore.spi.Usage;

/**
 * A snapshot's state as one immutable value, so that it lives in one field and no reader ever sees
 * half of a change: where it is in its life cycle ({@link Phase}), whether it was closed, and the
 * three conditions its status reports ({@code s->valid}, {@code snapshot_overflowed},
 * {@code merge_failed}), which can hold together.
 *
 * @param phase the life-cycle phase
 * @param closed whether {@link Snapshot#close()} ran ({@code snapshot_dtr}); the phase stays as it was
 * @param valid {@code s->valid}
 * @param overflowed a {@code PO} snapshot found its store full on a snapshot write
 * @param mergeFailed a merge step failed
 */
record SnapshotState(Phase phase, boolean closed, boolean valid, boolean overflowed, boolean mergeFailed) {

    /** The life cycle: each phase only moves forward. */
    enum Phase {
        /** Constructed, not resumed: origin writes copy nothing to it and its own I/O is refused. */
        INACTIVE,
        /** Resumed ({@code snapshot_resume}): a live {@code snapshot} target. */
        ACTIVE,
        /** Handed over to {@code snapshot-merge}, merge steps going on. */
        MERGING,
        /** Merging, but the merge stopped: it failed or the snapshot was invalid. */
        MERGE_STOPPED,
        /** Merging, and the store reported nothing left to merge. */
        MERGE_FINISHED;

        boolean isActive() {
            return this != INACTIVE;
        }

        boolean isMerging() {
            return compareTo(MERGING) >= 0;
        }

        boolean isMergeStopped() {
            return compareTo(MERGE_STOPPED) >= 0;
        }
    }

    /**
     * The state {@code snapshot_ctr} leaves.
     *
     * @param valid {@code false} when the store's metadata says the snapshot was invalidated
     */
    static SnapshotState constructed(boolean valid) {
        return new SnapshotState(Phase.INACTIVE, false, valid, false, false);
    }

    SnapshotState activated() {
        return phase == Phase.INACTIVE ? with(Phase.ACTIVE) : this;
    }

    SnapshotState mergeStarted() {
        return with(Phase.MERGING);
    }

    /** The merge stops without failing: the snapshot is invalid, or nothing is left ({@code finished}). */
    SnapshotState mergeStopped(boolean finished) {
        return with(finished ? Phase.MERGE_FINISHED : Phase.MERGE_STOPPED);
    }

    /** merge_callback's "shut" path: merge_failed, and the merge stops. */
    SnapshotState mergeFailedNow() {
        return new SnapshotState(
                phase == Phase.MERGE_FINISHED ? phase : Phase.MERGE_STOPPED, closed, valid, overflowed, true);
    }

    SnapshotState closedNow() {
        return new SnapshotState(phase, true, valid, overflowed, mergeFailed);
    }

    SnapshotState invalidated() {
        return new SnapshotState(phase, closed, false, overflowed, mergeFailed);
    }

    SnapshotState overflowedNow() {
        return new SnapshotState(phase, closed, valid, true, mergeFailed);
    }

    private SnapshotState with(Phase next) {
        return new SnapshotState(next, closed, valid, overflowed, mergeFailed);
    }

    /** Whether the status shows the store's usage, so that it has to be read. */
    boolean showsUsage() {
        return valid && !mergeFailed && !overflowed;
    }

    /**
     * The INFO status with the kernel's priority, which has its one home in dm.
     *
     * @param usage the store's usage, needed only when {@link #showsUsage()}
     */
    SnapshotStatus status(Usage usage) {
        return SnapshotStatus.of(valid, mergeFailed, overflowed, usage);
    }
}
