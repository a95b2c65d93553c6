package dev.snapstore.engine;

import dev.snapstore.dm.KernelMessages;
import dev.snapstore.spi.BlockDevice;
import dev.snapstore.spi.Errno;
import dev.snapstore.spi.ExceptionStore;
import dev.snapstore.spi.ExceptionStoreType;
import dev.snapstore.spi.KernelLog;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.UnaryOperator;

/**
 * What the parts of one {@link Snapshot} share: its devices, store and chunk geometry, the two
 * locks, the table of completed exceptions, the chunks with snapshot I/O in flight, and its state.
 * The parts are {@link PendingExceptions} (copy-on-write with the in-order commit),
 * {@link SnapshotIo} ({@code snapshot_map}) and {@link SnapshotMerge} ({@code snapshot-merge});
 * {@link Snapshot} is the facade over them.
 *
 * <p>Locking: {@link #lock} is the kernel's {@code s->lock}, the exception table locks,
 * {@code pe_lock} and {@code tracked_chunk_lock} in one, and is never held during device I/O;
 * {@link #changed} is signalled whenever a pending exception completes, a tracked I/O ends or a
 * merge step ends. {@link #storeLock} serialises the store's commits, invalidation, merge steps and
 * closing; {@link #allocationLock} ({@code pe_allocation_lock}) its allocations and usage. They are one
 * lock unless the store {@linkplain ExceptionStore#preparesDuringCommit() lets prepare overlap a
 * commit}: then writers allocate and copy while a commit writes its metadata, and the next commit
 * covers them all, as in the kernel. Order: {@link #storeLock}, then {@link #allocationLock}, then
 * {@link #lock}; none is taken after a later one.
 */
final class SnapshotCore {

    /** The kernel's {@code DM_MSG_PREFIX} in dm-snap.c. */
    static final String LOG_PREFIX = KernelMessages.LOG_PREFIX;

    final Origin origin;
    final BlockDevice cow;
    final ExceptionStore store;
    final ExceptionStoreType type;
    final long length;
    final int chunkSize;
    final int chunkShift;
    final long chunkMask;
    final KernelLog log;

    final ReentrantLock lock = new ReentrantLock();
    final Condition changed = lock.newCondition();
    final ReentrantLock storeLock = new ReentrantLock();
    /** {@link #storeLock} itself, or a lock of its own when the store lets prepare overlap a commit. */
    final ReentrantLock allocationLock;

    /** The completed exceptions; guarded by {@link #lock}. */
    final ExceptionTable complete;
    /**
     * Runs of origin chunks with snapshot I/O in flight (track_chunk), one entry per I/O, as many as
     * I/Os are in flight (a handful): {@code trackedFirst[i]} and the {@code trackedCount[i]} chunks from
     * it; guarded by {@link #lock}. The kernel tracks per bio, and its bios are one chunk at most; a
     * joined read of many chunks is one entry here, not one per chunk.
     */
    private long[] trackedFirst = new long[16];

    private int[] trackedCount = new int[16];
    private int trackedRuns;
    /** Changed under {@link #lock} or the origin's control lock; read anywhere. */
    private final AtomicReference<SnapshotState> state;

    SnapshotCore(
            Origin origin,
            BlockDevice cow,
            ExceptionStore store,
            ExceptionStoreType type,
            ExceptionTable table,
            long length,
            boolean valid,
            KernelLog log) {
        this.origin = origin;
        this.cow = cow;
        this.store = store;
        this.type = type;
        this.complete = table;
        this.length = length;
        this.chunkSize = store.chunkSize();
        this.chunkShift = Integer.numberOfTrailingZeros(chunkSize);
        this.chunkMask = chunkSize - 1L;
        this.log = log;
        this.allocationLock = store.preparesDuringCommit() ? new ReentrantLock() : storeLock;
        this.state = new AtomicReference<>(SnapshotState.constructed(valid));
    }

    SnapshotState state() {
        return state.get();
    }

    SnapshotState update(UnaryOperator<SnapshotState> change) {
        return state.updateAndGet(change);
    }

    String name() {
        return "snapshot of " + origin.name() + " on " + cow.name();
    }

    long remap(long newChunk, long sector) {
        return (newChunk << chunkShift) | (sector & chunkMask);
    }

    SnapshotIOException eio(String why) {
        return new SnapshotIOException(name() + ": " + why);
    }

    void deviceIo(BlockDevice device, long sector, ByteBuffer piece, boolean write) throws IOException {
        ByteBuffer view = piece.duplicate();
        try {
            if (write) {
                device.write(sector, view);
            } else {
                device.read(sector, view);
            }
        } catch (SnapshotIOException e) {
            throw e;
        } catch (IOException e) {
            throw new SnapshotIOException(
                    name() + ": " + (write ? "write" : "read") + " error on " + device.name() + " at sector "
                            + Long.toUnsignedString(sector),
                    e);
        }
    }

    // --- tracked chunks (track_chunk, stop_tracking_chunk, __check_for_conflicting_io) ---------

    /** Tracks {@code chunks} chunks from {@code firstChunk} until {@link #untrack}; called under lock. */
    void track(long firstChunk, int chunks) {
        if (trackedRuns == trackedFirst.length) {
            trackedFirst = Arrays.copyOf(trackedFirst, trackedRuns * 2);
            trackedCount = Arrays.copyOf(trackedCount, trackedRuns * 2);
        }
        trackedFirst[trackedRuns] = firstChunk;
        trackedCount[trackedRuns] = chunks;
        trackedRuns++;
    }

    /** Ends one {@link #track} of the same run; wakes those waiting for its chunks. */
    void untrack(long firstChunk, int chunks) {
        lock.lock();
        try {
            for (int i = trackedRuns - 1; i >= 0; i--) {
                if (trackedFirst[i] == firstChunk && trackedCount[i] == chunks) {
                    trackedRuns--;
                    trackedFirst[i] = trackedFirst[trackedRuns];
                    trackedCount[i] = trackedCount[trackedRuns];
                    changed.signalAll();
                    return;
                }
            }
            throw new IllegalStateException(
                    "chunks " + Long.toUnsignedString(firstChunk) + "+" + chunks + " were not tracked");
        } finally {
            lock.unlock();
        }
    }

    /** Waits, under lock, until no tracked I/O of the chunk is in flight. */
    void awaitUntracked(long chunk) {
        while (isTracked(chunk)) {
            changed.awaitUninterruptibly();
        }
    }

    private boolean isTracked(long chunk) {
        for (int i = 0; i < trackedRuns; i++) {
            if (chunk - trackedFirst[i] >= 0 && chunk - trackedFirst[i] < trackedCount[i]) {
                return true;
            }
        }
        return false;
    }

    /**
     * __invalidate_snapshot: once only, log why, drop the snapshot in the store, mark it invalid.
     */
    void invalidate(Errno err) {
        storeLock.lock();
        try {
            lock.lock();
            try {
                if (!state().valid()) {
                    return;
                }
                update(SnapshotState::invalidated);
                changed.signalAll();
            } finally {
                lock.unlock();
            }
            if (err == Errno.EIO) {
                log.dm(LOG_PREFIX, KernelMessages.INVALIDATED_IO);
            } else if (err == Errno.ENOMEM) {
                log.dm(LOG_PREFIX, KernelMessages.INVALIDATED_NO_SPACE);
            }
            store.dropSnapshot();
        } finally {
            storeLock.unlock();
        }
    }
}
