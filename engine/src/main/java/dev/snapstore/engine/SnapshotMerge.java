package dev.snapstore.engine;

import dev.snapstore.dm.KernelMessages;
import dev.snapstore.dm.SnapshotConstructor;
import dev.snapstore.dm.TableException;
import dev.snapstore.dm.TargetKind;
import dev.snapstore.spi.Errno;
import dev.snapstore.spi.MergeRun;
import dev.snapstore.spi.StoreException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Optional;

/**
 * A snapshot as the {@code snapshot-merge} target: the handover ({@link #start}), the merge steps
 * ({@code snapshot_merge_next_chunks} with {@code merge_callback}) and the origin's I/O while merging
 * ({@code snapshot_merge_map}: {@link #read}, {@link #write}). Writes to the chunks of the step in
 * progress wait for it, as the kernel queues them until {@code __release_queued_bios_after_merge}.
 */
final class SnapshotMerge {

    private final SnapshotCore core;

    // Guarded by the snapshot's lock: the chunks the step in progress merges.
    private long firstMergingChunk;
    private int numMergingChunks;

    SnapshotMerge(SnapshotCore core) {
        this.core = core;
    }

    /**
     * The exception handover to {@code snapshot-merge}; called under the origin's control lock with
     * the snapshot open and not merging yet.
     */
    void start() throws SnapshotTargetException {
        if (core.origin.mergingSnapshot().isPresent()) {
            throw new SnapshotTargetException(Errno.EINVAL, KernelMessages.ALREADY_MERGING);
        }
        try {
            SnapshotConstructor.requireMerge(TargetKind.SNAPSHOT_MERGE, core.type);
        } catch (TableException e) {
            throw SnapshotTargetException.of(e);
        }
        core.lock.lock();
        try {
            core.update(SnapshotState::mergeStarted);
        } finally {
            core.lock.unlock();
        }
    }

    /** One merge step; called under the origin's I/O lock while merging and not stopped. */
    int nextChunks() {
        if (!core.state().valid()) {
            // snapshot_merge_next_chunks shuts the merge down without setting merge_failed.
            core.log.dm(SnapshotCore.LOG_PREFIX, KernelMessages.MERGE_INVALID);
            core.update(s -> s.mergeStopped(false));
            return 0;
        }
        Optional<MergeRun> next;
        core.storeLock.lock();
        try {
            next = core.store.prepareMerge();
        } catch (StoreException | RuntimeException e) {
            return fail(KernelMessages.MERGE_PREPARE_FAILED);
        } finally {
            core.storeLock.unlock();
        }
        if (next.isEmpty()) {
            core.update(s -> s.mergeStopped(true));
            return 0;
        }
        MergeRun run = next.get();
        int n = run.count();
        long oldChunk = run.firstOld();
        long newChunk = run.firstNew();
        long ioSize = (long) n * core.chunkSize;
        long dest = oldChunk << core.chunkShift;
        Origin origin = core.origin;
        long originSize = origin.device().sizeInSectors();
        long count = Long.compareUnsigned(dest, originSize) < 0 ? Math.min(ioSize, originSize - dest) : ioSize;

        // origin_write_extent: other snapshots copy these chunks out first, stepping by max_io_len.
        int step = origin.splitBoundary();
        for (long offset = 0; offset < ioSize; offset += step) {
            origin.copyOut(dest + offset);
        }

        core.lock.lock();
        try {
            firstMergingChunk = oldChunk;
            numMergingChunks = n;
            for (int i = 0; i < n; i++) {
                core.awaitUntracked(oldChunk + i);
            }
        } finally {
            core.lock.unlock();
        }

        try {
            Copier.copy(core.cow, newChunk << core.chunkShift, origin.device(), dest, count);
        } catch (Copier.CopyFailure e) {
            return fail(e.read ? KernelMessages.MERGE_READ_FAILED : KernelMessages.MERGE_WRITE_FAILED);
        }
        try {
            origin.device().flush();
        } catch (IOException e) {
            return fail(KernelMessages.MERGE_FLUSH_FAILED);
        }
        core.storeLock.lock();
        try {
            core.store.commitMerge(n);
        } catch (StoreException | RuntimeException e) {
            return fail(KernelMessages.MERGE_COMMIT_FAILED);
        } finally {
            core.storeLock.unlock();
        }
        // remove_single_exception_chunk: newest first, so runs shrink from their ends.
        String corruption = null;
        core.lock.lock();
        try {
            for (long c = oldChunk + n - 1; ; c--) {
                core.complete.remove(c);
                if (c == oldChunk) {
                    break;
                }
            }
            releaseMergingChunks();
        } catch (IllegalStateException e) {
            corruption = e.getMessage();
        } finally {
            core.lock.unlock();
        }
        return corruption == null ? n : fail(corruption);
    }

    /** merge_callback's "shut" path: log, merge_failed, error the queued writes, stop. */
    private int fail(String message) {
        core.log.dm(SnapshotCore.LOG_PREFIX, message);
        core.lock.lock();
        try {
            core.update(SnapshotState::mergeFailedNow);
            releaseMergingChunks();
        } finally {
            core.lock.unlock();
        }
        return 0;
    }

    /** __release_queued_bios_after_merge; called under lock. */
    private void releaseMergingChunks() {
        firstMergingChunk = 0;
        numMergingChunks = 0;
        core.changed.signalAll();
    }

    /** Called under lock. */
    private boolean beingMerged(long chunk) {
        return numMergingChunks > 0
                && Long.compareUnsigned(chunk, firstMergingChunk) >= 0
                && Long.compareUnsigned(chunk - firstMergingChunk, numMergingChunks) < 0;
    }

    /**
     * snapshot_merge_map for a read inside one of this snapshot's chunks, sent to the origin: from the
     * COW where an exception is left, else from the origin.
     */
    void read(long sector, ByteBuffer piece) throws IOException {
        long chunk = sector >>> core.chunkShift;
        long cowSector = -1;
        core.lock.lock();
        try {
            if (core.state().valid()) {
                long newChunk = core.complete.lookup(chunk);
                if (newChunk != ExceptionTable.NONE) {
                    cowSector = core.remap(newChunk, sector);
                }
            }
        } finally {
            core.lock.unlock();
        }
        if (cowSector >= 0) {
            core.deviceIo(core.cow, cowSector, piece, false);
        } else {
            core.deviceIo(core.origin.device(), sector, piece, false);
        }
    }

    /**
     * snapshot_merge_map for a write inside one of this snapshot's chunks, sent to the origin: into
     * the COW where an exception is left (tracked, so that merging it waits), queued when the chunk is
     * being merged right now and then written to the origin, else to the origin through the copy-out
     * path of the other snapshots.
     */
    void write(long sector, ByteBuffer piece) throws IOException {
        long chunk = sector >>> core.chunkShift;
        long cowSector = -1;
        boolean direct = false;
        core.lock.lock();
        try {
            if (core.state().valid()) {
                long newChunk = core.complete.lookup(chunk);
                if (newChunk != ExceptionTable.NONE) {
                    if (beingMerged(chunk)) {
                        while (beingMerged(chunk)) {
                            core.changed.awaitUninterruptibly();
                        }
                        if (core.state().mergeFailed()) {
                            throw core.eio("the merge step for chunk " + Long.toUnsignedString(chunk) + " failed");
                        }
                        direct = true;
                    } else {
                        cowSector = core.remap(newChunk, sector);
                        core.track(chunk, 1);
                    }
                }
            }
        } finally {
            core.lock.unlock();
        }
        if (direct) {
            // The queued bio goes straight to the origin device: its chunk was copied out by the step.
            core.deviceIo(core.origin.device(), sector, piece, true);
        } else if (cowSector >= 0) {
            try {
                core.deviceIo(core.cow, cowSector, piece, true);
            } finally {
                core.untrack(chunk, 1);
            }
        } else {
            core.origin.writeThroughCopyOut(sector, piece);
        }
    }
}
