package dev.snapstore.engine;

import dev.snapstore.dm.KernelMessages;
import dev.snapstore.dm.SnapshotConstructor;
import dev.snapstore.dm.SnapshotStatus;
import dev.snapstore.dm.StatusLine;
import dev.snapstore.dm.TableException;
import dev.snapstore.dm.TargetKind;
import dev.snapstore.spi.BlockDevice;
import dev.snapstore.spi.ChunkSize;
import dev.snapstore.spi.Errno;
import dev.snapstore.spi.ExceptionStore;
import dev.snapstore.spi.ExceptionStoreType;
import dev.snapstore.spi.KernelLog;
import dev.snapstore.spi.MergeRun;
import dev.snapstore.spi.StoreException;
import dev.snapstore.spi.StoreTypes;
import dev.snapstore.spi.Usage;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

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
 * @since 0.1
 */
public final class Snapshot implements BlockDevice {

    private static final String LOG_PREFIX = KernelMessages.LOG_PREFIX;

    /** The most one joined read asks of a device: enough to amortise a system call, little enough to keep tracking short. */
    private static final int MAX_READ_RUN_BYTES = 1 << 20;

    private final Origin origin;
    private final BlockDevice cow;
    private final ExceptionStore store;
    private final ExceptionStoreType type;
    private final long length;
    private final int chunkSize;
    private final int chunkShift;
    private final long chunkMask;
    private final KernelLog log;

    /** s->lock, the exception table locks, pe_lock and tracked_chunk_lock in one; no I/O under it. */
    private final ReentrantLock lock = new ReentrantLock();
    /** Signalled whenever a pending exception completes, a tracked I/O ends or a merge step ends. */
    private final Condition changed = lock.newCondition();
    /** Serialises every store call (pe_allocation_lock); taken before {@link #lock}, never after. */
    private final ReentrantLock storeLock = new ReentrantLock();

    // Guarded by lock.
    private final ExceptionTable complete;
    private final Map<Long, Pending> pending = new HashMap<>();
    private final Map<Long, int[]> tracked = new HashMap<>();
    private long firstMergingChunk;
    private int numMergingChunks;

    // Written under lock (and, for active/merging/closed, under the origin's control lock); read anywhere.
    private volatile boolean valid = true;
    private volatile boolean active;
    private volatile boolean overflowed;
    private volatile boolean mergeFailed;
    private volatile boolean merging;
    private volatile boolean mergeStopped;
    private volatile boolean mergeFinished;
    private volatile boolean closed;

    // Guarded by storeLock: in-order completion (exception_start_sequence, exception_complete_sequence,
    // out_of_order_tree).
    private long startSequence;
    private long completeSequence;
    private final TreeMap<Long, Pending> outOfOrder = new TreeMap<>();

    private Snapshot(Origin origin, BlockDevice cow, ExceptionStore store, ExceptionStoreType type,
            ExceptionTable table, long length, boolean valid, KernelLog log) {
        this.origin = origin;
        this.cow = cow;
        this.store = store;
        this.type = type;
        this.complete = table;
        this.length = length;
        this.chunkSize = store.chunkSize();
        this.chunkShift = Integer.numberOfTrailingZeros(chunkSize);
        this.chunkMask = chunkSize - 1L;
        this.valid = valid;
        this.log = log;
    }

    /**
     * snapshot_ctr from the exception store on: create the store, read its metadata into a new
     * exception table, check the chunk size. Called by Origin under its control lock.
     */
    static Snapshot construct(Origin origin, StoreTypes types, String typeWord, String chunkSizeArg,
            BlockDevice cow, long length, KernelLog log) throws SnapshotTargetException {
        try {
            SnapshotConstructor.Created created = SnapshotConstructor.createStore(TargetKind.SNAPSHOT, types,
                    typeWord, chunkSizeArg, cow, origin.logicalBlockSize(), log);
            ExceptionTable table = new ExceptionTable();
            boolean valid = SnapshotConstructor.readMetadata(TargetKind.SNAPSHOT, created.store(), table::append, log);
            table.compact();
            return new Snapshot(origin, cow, created.store(), created.type(), table, length, valid, log);
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
        return origin;
    }

    /**
     * The COW device the store keeps its exceptions on.
     *
     * @return the COW device
     */
    public BlockDevice cow() {
        return cow;
    }

    /**
     * The effective chunk size in sectors, as the store settled it while reading its metadata (a
     * persistent header's chunk size wins over the table's).
     *
     * @return the chunk size, a power of two
     */
    public int chunkSize() {
        return chunkSize;
    }

    /**
     * The store's normalised type word.
     *
     * @return {@code "P"}, {@code "PO"}, {@code "N"} or a third-party word
     */
    public String typeWord() {
        return store.typeWord();
    }

    /**
     * Whether the snapshot is usable ({@code s->valid}); an invalid snapshot fails all its I/O.
     *
     * @return {@code false} once invalidated, or when loaded from an invalidated COW
     */
    public boolean isValid() {
        return valid;
    }

    /**
     * Whether {@link #activate()} was called ({@code s->active}).
     *
     * @return {@code true} once active
     */
    public boolean isActive() {
        return active;
    }

    /**
     * Whether a snapshot write found a {@code PO} store full ({@code snapshot_overflowed}); writes fail
     * from then on, reads still work.
     *
     * @return {@code true} once overflowed
     */
    public boolean isOverflowed() {
        return overflowed;
    }

    /**
     * Whether a merge step failed ({@code merge_failed}).
     *
     * @return {@code true} once a merge failed
     */
    public boolean isMergeFailed() {
        return mergeFailed;
    }

    /**
     * Whether {@link #startMerge()} turned this snapshot into the origin's merging snapshot.
     *
     * @return {@code true} while merging, and after the merge finished until {@link #close()}
     */
    public boolean isMerging() {
        return merging;
    }

    /**
     * Whether the merge has nothing left to do: {@code prepare_merge} reported an empty store. The
     * status then shows allocated equal to metadata.
     *
     * @return {@code true} when merged completely
     */
    public boolean isMergeFinished() {
        return mergeFinished;
    }

    /**
     * How many completed exceptions the in-memory table holds.
     *
     * @return the number of chunks with an exception
     */
    public long exceptionCount() {
        lock.lock();
        try {
            return complete.size();
        } finally {
            lock.unlock();
        }
    }

    /**
     * The store's usage numbers, read anew ({@code usage}).
     *
     * @return allocated, total and metadata sectors
     */
    public Usage usage() {
        storeLock.lock();
        try {
            return store.usage();
        } finally {
            storeLock.unlock();
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
        storeLock.lock();
        try {
            boolean v = valid;
            boolean failed = mergeFailed;
            boolean over = overflowed;
            // The usage is read only when it is what the status shows, as snapshot_status does.
            return SnapshotStatus.of(v, failed, over, v && !failed && !over ? store.usage() : null);
        } finally {
            storeLock.unlock();
        }
    }

    /**
     * The target this snapshot is now: {@code snapshot}, or {@code snapshot-merge} from
     * {@link #startMerge()} on.
     *
     * @return the target kind
     */
    public TargetKind targetKind() {
        return merging ? TargetKind.SNAPSHOT_MERGE : TargetKind.SNAPSHOT;
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
        storeLock.lock();
        try {
            return originName + " " + cowName + store.tableStatus();
        } finally {
            storeLock.unlock();
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
        TargetKind kind = targetKind();
        return StatusLine.imaStatus(kind, kind.version(), originName, cowName, valid, mergeFailed, overflowed);
    }

    // --- life cycle -------------------------------------------------------------------------

    /**
     * Makes the snapshot live ({@code snapshot_resume}): from now on origin writes copy chunks to it
     * first, and it serves I/O. Waits for origin I/O in flight, as resuming under a suspended origin
     * does.
     */
    public void activate() {
        origin.controlLock().lock();
        try {
            ensureOpen();
            active = true;
        } finally {
            origin.controlLock().unlock();
        }
    }

    /**
     * Removes the snapshot from its origin and releases its store ({@code snapshot_dtr}). I/O in
     * flight finishes first. The COW device stays open. Closing twice does nothing.
     */
    @Override
    public void close() {
        origin.controlLock().lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            origin.unregister(this);
            storeLock.lock();
            try {
                store.close();
            } finally {
                storeLock.unlock();
            }
        } finally {
            origin.controlLock().unlock();
        }
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("snapshot on " + cow.name() + " is closed");
        }
    }

    private void ensureLive() {
        ensureOpen();
        if (!active) {
            throw new IllegalStateException("snapshot on " + cow.name() + " is not active");
        }
    }

    // --- BlockDevice -------------------------------------------------------------------------

    /**
     * The snapshot's length in sectors (the target's length, {@code ti->len}).
     *
     * @return the length given at creation
     */
    @Override
    public long sizeInSectors() {
        return length;
    }

    /**
     * The origin device's logical block size.
     *
     * @return the block size in bytes
     */
    @Override
    public int logicalBlockSize() {
        return origin.logicalBlockSize();
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
        origin.ioLock().lock();
        try {
            ensureLive();
            while (dst.hasRemaining()) {
                int n = readRun(sector, dst.slice(dst.position(), dst.remaining()));
                dst.position(dst.position() + n);
                sector += n >>> ChunkSize.SECTOR_SHIFT;
            }
        } finally {
            origin.ioLock().unlock();
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
        origin.ioLock().lock();
        try {
            ensureLive();
            Pieces.split(sector, src, chunkSize, this::writePiece);
        } finally {
            origin.ioLock().unlock();
        }
    }

    /**
     * Flushes the COW device: a flush sent to a snapshot is remapped to the COW.
     *
     * @throws IOException when the flush fails
     */
    @Override
    public void flush() throws IOException {
        cow.flush();
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
        return "snapshot of " + origin.name() + " on " + cow.name();
    }

    @Override
    public String toString() {
        return "Snapshot[" + name() + ", " + store.typeWord() + " " + chunkSize + "]";
    }

    private long remap(long newChunk, long sector) {
        return (newChunk << chunkShift) | (sector & chunkMask);
    }

    private SnapshotIOException eio(String why) {
        return new SnapshotIOException(name() + ": " + why);
    }

    /**
     * snapshot_map for reads, over as many whole chunks in a row as map to one place: the origin
     * (each chunk tracked, as {@code track_chunk} does per bio), or consecutive COW chunks. The
     * kernel's bios are one chunk at most; joining them here makes a large read one device read
     * instead of one per chunk, with the same bytes and the same tracking.
     *
     * @return how many bytes of {@code rest} were read
     */
    private int readRun(long sector, ByteBuffer rest) throws IOException {
        long firstChunk = sector >>> chunkShift;
        int chunkBytes = chunkSize << ChunkSize.SECTOR_SHIFT;
        int bytes = (int) Math.min((chunkSize - (sector & chunkMask)) << ChunkSize.SECTOR_SHIFT, rest.remaining());
        int chunks = 1;
        long cowSector = -1;
        lock.lock();
        try {
            checkUsable(false);
            long newChunk = complete.lookup(firstChunk);
            if (newChunk != ExceptionTable.NONE) {
                cowSector = remap(newChunk, sector);
                while (bytes < rest.remaining() && bytes < MAX_READ_RUN_BYTES
                        && complete.lookup(firstChunk + chunks) == newChunk + chunks) {
                    bytes += Math.min(chunkBytes, rest.remaining() - bytes);
                    chunks++;
                }
            } else {
                track(firstChunk);
                while (bytes < rest.remaining() && bytes < MAX_READ_RUN_BYTES
                        && complete.lookup(firstChunk + chunks) == ExceptionTable.NONE) {
                    track(firstChunk + chunks);
                    bytes += Math.min(chunkBytes, rest.remaining() - bytes);
                    chunks++;
                }
            }
        } finally {
            lock.unlock();
        }
        ByteBuffer run = rest.slice(0, bytes);
        if (cowSector >= 0) {
            deviceIo(cow, cowSector, run, false);
            return bytes;
        }
        try {
            deviceIo(origin.device(), sector, run, false);
        } finally {
            untrack(firstChunk, chunks);
        }
        return bytes;
    }

    /** The checks at the top of snapshot_map; called under lock. */
    private void checkUsable(boolean write) throws SnapshotIOException {
        if (merging) {
            // After the handover to snapshot-merge the old snapshot device is invalid.
            throw eio("the snapshot was handed over to a merge");
        }
        if (!valid) {
            throw eio("the snapshot is invalid");
        }
        if (write && overflowed) {
            throw eio("the snapshot overflowed");
        }
    }

    /** snapshot_map for a write inside one chunk. */
    private void writePiece(long sector, ByteBuffer piece) throws IOException {
        long chunk = sector >>> chunkShift;
        boolean wholeChunk = piece.remaining() == (long) chunkSize << ChunkSize.SECTOR_SHIFT;
        while (true) {
            Pending pe = null;
            long cowSector = -1;
            lock.lock();
            try {
                checkUsable(true);
                long newChunk = complete.lookup(chunk);
                if (newChunk != ExceptionTable.NONE) {
                    cowSector = remap(newChunk, sector);
                } else {
                    pe = pending.get(chunk);
                    if (pe == null) {
                        pe = new Pending(chunk);
                        pending.put(chunk, pe);
                    }
                }
            } finally {
                lock.unlock();
            }
            if (cowSector >= 0) {
                deviceIo(cow, cowSector, piece, true);
                return;
            }
            if (pe.owner == Thread.currentThread()) {
                if (!allocate(pe)) {
                    // __find_pending_exception failed: PO overflows, P and N invalidate; the bio is killed.
                    if (store.supportsOverflow()) {
                        lock.lock();
                        try {
                            if (valid && !overflowed) {
                                overflowed = true;
                                log.dm(LOG_PREFIX, KernelMessages.OVERFLOWED);
                            }
                        } finally {
                            lock.unlock();
                        }
                    } else {
                        invalidate(Errno.ENOMEM);
                    }
                    abandon(pe);
                    throw eio("Unable to allocate exception");
                }
                if (wholeChunk) {
                    // start_full_bio: the write itself is the copy; its completion completes the exception.
                    try {
                        cow.write(remap(pe.newChunk, sector), piece.duplicate());
                    } catch (IOException e) {
                        pe.copyError = true;
                    }
                    completeCopy(pe);
                    if (!awaitDone(pe)) {
                        throw eio("the exception for chunk " + Long.toUnsignedString(chunk) + " could not be stored");
                    }
                    return;
                }
                startCopy(pe);
            }
            if (!awaitDone(pe)) {
                if (pe.allocationFailed) {
                    continue; // the owner overflowed or invalidated the snapshot: the checks above now fail
                }
                throw eio("the exception for chunk " + Long.toUnsignedString(chunk) + " could not be stored");
            }
            // The bio was queued on the pending exception: it goes to the COW after the commit.
            deviceIo(cow, remap(pe.newChunk, sector), piece, true);
            return;
        }
    }

    private void deviceIo(BlockDevice device, long sector, ByteBuffer piece, boolean write) throws IOException {
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
            throw new SnapshotIOException(name() + ": " + (write ? "write" : "read") + " error on "
                    + device.name() + " at sector " + Long.toUnsignedString(sector), e);
        }
    }

    // --- tracked chunks (track_chunk, stop_tracking_chunk, __check_for_conflicting_io) ---------

    /** Called under lock. */
    private void track(long chunk) {
        tracked.computeIfAbsent(chunk, c -> new int[1])[0]++;
    }

    private void untrack(long firstChunk, int chunks) {
        lock.lock();
        try {
            boolean signal = false;
            for (long chunk = firstChunk; chunk < firstChunk + chunks; chunk++) {
                int[] count = tracked.get(chunk);
                if (--count[0] == 0) {
                    tracked.remove(chunk);
                    signal = true;
                }
            }
            if (signal) {
                changed.signalAll();
            }
        } finally {
            lock.unlock();
        }
    }

    /** Waits, under lock, until no tracked I/O of the chunk is in flight. */
    private void awaitUntracked(long chunk) {
        while (tracked.containsKey(chunk)) {
            changed.awaitUninterruptibly();
        }
    }

    // --- pending exceptions -------------------------------------------------------------------

    /**
     * The origin-write side of __origin_write for this snapshot: nothing to do (null) when the
     * snapshot is invalid or inactive or already has the chunk; else the pending exception to wait for,
     * created by and owned by this thread if there was none.
     */
    Pending claimForOrigin(long chunk) {
        lock.lock();
        try {
            if (!valid || !active || closed) {
                return null;
            }
            Pending pe = pending.get(chunk);
            if (pe != null) {
                return pe;
            }
            if (complete.lookup(chunk) != ExceptionTable.NONE) {
                return null;
            }
            pe = new Pending(chunk);
            pending.put(chunk, pe);
            return pe;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Allocates a pending exception this thread created for an origin write; the copy and commit
     * follow in {@link #copyForOrigin}. A full store invalidates the snapshot whatever its P/PO
     * setting ({@code invalidate_snapshot(snap, -ENOMEM)} in __origin_write).
     *
     * @return whether the exception got a chunk; if not, it is abandoned and the snapshot invalid
     */
    boolean allocateForOrigin(Pending pe) {
        if (!allocate(pe)) {
            invalidate(Errno.ENOMEM);
            abandon(pe);
            return false;
        }
        return true;
    }

    /** The copy and commit of a pending exception {@link #allocateForOrigin} allocated. */
    void copyForOrigin(Pending pe) {
        startCopy(pe);
    }

    /** __insert_pending_exception's prepare_exception and exception_sequence, under the store lock. */
    private boolean allocate(Pending pe) {
        storeLock.lock();
        try {
            long newChunk;
            try {
                newChunk = store.prepareException(pe.oldChunk);
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
            storeLock.unlock();
        }
    }

    /** Forgets a pending exception whose allocation failed; its waiters start over. */
    private void abandon(Pending pe) {
        lock.lock();
        try {
            pending.remove(pe.oldChunk);
            pe.allocationFailed = true;
            pe.done = true;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** start_copy: the origin chunk, cut short at the end of the origin, to the new COW chunk. */
    private void startCopy(Pending pe) {
        long from = pe.oldChunk << chunkShift;
        long originSize = origin.device().sizeInSectors();
        // min(chunk_size, dev_size - src.sector); past the end the kernel's unsigned sum wraps and the
        // copy fails, which is what a full-length copy does here.
        long count = Long.compareUnsigned(from, originSize) < 0 ? Math.min(chunkSize, originSize - from) : chunkSize;
        try {
            Copier.copy(origin.device(), from, cow, pe.newChunk << chunkShift, count);
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
    private void completeCopy(Pending pe) {
        storeLock.lock();
        try {
            outOfOrder.put(pe.sequence, pe);
            Pending next;
            while ((next = outOfOrder.remove(completeSequence)) != null) {
                completeSequence++;
                Pending committed = next;
                store.commitException(committed.oldChunk, committed.newChunk, !committed.copyError,
                        success -> pendingComplete(committed, success));
            }
        } finally {
            storeLock.unlock();
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
            invalidate(Errno.EIO);
        }
        lock.lock();
        try {
            if (!error && !valid) {
                error = true;
            }
            if (!error) {
                complete.insert(pe.oldChunk, pe.newChunk);
                // New snapshot reads of the chunk now go to the COW; older ones still read the origin.
                awaitUntracked(pe.oldChunk);
            }
            pending.remove(pe.oldChunk);
            pe.success = !error;
            pe.done = true;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Waits until a pending exception is done; returns whether it succeeded. */
    boolean awaitDone(Pending pe) {
        lock.lock();
        try {
            while (!pe.done) {
                changed.awaitUninterruptibly();
            }
            return pe.success;
        } finally {
            lock.unlock();
        }
    }

    /**
     * __invalidate_snapshot: once only, log why, drop the snapshot in the store, mark it invalid.
     */
    private void invalidate(Errno err) {
        storeLock.lock();
        try {
            lock.lock();
            try {
                if (!valid) {
                    return;
                }
                valid = false;
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
        origin.controlLock().lock();
        try {
            ensureOpen();
            if (merging) {
                throw new IllegalStateException("snapshot on " + cow.name() + " is already merging");
            }
            if (origin.mergingSnapshot().isPresent()) {
                throw new SnapshotTargetException(Errno.EINVAL, KernelMessages.ALREADY_MERGING);
            }
            try {
                SnapshotConstructor.requireMerge(TargetKind.SNAPSHOT_MERGE, type);
            } catch (TableException e) {
                throw SnapshotTargetException.of(e);
            }
            lock.lock();
            try {
                merging = true;
                active = true;
            } finally {
                lock.unlock();
            }
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
        origin.ioLock().lock();
        try {
            ensureOpen();
            if (!merging) {
                throw new IllegalStateException("snapshot on " + cow.name() + " is not merging");
            }
            if (mergeStopped) {
                return 0;
            }
            return mergeNextChunks();
        } finally {
            origin.ioLock().unlock();
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

    private int mergeNextChunks() {
        if (!valid) {
            // snapshot_merge_next_chunks shuts the merge down without setting merge_failed.
            log.dm(LOG_PREFIX, KernelMessages.MERGE_INVALID);
            mergeStopped = true;
            return 0;
        }
        Optional<MergeRun> next;
        storeLock.lock();
        try {
            next = store.prepareMerge();
        } catch (StoreException | RuntimeException e) {
            return failMerge(KernelMessages.MERGE_PREPARE_FAILED);
        } finally {
            storeLock.unlock();
        }
        if (next.isEmpty()) {
            mergeStopped = true;
            mergeFinished = true;
            return 0;
        }
        MergeRun run = next.get();
        int n = run.count();
        long oldChunk = run.firstOld();
        long newChunk = run.firstNew();
        long ioSize = (long) n * chunkSize;
        long dest = oldChunk << chunkShift;
        long originSize = origin.device().sizeInSectors();
        long count = Long.compareUnsigned(dest, originSize) < 0 ? Math.min(ioSize, originSize - dest) : ioSize;

        // origin_write_extent: other snapshots copy these chunks out first, stepping by max_io_len.
        int step = origin.splitBoundary();
        for (long offset = 0; offset < ioSize; offset += step) {
            origin.copyOut(dest + offset);
        }

        lock.lock();
        try {
            firstMergingChunk = oldChunk;
            numMergingChunks = n;
            for (int i = 0; i < n; i++) {
                awaitUntracked(oldChunk + i);
            }
        } finally {
            lock.unlock();
        }

        try {
            Copier.copy(cow, newChunk << chunkShift, origin.device(), dest, count);
        } catch (Copier.CopyFailure e) {
            return failMerge(e.read ? KernelMessages.MERGE_READ_FAILED : KernelMessages.MERGE_WRITE_FAILED);
        }
        try {
            origin.device().flush();
        } catch (IOException e) {
            return failMerge(KernelMessages.MERGE_FLUSH_FAILED);
        }
        storeLock.lock();
        try {
            store.commitMerge(n);
        } catch (StoreException | RuntimeException e) {
            return failMerge(KernelMessages.MERGE_COMMIT_FAILED);
        } finally {
            storeLock.unlock();
        }
        // remove_single_exception_chunk: newest first, so runs shrink from their ends.
        String corruption = null;
        lock.lock();
        try {
            for (long c = oldChunk + n - 1;; c--) {
                complete.remove(c);
                if (c == oldChunk) {
                    break;
                }
            }
            releaseMergingChunks();
        } catch (IllegalStateException e) {
            corruption = e.getMessage();
        } finally {
            lock.unlock();
        }
        return corruption == null ? n : failMerge(corruption);
    }

    /** merge_callback's "shut" path: log, merge_failed, error the queued writes, stop. */
    private int failMerge(String message) {
        log.dm(LOG_PREFIX, message);
        lock.lock();
        try {
            mergeFailed = true;
            mergeStopped = true;
            releaseMergingChunks();
        } finally {
            lock.unlock();
        }
        return 0;
    }

    /** __release_queued_bios_after_merge; called under lock. */
    private void releaseMergingChunks() {
        firstMergingChunk = 0;
        numMergingChunks = 0;
        changed.signalAll();
    }

    /** Called under lock. */
    private boolean beingMerged(long chunk) {
        return numMergingChunks > 0 && Long.compareUnsigned(chunk, firstMergingChunk) >= 0
                && Long.compareUnsigned(chunk - firstMergingChunk, numMergingChunks) < 0;
    }

    /**
     * snapshot_merge_map for a read inside one of this snapshot's chunks, sent to the origin: from the
     * COW where an exception is left, else from the origin.
     */
    void mergeRead(long sector, ByteBuffer piece) throws IOException {
        long chunk = sector >>> chunkShift;
        long cowSector = -1;
        lock.lock();
        try {
            if (valid) {
                long newChunk = complete.lookup(chunk);
                if (newChunk != ExceptionTable.NONE) {
                    cowSector = remap(newChunk, sector);
                }
            }
        } finally {
            lock.unlock();
        }
        if (cowSector >= 0) {
            deviceIo(cow, cowSector, piece, false);
        } else {
            deviceIo(origin.device(), sector, piece, false);
        }
    }

    /**
     * snapshot_merge_map for a write inside one of this snapshot's chunks, sent to the origin: into
     * the COW where an exception is left (tracked, so that merging it waits), queued when the chunk is
     * being merged right now and then written to the origin, else to the origin through the copy-out
     * path of the other snapshots.
     */
    void mergeWrite(long sector, ByteBuffer piece) throws IOException {
        long chunk = sector >>> chunkShift;
        long cowSector = -1;
        boolean direct = false;
        lock.lock();
        try {
            if (valid) {
                long newChunk = complete.lookup(chunk);
                if (newChunk != ExceptionTable.NONE) {
                    if (beingMerged(chunk)) {
                        while (beingMerged(chunk)) {
                            changed.awaitUninterruptibly();
                        }
                        if (mergeFailed) {
                            throw eio("the merge step for chunk " + Long.toUnsignedString(chunk) + " failed");
                        }
                        direct = true;
                    } else {
                        cowSector = remap(newChunk, sector);
                        track(chunk);
                    }
                }
            }
        } finally {
            lock.unlock();
        }
        if (direct) {
            // The queued bio goes straight to the origin device: its chunk was copied out by the step.
            deviceIo(origin.device(), sector, piece, true);
        } else if (cowSector >= 0) {
            try {
                deviceIo(cow, cowSector, piece, true);
            } finally {
                untrack(chunk, 1);
            }
        } else {
            origin.writeThroughCopyOut(sector, piece);
        }
    }
}
