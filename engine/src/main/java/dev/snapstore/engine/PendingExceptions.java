package dev.snapstore.engine;

import dev.snapstore.spi.ChunkSize;
import dev.snapstore.spi.Errno;
import dev.snapstore.spi.ExceptionStore;
import java.nio.ByteBuffer;
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
 * <p>Group commit: one thread at a time hands finished copies to the store (the kernel's kcopyd
 * thread); a thread whose copy finishes while another commits leaves it queued and goes on, and the
 * committing thread takes it after its own call returns. With a store whose prepare may overlap a
 * commit, writers keep allocating and copying while a commit writes its metadata, so the store's next
 * metadata write covers everything that completed meanwhile. A writer of several chunks allocates and
 * starts all of them before it waits for any ({@link #startCopy} queues without committing,
 * {@link #commitReady} then commits), so their commits share a metadata write, as the kernel's
 * per-chunk bios of one request do.
 *
 * <p>The pending map is guarded by the snapshot's lock, the allocation sequence by its allocation
 * lock, the out-of-order map and the commit sequence by the map's monitor (taken with no other lock
 * held, and holding none), and store commits by the store lock (see {@link SnapshotCore}).
 */
final class PendingExceptions {

    private final SnapshotCore core;

    /** Guarded by the snapshot's lock. */
    private final Map<Long, Pending> pending = new HashMap<>();

    /** exception_start_sequence; guarded by the allocation lock. */
    private long startSequence;

    // Guarded by outOfOrder's monitor: exception_complete_sequence, out_of_order_tree, a committer at work.
    private long completeSequence;
    private final TreeMap<Long, Pending> outOfOrder = new TreeMap<>();
    private boolean committing;

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
     * The origin-write side of __origin_write for this snapshot, for the chunks {@code chunks[0..n)}
     * under one hold of the lock: for each, nothing to do (null) when the snapshot is invalid or
     * inactive or already has the chunk; else the pending exception to wait for, created by and owned
     * by this thread if there was none.
     */
    void claimForOrigin(long[] chunks, int n, Pending[] out) {
        core.lock.lock();
        try {
            SnapshotState state = core.state();
            boolean skip = !state.valid() || !state.phase().isActive() || state.closed();
            for (int i = 0; i < n; i++) {
                long chunk = chunks[i];
                Pending pe = skip ? null : pending.get(chunk);
                if (pe == null && !skip && core.complete.lookup(chunk) == ExceptionTable.NONE) {
                    pe = new Pending(chunk);
                    pending.put(chunk, pe);
                }
                out[i] = pe;
            }
        } finally {
            core.lock.unlock();
        }
    }

    /**
     * Allocates, for an origin write, the pending exceptions {@code pes[0..n)} this thread created. A
     * full store invalidates the snapshot whatever its P/PO setting ({@code invalidate_snapshot(snap,
     * -ENOMEM)} in __origin_write), and the exceptions from the one that found it full on are
     * abandoned. A store that threw is not an invalidation: the caller rethrows its exception once
     * the allocated ones are started.
     *
     * @return how many got a chunk
     */
    int allocateForOrigin(Pending[] pes, int n) {
        int allocated = allocate(pes, n);
        if (allocated < n && pes[allocated].storeFailure == null) {
            core.invalidate(Errno.ENOMEM);
        }
        return allocated;
    }

    /**
     * __insert_pending_exception's prepare_exception and exception_sequence for {@code pes[0..n)} in
     * order, under one hold of the allocation lock. From the first that finds the store full on,
     * nothing is allocated and the rest are abandoned (their waiters start over); a store that throws
     * leaves its exception in that first one's {@link Pending#storeFailure}.
     *
     * @return how many got a chunk
     */
    int allocate(Pending[] pes, int n) {
        int allocated = 0;
        core.allocationLock.lock();
        try {
            for (; allocated < n; allocated++) {
                Pending pe = pes[allocated];
                long newChunk;
                try {
                    newChunk = core.store.prepareException(pe.oldChunk);
                } catch (RuntimeException e) {
                    pe.storeFailure = e; // a broken store must not leave waiters on these chunks behind
                    break;
                }
                if (newChunk == ExceptionStore.NO_SPACE) {
                    break;
                }
                pe.newChunk = newChunk;
                pe.sequence = startSequence++;
            }
        } finally {
            core.allocationLock.unlock();
        }
        if (allocated < n) {
            abandon(pes, allocated, n);
        }
        return allocated;
    }

    /** Forgets pending exceptions {@code pes[from..to)} whose allocation failed; their waiters start over. */
    void abandon(Pending[] pes, int from, int to) {
        core.lock.lock();
        try {
            for (int i = from; i < to; i++) {
                Pending pe = pes[i];
                pending.remove(pe.oldChunk);
                pe.allocationFailed = true;
                pe.done = true;
            }
            core.changed.signalAll();
        } finally {
            core.lock.unlock();
        }
    }

    /**
     * start_copy: the origin chunk, cut short at the end of the origin, to the new COW chunk; then
     * queued for the commit, which {@link #commitReady} starts.
     *
     * @param scratch a buffer to copy through, reused by the caller
     */
    void startCopy(Pending pe, ByteBuffer scratch) {
        long from = pe.oldChunk << core.chunkShift;
        long originSize = core.origin.device().sizeInSectors();
        // min(chunk_size, dev_size - src.sector); past the end the kernel's unsigned sum wraps and the
        // copy fails, which is what a full-length copy does here.
        long count = Long.compareUnsigned(from, originSize) < 0
                ? Math.min(core.chunkSize, originSize - from)
                : core.chunkSize;
        try {
            Copier.copy(core.origin.device(), from, core.cow, pe.newChunk << core.chunkShift, count, scratch);
        } catch (Copier.CopyFailure e) {
            pe.copyError = true;
        } catch (RuntimeException e) {
            pe.copyError = true;
            copied(pe);
            throw e;
        }
        copied(pe);
    }

    /**
     * {@link #startCopy} for {@code pes[0..n)} through one buffer, then {@link #commitReady}; every
     * one is queued even if one throws, which is rethrown after.
     */
    void startAll(Pending[] pes, int n) {
        if (n == 0) {
            return;
        }
        ByteBuffer scratch = scratch();
        RuntimeException failure = null;
        for (int i = 0; i < n; i++) {
            try {
                startCopy(pes[i], scratch);
            } catch (RuntimeException e) {
                if (failure == null) {
                    failure = e;
                }
            }
        }
        commitReady();
        if (failure != null) {
            throw failure;
        }
    }

    /** A scratch buffer for {@link #startCopy}: one chunk, at most what {@link Copier} copies at once. */
    ByteBuffer scratch() {
        return Copier.buffer((long) core.chunkSize << ChunkSize.SECTOR_SHIFT);
    }

    /** copy_callback's queueing: the copy (or full write) of an allocated exception has finished. */
    void copied(Pending pe) {
        synchronized (outOfOrder) {
            outOfOrder.put(pe.sequence, pe);
        }
    }

    /**
     * copy_callback's commit: hands queued copies to commit_exception strictly in allocation order,
     * unless another thread is doing so already, which then takes them too. The store writes its
     * metadata when nothing it prepared is left uncommitted, or an area is full.
     */
    void commitReady() {
        synchronized (outOfOrder) {
            if (committing) {
                return;
            }
            committing = true;
        }
        boolean idle = false;
        try {
            while (true) {
                Pending next;
                synchronized (outOfOrder) {
                    next = outOfOrder.remove(completeSequence);
                    if (next == null) {
                        committing = false;
                        idle = true;
                        return;
                    }
                    completeSequence++;
                }
                core.storeLock.lock();
                try {
                    core.store.commitException(
                            next.oldChunk, next.newChunk, !next.copyError, success -> pendingComplete(next, success));
                } finally {
                    core.storeLock.unlock();
                }
            }
        } finally {
            if (!idle) {
                synchronized (outOfOrder) {
                    committing = false;
                }
            }
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

    /** Waits until the pending exceptions {@code pes[from..to)} (nulls skipped) are done. */
    void awaitAll(Pending[] pes, int from, int to) {
        core.lock.lock();
        try {
            for (int i = from; i < to; i++) {
                Pending pe = pes[i];
                while (pe != null && !pe.done) {
                    core.changed.awaitUninterruptibly();
                }
            }
        } finally {
            core.lock.unlock();
        }
    }
}
