package dev.snapstore.engine;

import dev.snapstore.dm.KernelMessages;
import dev.snapstore.spi.ChunkSize;
import dev.snapstore.spi.Errno;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * A snapshot's own reads and writes ({@code snapshot_map}): chunks with an exception go to the COW,
 * the others to the origin (reads, tracked until they end so that a copy-out cannot change the
 * origin underneath) or to a new exception (writes, through {@link PendingExceptions}). The caller
 * ({@link Snapshot}) has checked the range and holds the origin's I/O lock.
 */
final class SnapshotIo {

    /**
     * The most one joined read asks of a device: enough to amortise a system call, little enough to
     * keep tracking short.
     */
    private static final int MAX_READ_RUN_BYTES = 1 << 20;

    /**
     * The most one write has pending at once; a larger request goes in windows. At 4 KiB chunks a
     * window is 1024 exceptions, four metadata areas.
     */
    private static final int WRITE_WINDOW_BYTES = 4 << 20;

    private final SnapshotCore core;
    private final PendingExceptions pending;

    SnapshotIo(SnapshotCore core, PendingExceptions pending) {
        this.core = core;
        this.pending = pending;
    }

    void read(long sector, ByteBuffer dst) throws IOException {
        while (dst.hasRemaining()) {
            int n = readRun(sector, dst.slice(dst.position(), dst.remaining()));
            dst.position(dst.position() + n);
            sector += n >>> ChunkSize.SECTOR_SHIFT;
        }
    }

    /**
     * snapshot_map for a write, in windows of whole chunks: see {@link #writeWindow}. A window that
     * met a pending exception whose owner could not allocate it ends there, and the write goes on
     * from that chunk with a fresh lookup, as the kernel retries such a bio.
     */
    void write(long sector, ByteBuffer src) throws IOException {
        int end = src.limit();
        int chunkBytes = core.chunkSize << ChunkSize.SECTOR_SHIFT;
        int window = Math.max(chunkBytes, WRITE_WINDOW_BYTES / chunkBytes * chunkBytes);
        while (src.position() < end) {
            int n = writeWindow(sector, src.slice(src.position(), Math.min(window, end - src.position())));
            src.position(src.position() + n);
            sector += n >>> ChunkSize.SECTOR_SHIFT;
        }
    }

    /**
     * snapshot_map for reads, over as many whole chunks in a row as map to one place: the origin
     * (tracked until the read ends, as {@code track_chunk} tracks each bio: the run as one entry), or
     * consecutive COW chunks. The kernel's bios are one chunk at most; joining them here makes a large
     * read one device read instead of one per chunk, with the same bytes and the same tracking.
     *
     * @return how many bytes of {@code rest} were read
     */
    private int readRun(long sector, ByteBuffer rest) throws IOException {
        int chunkSize = core.chunkSize;
        long firstChunk = sector >>> core.chunkShift;
        int chunkBytes = chunkSize << ChunkSize.SECTOR_SHIFT;
        int bytes = (int) Math.min((chunkSize - (sector & core.chunkMask)) << ChunkSize.SECTOR_SHIFT, rest.remaining());
        int chunks = 1;
        long cowSector = -1;
        ExceptionTable complete = core.complete;
        core.lock.lock();
        try {
            checkUsable(false);
            long newChunk = complete.lookup(firstChunk);
            if (newChunk != ExceptionTable.NONE) {
                cowSector = core.remap(newChunk, sector);
                while (bytes < rest.remaining()
                        && bytes < MAX_READ_RUN_BYTES
                        && complete.lookup(firstChunk + chunks) == newChunk + chunks) {
                    bytes += Math.min(chunkBytes, rest.remaining() - bytes);
                    chunks++;
                }
            } else {
                while (bytes < rest.remaining()
                        && bytes < MAX_READ_RUN_BYTES
                        && complete.lookup(firstChunk + chunks) == ExceptionTable.NONE) {
                    bytes += Math.min(chunkBytes, rest.remaining() - bytes);
                    chunks++;
                }
                core.track(firstChunk, chunks); // one entry for the run, under the lock of the lookups
            }
        } finally {
            core.lock.unlock();
        }
        ByteBuffer run = rest.slice(0, bytes);
        if (cowSector >= 0) {
            core.deviceIo(core.cow, cowSector, run, false);
            return bytes;
        }
        try {
            core.deviceIo(core.origin.device(), sector, run, false);
        } finally {
            core.untrack(firstChunk, chunks);
        }
        return bytes;
    }

    /** The checks at the top of snapshot_map; called under lock. */
    private void checkUsable(boolean write) throws SnapshotIOException {
        SnapshotState state = core.state();
        if (state.phase().isMerging()) {
            // After the handover to snapshot-merge the old snapshot device is invalid.
            throw core.eio("the snapshot was handed over to a merge");
        }
        if (!state.valid()) {
            throw core.eio("the snapshot is invalid");
        }
        if (write && state.overflowed()) {
            throw core.eio("the snapshot overflowed");
        }
    }

    /**
     * snapshot_map for the chunk pieces of one window, all pending at once as the kernel's per-chunk
     * bios of one request are: one lookup per chunk under one hold of the lock; this thread's new
     * exceptions allocated in chunk order under one hold of the allocation lock; chunks that already
     * have an exception written at once, a run of consecutive COW chunks in one write; whole-chunk
     * pieces of new exceptions written as their copy ({@code start_full_bio}), the others copied from
     * the origin ({@code start_copy}); then all queued for one commit, waited for together, and the
     * remaining pieces written to the COW (a run in one write).
     *
     * <p>As in the kernel, each chunk stands alone: when the store is full at one chunk (PO
     * overflows, P and N invalidate) or a piece fails, the pieces before it are written (or, for a P
     * snapshot just invalidated, fail with it) and the request reports the error; pieces after it
     * are not written, except whole-chunk pieces whose exception was already allocated, since that
     * write is the exception's copy.
     *
     * @return how many bytes were done; fewer than the window only to retry from a chunk whose
     *     pending exception was abandoned by another thread
     */
    private int writeWindow(long sector, ByteBuffer window) throws IOException {
        int chunkBytes = core.chunkSize << ChunkSize.SECTOR_SHIFT;
        int total = window.remaining();
        long firstChunk = sector >>> core.chunkShift;
        int head = (int) Math.min((core.chunkSize - (sector & core.chunkMask)) << ChunkSize.SECTOR_SHIFT, total);
        int count = 1 + (total - head + chunkBytes - 1) / chunkBytes;
        long[] cowChunk = new long[count];
        Pending[] pes = new Pending[count];
        Pending[] owned = new Pending[count];
        int ownedCount = 0;
        core.lock.lock();
        try {
            checkUsable(true);
            ExceptionTable complete = core.complete;
            for (int i = 0; i < count; i++) {
                cowChunk[i] = complete.lookup(firstChunk + i);
                if (cowChunk[i] == ExceptionTable.NONE) {
                    pes[i] = pending.getOrCreate(firstChunk + i);
                    if (pes[i].owner == Thread.currentThread()) {
                        owned[ownedCount++] = pes[i];
                    }
                }
            }
        } finally {
            core.lock.unlock();
        }
        int allocated = ownedCount == 0 ? 0 : pending.allocate(owned, ownedCount);
        // Chunks from the first that got no exception on are dropped, as the kernel kills their bios.
        int stop = allocated == ownedCount ? count : (int) (owned[allocated].oldChunk - firstChunk);
        RuntimeException storeFailure = allocated == ownedCount ? null : owned[allocated].storeFailure;
        if (stop < count && storeFailure == null) {
            // __find_pending_exception failed: PO overflows, P and N invalidate; the bio is killed.
            if (core.store.supportsOverflow()) {
                overflow();
            } else {
                core.invalidate(Errno.ENOMEM);
            }
        }
        IOException error = startWindow(sector, window, head, count, stop, cowChunk, pes);
        pending.awaitAll(pes, 0, stop);
        // The bios queued on pending exceptions go to the COW after the commit, in order.
        int i = 0;
        while (i < stop && error == null) {
            Pending pe = pes[i];
            if (pe == null || writtenAsCopy(pe, i, head, total)) {
                if (pe != null && !pe.success) {
                    throw notStored(pe.oldChunk);
                }
                i++;
                continue;
            }
            if (!pe.success) {
                if (pe.allocationFailed && pe.owner != Thread.currentThread()) {
                    // The owner overflowed or invalidated the snapshot: the checks now fail.
                    return offset(i, head);
                }
                throw notStored(pe.oldChunk);
            }
            int j = i + 1;
            while (j < stop
                    && pes[j] != null
                    && pes[j].success
                    && !writtenAsCopy(pes[j], j, head, total)
                    && pes[j].newChunk == pe.newChunk + (j - i)) {
                j++;
            }
            error = writeCow(sector, window, head, i, j, pe.newChunk);
            i = j;
        }
        if (error != null) {
            throw error;
        }
        if (storeFailure != null) {
            throw storeFailure;
        }
        if (stop < count) {
            throw core.eio("Unable to allocate exception");
        }
        return total;
    }

    /**
     * The writes and copies before the wait, for the chunks before {@code stop}: existing exceptions'
     * runs written, this thread's new exceptions written whole or copied, then queued for the commit.
     * Every allocated exception is started even when a write fails, lest later commits wait for it.
     *
     * @return the first write error on an existing exception's chunk, or null
     */
    private IOException startWindow(
            long sector, ByteBuffer window, int head, int count, int stop, long[] cowChunk, Pending[] pes) {
        int chunkBytes = core.chunkSize << ChunkSize.SECTOR_SHIFT;
        int total = window.remaining();
        IOException error = null;
        ByteBuffer scratch = null;
        RuntimeException failure = null;
        int i = 0;
        while (i < stop) {
            Pending pe = pes[i];
            int j = i + 1;
            if (pe == null) {
                while (j < stop && pes[j] == null && cowChunk[j] == cowChunk[i] + (j - i)) {
                    j++;
                }
                if (error == null) {
                    error = writeCow(sector, window, head, i, j, cowChunk[i]);
                }
            } else if (pe.owner != Thread.currentThread()) {
                // Another thread's exception: this piece waits for it.
            } else if (piece(i, head, total) == chunkBytes) {
                // start_full_bio: the write itself is the copy; its completion completes the exception.
                while (j < stop
                        && pes[j] != null
                        && pes[j].owner == Thread.currentThread()
                        && piece(j, head, total) == chunkBytes
                        && pes[j].newChunk == pe.newChunk + (j - i)) {
                    j++;
                }
                boolean failed = false;
                try {
                    core.cow.write(
                            core.remap(pe.newChunk, sector + (offset(i, head) >>> ChunkSize.SECTOR_SHIFT)),
                            window.slice(offset(i, head), offset(j, head) - offset(i, head)));
                } catch (IOException e) {
                    failed = true;
                }
                for (int k = i; k < j; k++) {
                    pes[k].copyError = failed;
                    pending.copied(pes[k]);
                }
            } else {
                if (scratch == null) {
                    scratch = pending.scratch();
                }
                try {
                    pending.startCopy(pe, scratch);
                } catch (RuntimeException e) {
                    failure = failure == null ? e : failure;
                }
            }
            i = j;
        }
        pending.commitReady();
        if (failure != null) {
            throw failure;
        }
        return error;
    }

    /** Writes pieces {@code [from, to)} of the window to consecutive COW chunks from {@code newChunk}. */
    private IOException writeCow(long sector, ByteBuffer window, int head, int from, int to, long newChunk) {
        int start = offset(from, head);
        long at = sector + (start >>> ChunkSize.SECTOR_SHIFT);
        try {
            core.deviceIo(
                    core.cow, core.remap(newChunk, at), window.slice(start, offset(to, head, window) - start), true);
            return null;
        } catch (IOException e) {
            return e;
        }
    }

    /** Where piece {@code i} starts in a window whose first piece is {@code head} bytes. */
    private int offset(int i, int head) {
        return i == 0 ? 0 : head + (i - 1) * (core.chunkSize << ChunkSize.SECTOR_SHIFT);
    }

    /** {@link #offset(int, int)}, capped at the window's end (for the end of the last piece). */
    private int offset(int i, int head, ByteBuffer window) {
        return Math.min(offset(i, head), window.remaining());
    }

    /** Whether piece {@code i} was written whole before the commit, as its exception's copy. */
    private boolean writtenAsCopy(Pending pe, int i, int head, int total) {
        return pe.owner == Thread.currentThread() && piece(i, head, total) == core.chunkSize << ChunkSize.SECTOR_SHIFT;
    }

    /** The length of piece {@code i}. */
    private int piece(int i, int head, int total) {
        return Math.min(offset(i + 1, head), total) - offset(i, head);
    }

    private SnapshotIOException notStored(long chunk) {
        return core.eio("the exception for chunk " + Long.toUnsignedString(chunk) + " could not be stored");
    }

    /** A PO snapshot's store is full on a snapshot write: overflowed, once, with the kernel's line. */
    private void overflow() {
        core.lock.lock();
        try {
            SnapshotState state = core.state();
            if (state.valid() && !state.overflowed()) {
                core.update(SnapshotState::overflowedNow);
                core.log.dm(SnapshotCore.LOG_PREFIX, KernelMessages.OVERFLOWED);
            }
        } finally {
            core.lock.unlock();
        }
    }
}
