package dev.snapstore.engine;

import dev.snapstore.dm.SnapshotConstructor;
import dev.snapstore.dm.SnapshotStatus;
import dev.snapstore.dm.StatusLine;
import dev.snapstore.dm.TableException;
import dev.snapstore.dm.TargetKind;
import dev.snapstore.spi.BlockDevice;
import dev.snapstore.spi.KernelLog;
import dev.snapstore.spi.StoreTypes;
import dev.snapstore.spi.Usage;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.function.LongConsumer;

/**
 * One snapshot of an {@link Origin}: the kernel's {@code snapshot} target of drivers/md/dm-snap.c
 * over one exception store, and, after {@link #startMerge()}, its {@code snapshot-merge} target.
 *
 * <p><b>Life cycle.</b> {@link Origin#createSnapshot} runs {@code snapshot_ctr}: the store is built
 * from the type word, its metadata is read into the exception table, and the snapshot is registered
 * with the origin, sorted by chunk size, largest first. It is <em>inactive</em> until
 * {@link #activate()} ({@code snapshot_resume}): before that, origin writes copy nothing to it and
 * its own I/O is refused. {@link #close()} removes it ({@code snapshot_dtr}); it does not close the
 * COW device, which belongs to the caller.
 *
 * <p><b>I/O.</b> A snapshot is a {@link BlockDevice} of {@link #sizeInSectors()} sectors. Requests
 * are split at chunk boundaries, as dm does with {@code max_io_len = chunk_size}. Reads of chunks
 * with an exception come from the COW, the others from the origin ({@code snapshot_map}); a write to a
 * chunk without an exception first copies the chunk from the origin to a newly allocated COW chunk,
 * unless it covers the whole chunk. Failures the kernel ends with EIO throw
 * {@link SnapshotIOException}.
 *
 * <p><b>Threading.</b> All methods are safe to call from many threads at once. The snapshot's
 * in-memory state (exception table, pending exceptions, chunks being read from the origin) is
 * guarded by one lock that is never held during device I/O; calls to the store are serialised by a
 * second lock (the kernel's {@code pe_allocation_lock} and the store's own locking); exceptions are
 * committed in allocation order ({@code exception_sequence}). Control operations (activate, merge
 * start, close) wait for the origin's I/O in flight to finish, as a dm suspend does.
 *
 * <p><b>Structure.</b> This class is the facade; the work is done by its parts, which share a
 * {@link SnapshotCore} (devices, locks, exception table, state as one {@link SnapshotState} value):
 * {@link SnapshotIo} ({@code snapshot_map}), {@link PendingExceptions} (copy-on-write with the
 * in-order commit) and {@link SnapshotMerge} ({@code snapshot-merge}).
 *
 * @since 0.1
 */
public final class Snapshot implements BlockDevice {

    private final SnapshotCore core;
    private final PendingExceptions pending;
    private final SnapshotIo io;
    private final SnapshotMerge merge;

    private Snapshot(SnapshotCore core) {
        this.core = core;
        this.pending = new PendingExceptions(core);
        this.io = new SnapshotIo(core, pending);
        this.merge = new SnapshotMerge(core);
    }

    /**
     * snapshot_ctr from the exception store on, by dm's rules: create the store, read its metadata
     * into a new exception table, check the chunk size. Called by Origin under its control lock.
     */
    static Snapshot construct(
            Origin origin,
            StoreTypes types,
            String typeWord,
            String chunkSizeArg,
            BlockDevice cow,
            long length,
            KernelLog log)
            throws SnapshotTargetException {
        try {
            SnapshotConstructor.Created created = SnapshotConstructor.createStore(
                    TargetKind.SNAPSHOT, types, typeWord, chunkSizeArg, cow, origin.logicalBlockSize(), log);
            ExceptionTable table = new ExceptionTable();
            boolean valid = SnapshotConstructor.readMetadata(TargetKind.SNAPSHOT, created.store(), table.loader(), log);
            table.compact();
            return new Snapshot(
                    new SnapshotCore(origin, cow, created.store(), created.type(), table, length, valid, log));
        } catch (TableException e) {
            throw SnapshotTargetException.of(e);
        }
    }

    // --- state and status ------------------------------------------------------------------

    /**
     * The origin this snapshot belongs to.
     *
     * @return the origin
     */
    public Origin origin() {
        return core.origin;
    }

    /**
     * The COW device the store keeps its exceptions on.
     *
     * @return the COW device
     */
    public BlockDevice cow() {
        return core.cow;
    }

    /**
     * The effective chunk size in sectors, as the store settled it while reading its metadata (a
     * persistent header's chunk size wins over the table's).
     *
     * @return the chunk size, a power of two
     */
    public int chunkSize() {
        return core.chunkSize;
    }

    /**
     * The store's normalised type word.
     *
     * @return {@code "P"}, {@code "PO"}, {@code "N"} or a third-party word
     */
    public String typeWord() {
        return core.store.typeWord();
    }

    /**
     * Whether the snapshot is usable ({@code s->valid}); an invalid snapshot fails all its I/O.
     *
     * @return {@code false} once invalidated, or when loaded from an invalidated COW
     */
    public boolean isValid() {
        return core.state().valid();
    }

    /**
     * Whether {@link #activate()} was called ({@code s->active}).
     *
     * @return {@code true} once active
     */
    public boolean isActive() {
        return core.state().phase().isActive();
    }

    /**
     * Whether a snapshot write found a {@code PO} store full ({@code snapshot_overflowed}); writes fail
     * from then on, reads still work.
     *
     * @return {@code true} once overflowed
     */
    public boolean isOverflowed() {
        return core.state().overflowed();
    }

    /**
     * Whether a merge step failed ({@code merge_failed}).
     *
     * @return {@code true} once a merge failed
     */
    public boolean isMergeFailed() {
        return core.state().mergeFailed();
    }

    /**
     * Whether {@link #startMerge()} turned this snapshot into the origin's merging snapshot.
     *
     * @return {@code true} while merging, and after the merge finished until {@link #close()}
     */
    public boolean isMerging() {
        return core.state().phase().isMerging();
    }

    /**
     * Whether the merge has nothing left to do: {@code prepare_merge} reported an empty store. The
     * status then shows allocated equal to metadata.
     *
     * @return {@code true} when merged completely
     */
    public boolean isMergeFinished() {
        return core.state().phase() == SnapshotState.Phase.MERGE_FINISHED;
    }

    /**
     * How many completed exceptions the in-memory table holds.
     *
     * @return the number of chunks with an exception
     */
    public long exceptionCount() {
        core.lock.lock();
        try {
            return core.complete.size();
        } finally {
            core.lock.unlock();
        }
    }

    /**
     * The store's usage numbers, read anew ({@code usage}).
     *
     * @return allocated, total and metadata sectors
     */
    public Usage usage() {
        core.allocationLock.lock();
        try {
            return core.store.usage();
        } finally {
            core.allocationLock.unlock();
        }
    }

    /**
     * The INFO status of {@code snapshot_status}, with the kernel's priority: {@code Invalid} &gt;
     * {@code Merge failed} &gt; {@code Overflow} &gt; the store's usage ({@link SnapshotStatus#of(boolean,
     * boolean, boolean, Usage)}). {@link SnapshotStatus#format()} gives the text {@code dmsetup status}
     * prints after the target name, e.g. {@code "24/64 16"}.
     *
     * @return the status value
     */
    public SnapshotStatus status() {
        core.allocationLock.lock();
        try {
            SnapshotState state = core.state();
            // The usage is read only when it is what the status shows, as snapshot_status does.
            return state.status(state.showsUsage() ? core.store.usage() : null);
        } finally {
            core.allocationLock.unlock();
        }
    }

    /**
     * The target this snapshot is now: {@code snapshot}, or {@code snapshot-merge} from
     * {@link #startMerge()} on.
     *
     * @return the target kind
     */
    public TargetKind targetKind() {
        return isMerging() ? TargetKind.SNAPSHOT_MERGE : TargetKind.SNAPSHOT;
    }

    /**
     * The TABLE status text of {@code snapshot_status}: the device names followed by the store's
     * part, e.g. {@code "254:0 254:16 P 8"}. The kernel prints {@code major:minor} names; the caller
     * supplies whatever names it uses. No feature arguments are printed: discard features are not
     * supported.
     *
     * @param originName the origin device's name
     * @param cowName the COW device's name
     * @return the text {@code dmsetup table} prints after the target name
     */
    public String tableStatus(String originName, String cowName) {
        core.storeLock.lock();
        try {
            return originName + " " + cowName + core.store.tableStatus();
        } finally {
            core.storeLock.unlock();
        }
    }

    /**
     * The IMA status text of {@code snapshot_status}, rendered by {@link StatusLine#imaStatus} for
     * {@link #targetKind()} at the version this engine follows ({@link TargetKind#version()}), e.g.
     * {@code "target_name=snapshot,target_version=1.16.0,snap_origin_name=254:0,snap_cow_name=254:16,
     * snap_valid=y,snap_merge_failed=n,snapshot_overflowed=n;"} (one line).
     *
     * @param originName the origin device's name
     * @param cowName the COW device's name
     * @return the text
     */
    public String imaStatus(String originName, String cowName) {
        SnapshotState state = core.state();
        TargetKind kind = state.phase().isMerging() ? TargetKind.SNAPSHOT_MERGE : TargetKind.SNAPSHOT;
        return StatusLine.imaStatus(
                kind, kind.version(), originName, cowName, state.valid(), state.mergeFailed(), state.overflowed());
    }

    /** The highest origin chunk with an exception, for Activation's check; {@link ExceptionTable#NONE} when none. */
    long highestOldChunk() {
        core.lock.lock();
        try {
            return core.complete.highestOldChunk();
        } finally {
            core.lock.unlock();
        }
    }

    // --- life cycle -------------------------------------------------------------------------

    /**
     * Makes the snapshot live ({@code snapshot_resume}): from now on origin writes copy chunks to it
     * first, and it serves I/O. Waits for origin I/O in flight, as resuming under a suspended origin
     * does.
     */
    public void activate() {
        core.origin.controlLock().lock();
        try {
            ensureOpen();
            core.update(SnapshotState::activated);
        } finally {
            core.origin.controlLock().unlock();
        }
    }

    /**
     * Removes the snapshot from its origin and releases its store ({@code snapshot_dtr}). I/O in
     * flight finishes first. The COW device stays open. Closing twice does nothing.
     */
    @Override
    public void close() {
        Origin origin = core.origin;
        origin.controlLock().lock();
        try {
            if (core.state().closed()) {
                return;
            }
            core.update(SnapshotState::closedNow);
            origin.unregister(this);
            core.storeLock.lock();
            try {
                core.store.close();
            } finally {
                core.storeLock.unlock();
            }
        } finally {
            origin.controlLock().unlock();
        }
    }

    private void ensureOpen() {
        if (core.state().closed()) {
            throw new IllegalStateException("snapshot on " + core.cow.name() + " is closed");
        }
    }

    private void ensureLive() {
        ensureOpen();
        if (!isActive()) {
            throw new IllegalStateException("snapshot on " + core.cow.name() + " is not active");
        }
    }

    /** The parts, for {@link SnapshotExport}, once the snapshot is open and active. */
    SnapshotCore liveCore() {
        ensureLive();
        return core;
    }

    // --- BlockDevice -------------------------------------------------------------------------

    /**
     * The snapshot's length in sectors (the target's length, {@code ti->len}).
     *
     * @return the length given at creation
     */
    @Override
    public long sizeInSectors() {
        return core.length;
    }

    /**
     * The origin device's logical block size.
     *
     * @return the block size in bytes
     */
    @Override
    public int logicalBlockSize() {
        return core.origin.logicalBlockSize();
    }

    /**
     * Reads through the snapshot ({@code snapshot_map}, reads): chunks with an exception from the
     * COW, the others from the origin. A chunk read from the origin is tracked until the read ends,
     * so that a copy-out for it does not let the origin change underneath.
     *
     * @param sector the first sector
     * @param dst where the bytes go; whole sectors
     * @throws SnapshotIOException when the snapshot is invalid or has been handed over to a merge
     * @throws IOException when a device fails, or the range is beyond the snapshot's end
     */
    @Override
    public void read(long sector, ByteBuffer dst) throws IOException {
        BlockDevice.checkRange(this, sector, dst.remaining());
        core.origin.ioLock().lock();
        try {
            ensureLive();
            io.read(sector, dst);
        } finally {
            core.origin.ioLock().unlock();
        }
    }

    /**
     * Writes through the snapshot ({@code snapshot_map}, writes): into the COW chunk of an existing
     * exception, or else into a new exception whose chunk is first copied from the origin (not when
     * the write covers the whole chunk). A write that waits for a new exception lands only after the
     * store reported the exception committed.
     *
     * @param sector the first sector
     * @param src the bytes; whole sectors
     * @throws SnapshotIOException when the snapshot is invalid, overflowed, handed over to a merge, its
     *     store is full, or the exception could not be stored
     * @throws IOException when a device fails, or the range is beyond the snapshot's end
     */
    @Override
    public void write(long sector, ByteBuffer src) throws IOException {
        BlockDevice.checkRange(this, sector, src.remaining());
        core.origin.ioLock().lock();
        try {
            ensureLive();
            io.write(sector, src);
        } finally {
            core.origin.ioLock().unlock();
        }
    }

    /**
     * Flushes the COW device: a flush sent to a snapshot is remapped to the COW.
     *
     * @throws IOException when the flush fails
     */
    @Override
    public void flush() throws IOException {
        core.cow.flush();
    }

    /**
     * Snapshots are writable.
     *
     * @return {@code false}
     */
    @Override
    public boolean isReadOnly() {
        return false;
    }

    /**
     * A name for messages.
     *
     * @return e.g. {@code "snapshot of /dev/vda on /dev/vdb"}
     */
    @Override
    public String name() {
        return core.name();
    }

    @Override
    public String toString() {
        return "Snapshot[" + name() + ", " + core.store.typeWord() + " " + core.chunkSize + "]";
    }

    // --- snapshot-merge ------------------------------------------------------------------------

    /**
     * Turns this snapshot into the origin's {@code snapshot-merge} target, as loading that target with
     * the same COW and resuming it does (the exception handover). From now on the origin's reads and
     * writes show this snapshot's content (see {@link Origin}), this snapshot's own I/O fails with
     * EIO, and {@link #mergeStep()} copies its exceptions back to the origin. Waits for origin I/O in
     * flight. The snapshot becomes active.
     *
     * @throws SnapshotTargetException {@code "Snapshot exception store does not support
     *     snapshot-merge."} for a store type without merging (N), or {@code "A snapshot is already
     *     merging."} when another snapshot of the origin is merging
     * @throws IllegalStateException when the snapshot is closed or already merging
     */
    public void startMerge() throws SnapshotTargetException {
        Origin origin = core.origin;
        origin.controlLock().lock();
        try {
            ensureOpen();
            if (isMerging()) {
                throw new IllegalStateException("snapshot on " + core.cow.name() + " is already merging");
            }
            merge.start();
            origin.startedMerging(this);
        } finally {
            origin.controlLock().unlock();
        }
    }

    /**
     * Merges the newest run of exceptions back into the origin: one turn of
     * {@code snapshot_merge_next_chunks} and {@code merge_callback}. Other snapshots of the origin
     * first get copies of the chunks about to change; writes to the chunks being merged wait; the
     * data is copied COW to origin (cut short at the origin's end), the origin flushed, the store told
     * ({@code commit_merge}), and the chunks removed from the table, newest first. A failure logs the
     * kernel's message, sets {@link #isMergeFailed()} and stops the merge for good; I/O goes on.
     *
     * @return how many chunks were merged; 0 when the merge is finished, failed or was stopped
     * @throws IllegalStateException when {@link #startMerge()} was not called, or the snapshot is
     *     closed
     */
    public int mergeStep() {
        core.origin.ioLock().lock();
        try {
            ensureOpen();
            SnapshotState.Phase phase = core.state().phase();
            if (!phase.isMerging()) {
                throw new IllegalStateException("snapshot on " + core.cow.name() + " is not merging");
            }
            if (phase.isMergeStopped()) {
                return 0;
            }
            return merge.nextChunks();
        } finally {
            core.origin.ioLock().unlock();
        }
    }

    /**
     * Runs {@link #mergeStep()} until the merge is finished or fails.
     *
     * @return how many chunks were merged in all
     * @throws IllegalStateException as {@link #mergeStep()}
     */
    public long mergeAll() {
        long total = 0;
        int n;
        while ((n = mergeStep()) > 0) {
            total += n;
        }
        return total;
    }

    /**
     * Merges every exception at once, for a merge that nothing else uses the origin during (the CLI's
     * {@code merge}): origin I/O waits until it ends. The chunks are copied in origin order,
     * neighbours in one write, the origin is flushed once, and the store forgets the whole table in
     * one commit. The origin ends as {@link #mergeAll()} leaves it, and an interruption before that
     * commit leaves every exception in the COW, to be merged again. With other snapshots on the
     * origin, which need copies of the chunks first, this is {@link #mergeAll()}.
     *
     * @param progress told how many more chunks were copied, now and then
     * @return how many chunks were merged; 0 when the merge failed ({@link #isMergeFailed()}) or
     *     there was nothing to merge
     * @throws IllegalStateException as {@link #mergeStep()}
     */
    public long mergeOffline(LongConsumer progress) {
        Origin origin = core.origin;
        origin.controlLock().lock();
        try {
            ensureOpen();
            SnapshotState.Phase phase = core.state().phase();
            if (!phase.isMerging()) {
                throw new IllegalStateException("snapshot on " + core.cow.name() + " is not merging");
            }
            if (phase.isMergeStopped()) {
                return 0;
            }
            if (origin.snapshotCount() == 1) {
                return OfflineMerge.run(core, progress);
            }
        } finally {
            origin.controlLock().unlock();
        }
        long total = 0;
        int n;
        while ((n = mergeStep()) > 0) {
            total += n;
            progress.accept(n);
        }
        return total;
    }

    // --- for Origin -----------------------------------------------------------------------------

    /** __origin_write's claims on this snapshot's chunks; see {@link PendingExceptions#claimForOrigin}. */
    void claimForOrigin(long[] chunks, int n, Pending[] out) {
        pending.claimForOrigin(chunks, n, out);
    }

    /** Allocates pending exceptions this thread claimed; see {@link PendingExceptions#allocateForOrigin}. */
    int allocateForOrigin(Pending[] pes, int n) {
        return pending.allocateForOrigin(pes, n);
    }

    /** The copies of {@code pes[0..n)}, which {@link #allocateForOrigin} allocated, then their commit. */
    void copyForOrigin(Pending[] pes, int n) {
        pending.startAll(pes, n);
    }

    /** Waits until the pending exceptions (nulls skipped) are done. */
    void awaitAll(Pending[] pes) {
        pending.awaitAll(pes, 0, pes.length);
    }

    /** snapshot_merge_map for an origin read while this snapshot merges. */
    void mergeRead(long sector, ByteBuffer piece) throws IOException {
        merge.read(sector, piece);
    }

    /** snapshot_merge_map for an origin write while this snapshot merges. */
    void mergeWrite(long sector, ByteBuffer piece) throws IOException {
        merge.write(sector, piece);
    }
}
