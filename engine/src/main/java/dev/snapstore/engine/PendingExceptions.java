package dev.snapstore.engine;

import dev.snapstore.spi.Errno;
import dev.snapstore.spi.ExceptionStore;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * A snapshot's pending exceptions ({@code struct dm_snap_pending_exception}) from allocation to
 * commit: the chunk's copy is allocated in the store ({@code prepare_exception}) with its
 * {@code exception_sequence}, copied from the origin ({@code start_copy}) or written whole by the
 * snapshot write itself ({@code start_full_bio}), and handed to the store's
 * {@code commit_exception} strictly in allocation order; copies that finish early wait in a sorted
 * map (the kernel's {@code out_of_order_tree}). Once the store reports the exception durable,
 * {@code pending_complete} moves it to the complete table and wakes its waiters.
 *
 * <p>The pending map is guarded by the snapshot's lock, the sequence numbers and the out-of-order
 * map by its store lock (see {@link SnapshotCore}).
 */
final class PendingExceptions {

    private final SnapshotCore core;

    /** Guarded by the snapshot's lock. */
    private final Map<Long, Pending> pending = new HashMap<>();

    // Guarded by the store lock: exception_start_sequence, exception_complete_sequence, out_of_order_tree.
    private long startSequence;
    private long completeSequence;
    private final TreeMap<Long, Pending> outOfOrder = new TreeMap<>();

    PendingExceptions(SnapshotCore core) {
        this.core = core;
    }

    /**
     * The chunk's pending exception, created (and so owned) by this thread if there is none. Called
     * under the snapshot's lock, after the complete table was found to lack the chunk.
     */
    Pending getOrCreate(long chunk) {
        Pending pe = pending.get(chunk);
        if (pe == null) {
            pe = new Pending(chunk);
            pending.put(chunk, pe);
        }
        return pe;
    }

    /**
     * The origin-write side of __origin_write for this snapshot: nothing to do (null) when the
     * snapshot is invalid or inactive or already has the chunk; else the pending exception to wait for,
     * created by and owned by this thread if there was none.
     */
    Pending claimForOrigin(long chunk) {
        core.lock.lock();
        try {
            SnapshotState state = core.state();
            if (!state.valid() || !state.phase().isActive() || state.closed()) {
                return null;
            }
            Pending pe = pending.get(chunk);
            if (pe != null) {
                return pe;
            }
            if (core.complete.lookup(chunk) != ExceptionTable.NONE) {
                return null;
            }
            pe = new Pending(chunk);
            pending.put(chunk, pe);
            return pe;
        } finally {
            core.lock.unlock();
        }
    }

    /**
     * Allocates a pending exception this thread created for an origin write; the copy and commit
     * follow in {@link #startCopy}. A full store invalidates the snapshot whatever its P/PO setting
     * ({@code invalidate_snapshot(snap, -ENOMEM)} in __origin_write).
     *
     * @return whether the exception got a chunk; if not, it is abandoned and the snapshot invalid
     */
    boolean allocateForOrigin(Pending pe) {
        if (!allocate(pe)) {
            core.invalidate(Errno.ENOMEM);
            abandon(pe);
            return false;
        }
        return true;
    }

    /**
     * __insert_pending_exception's prepare_exception and exception_sequence, under the store lock.
     *
     * @return {@code false} when the store is full
     */
    boolean allocate(Pending pe) {
        core.storeLock.lock();
        try {
            long newChunk;
            try {
                newChunk = core.store.prepareException(pe.oldChunk);
            } catch (RuntimeException e) {
                abandon(pe); // a broken store must not leave waiters on this chunk behind
                throw e;
            }
            if (newChunk == ExceptionStore.NO_SPACE) {
                return false;
            }
            pe.newChunk = newChunk;
            pe.sequence = startSequence++;
            return true;
        } finally {
            core.storeLock.unlock();
        }
    }

    /** Forgets a pending exception whose allocation failed; its waiters start over. */
    void abandon(Pending pe) {
        core.lock.lock();
        try {
            pending.remove(pe.oldChunk);
            pe.allocationFailed = true;
            pe.done = true;
            core.changed.signalAll();
        } finally {
            core.lock.unlock();
        }
    }

    /** start_copy: the origin chunk, cut short at the end of the origin, to the new COW chunk. */
    void startCopy(Pending pe) {
        long from = pe.oldChunk << core.chunkShift;
        long originSize = core.origin.device().sizeInSectors();
        // min(chunk_size, dev_size - src.sector); past the end the kernel's unsigned sum wraps and the
        // copy fails, which is what a full-length copy does here.
        long count = Long.compareUnsigned(from, originSize) < 0
                ? Math.min(core.chunkSize, originSize - from)
                : core.chunkSize;
        try {
            Copier.copy(core.origin.device(), from, core.cow, pe.newChunk << core.chunkShift, count);
        } catch (Copier.CopyFailure e) {
            pe.copyError = true;
        } catch (RuntimeException e) {
            pe.copyError = true;
            completeCopy(pe);
            throw e;
        }
        completeCopy(pe);
    }

    /**
     * copy_callback: hands finished copies to commit_exception strictly in allocation order; copies
     * that finish early wait in a sorted map (the kernel's out_of_order_tree).
     */
    void completeCopy(Pending pe) {
        core.storeLock.lock();
        try {
            outOfOrder.put(pe.sequence, pe);
            Pending next;
            while ((next = outOfOrder.remove(completeSequence)) != null) {
                completeSequence++;
                Pending committed = next;
                core.store.commitException(
                        committed.oldChunk,
                        committed.newChunk,
                        !committed.copyError,
                        success -> pendingComplete(committed, success));
            }
        } finally {
            core.storeLock.unlock();
        }
    }

    /**
     * pending_complete, called by the store (under the store lock) once the exception is durable or
     * failed: add it to the complete table, wait for reads of the origin chunk to drain, drop the
     * pending exception and wake whoever waits for it.
     */
    private void pendingComplete(Pending pe, boolean success) {
        boolean error = !success;
        if (error) {
            core.invalidate(Errno.EIO);
        }
        core.lock.lock();
        try {
            if (!error && !core.state().valid()) {
                error = true;
            }
            if (!error) {
                core.complete.insert(pe.oldChunk, pe.newChunk);
                // New snapshot reads of the chunk now go to the COW; older ones still read the origin.
                core.awaitUntracked(pe.oldChunk);
            }
            pending.remove(pe.oldChunk);
            pe.success = !error;
            pe.done = true;
            core.changed.signalAll();
        } finally {
            core.lock.unlock();
        }
    }

    /** Waits until a pending exception is done; returns whether it succeeded. */
    boolean awaitDone(Pending pe) {
        core.lock.lock();
        try {
            while (!pe.done) {
                core.changed.awaitUninterruptibly();
            }
            return pe.success;
        } finally {
            core.lock.unlock();
        }
    }
}
