package dev.snapstore.engine;

import dev.snapstore.dm.KernelMessages;
import dev.snapstore.spi.BlockDevice;
import dev.snapstore.spi.ChunkSize;
import dev.snapstore.spi.Errno;
import dev.snapstore.spi.KernelLog;
import dev.snapstore.spi.StoreException;
import dev.snapstore.spi.StoreTypes;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * An origin device with its snapshots: the kernel's {@code snapshot-origin} target and the
 * per-origin snapshot list of drivers/md/dm-snap.c.
 *
 * <p>Writes through the origin are split at the smallest chunk size of its snapshots (the
 * {@code split_boundary} the kernel computes when the origin resumes; here it is always current) and
 * copy each affected chunk to every valid, active snapshot that lacks it, snapshots with the largest
 * chunk size first, before the origin changes ({@code do_origin}, {@code __origin_write}). Reads pass
 * straight through. While one of the snapshots is merging ({@link Snapshot#startMerge()}), the
 * origin's reads and writes go through the {@code snapshot-merge} mapping instead
 * ({@code snapshot_merge_map}), so the origin shows the merging snapshot's content at once.
 *
 * <p>The origin is a {@link BlockDevice} over the wrapped device. All methods are safe to call from
 * many threads. {@link #close()} closes the snapshots, not the devices.
 *
 * @since 0.1
 */
public final class Origin implements BlockDevice {

    private final BlockDevice device;
    private final KernelLog log;
    /**
     * I/O holds the read side; creating, activating, merging and closing snapshots take the write
     * side and so wait for I/O in flight, as dm suspends the origin around these changes.
     */
    private final ReentrantReadWriteLock suspendLock = new ReentrantReadWriteLock();
    /** Sorted by chunk size, largest first (__insert_snapshot); replaced, never changed, under the write lock. */
    private volatile List<Snapshot> snapshots = List.of();

    private volatile Snapshot merging;

    /**
     * Wraps an origin device, with no kernel log.
     *
     * @param device the origin device
     */
    public Origin(BlockDevice device) {
        this(device, KernelLog.DISCARD);
    }

    /**
     * Wraps an origin device.
     *
     * @param device the origin device
     * @param log where the kernel's log lines of this origin's snapshots and stores go
     */
    public Origin(BlockDevice device, KernelLog log) {
        this.device = Objects.requireNonNull(device, "device");
        this.log = Objects.requireNonNull(log, "log");
    }

    /**
     * Creates a snapshot of this origin, as loading a {@code snapshot} table
     * ({@code <origin> <cow> <type> <chunk size>}) does ({@code snapshot_ctr}): the store is chosen by
     * the type word, its metadata read into the exception table; a store whose metadata says the
     * snapshot was invalidated gives an invalid snapshot and logs {@code "Snapshot is marked
     * invalid."}. The snapshot is registered but inactive until {@link Snapshot#activate()}.
     *
     * @param types where the store types come from
     * @param typeWord the type word, e.g. {@code "P"}, {@code "po"} or {@code "N"}
     * @param chunkSizeArg the chunk size argument in sectors, e.g. {@code "8"}; {@code "0"} lets a
     *     persistent store use its header's or its default size
     * @param cow the COW device; it stays the caller's to close
     * @param lengthSectors the snapshot's length, at most the origin's size
     * @return the new snapshot
     * @throws SnapshotTargetException with the kernel's {@code ti->error}: {@code "COW device cannot be
     *     the same as origin device"}, {@code "Couldn't create exception store"}, {@code "Snapshot cow
     *     pairing for exception table handover failed"} (another snapshot of this origin uses the COW;
     *     devices are compared by {@link BlockDevice#identity()}),
     *     {@code "Failed to read snapshot metadata"} or {@code "Chunk size not set"}; the store's own
     *     reason is in {@link SnapshotTargetException#innerMessage()}
     * @throws IllegalArgumentException when the length is 0 or larger than the origin
     */
    public Snapshot createSnapshot(
            StoreTypes types, String typeWord, String chunkSizeArg, BlockDevice cow, long lengthSectors)
            throws SnapshotTargetException {
        Objects.requireNonNull(types, "types");
        Objects.requireNonNull(typeWord, "typeWord");
        Objects.requireNonNull(chunkSizeArg, "chunkSizeArg");
        Objects.requireNonNull(cow, "cow");
        long size = device.sizeInSectors();
        if (lengthSectors <= 0 || lengthSectors > size) {
            // dm-table's check: "<dev> too small for target: start=0, len=%llu, dev_size=%llu"
            throw new IllegalArgumentException(
                    device.name() + " too small for target: start=0, len=" + lengthSectors + ", dev_size=" + size);
        }
        suspendLock.writeLock().lock();
        try {
            // By identity, as the kernel compares dev_t: one file opened twice is one device.
            Object cowIdentity = cow.identity();
            if (cowIdentity.equals(device.identity())) {
                throw new SnapshotTargetException(Errno.EINVAL, KernelMessages.SAME_DEVICE);
            }
            for (Snapshot other : snapshots) {
                if (other.cow().identity().equals(cowIdentity)) {
                    // Two tables on one COW is the kernel's handover, which this engine does in place
                    // with Snapshot.startMerge().
                    throw new SnapshotTargetException(
                            Errno.EINVAL,
                            KernelMessages.HANDOVER_FAILED,
                            new StoreException(
                                    Errno.EINVAL,
                                    cow.name() + " is already the COW of another snapshot of"
                                            + " this origin: a COW holds one snapshot"));
                }
            }
            Snapshot snapshot = Snapshot.construct(this, types, typeWord, chunkSizeArg, cow, lengthSectors, log);
            List<Snapshot> list = new ArrayList<>(snapshots);
            int at = 0;
            while (at < list.size() && list.get(at).chunkSize() >= snapshot.chunkSize()) {
                at++;
            }
            list.add(at, snapshot);
            snapshots = List.copyOf(list);
            return snapshot;
        } finally {
            suspendLock.writeLock().unlock();
        }
    }

    /**
     * Creates a snapshot covering the whole origin with the store types on the module and class
     * path; see {@link #createSnapshot(StoreTypes, String, String, BlockDevice, long)}.
     *
     * @param typeWord the type word, e.g. {@code "P"}
     * @param chunkSizeArg the chunk size argument in sectors
     * @param cow the COW device
     * @return the new, inactive snapshot
     * @throws SnapshotTargetException with the kernel's {@code ti->error}
     */
    public Snapshot createSnapshot(String typeWord, String chunkSizeArg, BlockDevice cow)
            throws SnapshotTargetException {
        return createSnapshot(StoreTypes.load(), typeWord, chunkSizeArg, cow, device.sizeInSectors());
    }

    /**
     * The snapshots, largest chunk size first, the order in which origin writes copy to them.
     *
     * @return an immutable list
     */
    public List<Snapshot> snapshots() {
        return snapshots;
    }

    /**
     * The snapshot being merged into this origin, if any.
     *
     * @return the merging snapshot
     */
    public Optional<Snapshot> mergingSnapshot() {
        return Optional.ofNullable(merging);
    }

    /**
     * The wrapped origin device.
     *
     * @return the device
     */
    public BlockDevice device() {
        return device;
    }

    // --- BlockDevice -------------------------------------------------------------------------

    /**
     * The origin device's size, read anew.
     *
     * @return the size in sectors
     */
    @Override
    public long sizeInSectors() {
        return device.sizeInSectors();
    }

    /**
     * The origin device's logical block size.
     *
     * @return the block size in bytes
     */
    @Override
    public int logicalBlockSize() {
        return device.logicalBlockSize();
    }

    /**
     * Reads the origin. While a snapshot is merging, chunks it still holds come from its COW
     * ({@code snapshot_merge_map}); otherwise the device is read directly ({@code origin_map}).
     *
     * @param sector the first sector
     * @param dst where the bytes go; whole sectors
     * @throws IOException when a device fails or the range is beyond the end
     */
    @Override
    public void read(long sector, ByteBuffer dst) throws IOException {
        BlockDevice.checkRange(this, sector, dst.remaining());
        suspendLock.readLock().lock();
        try {
            Snapshot m = merging;
            if (m == null) {
                device.read(sector, dst);
                return;
            }
            Pieces.split(sector, dst, m.chunkSize(), m::mergeRead);
        } finally {
            suspendLock.readLock().unlock();
        }
    }

    /**
     * Writes the origin: every valid, active snapshot gets its copy of each affected chunk first;
     * a snapshot whose store is full is invalidated and the write goes on. While a snapshot is
     * merging, the write follows {@code snapshot_merge_map}.
     *
     * @param sector the first sector
     * @param src the bytes; whole sectors
     * @throws IOException when the origin device fails, or the range is beyond the end
     * @throws SnapshotIOException when the write waited for a merge step that failed
     */
    @Override
    public void write(long sector, ByteBuffer src) throws IOException {
        BlockDevice.checkRange(this, sector, src.remaining());
        suspendLock.readLock().lock();
        try {
            int split = splitBoundary();
            if (split == 0) {
                device.write(sector, src);
                return;
            }
            Snapshot m = merging;
            if (m != null) {
                Pieces.split(sector, src, split, m::mergeWrite);
                return;
            }
            writeInWindows(sector, src, split);
        } finally {
            suspendLock.readLock().unlock();
        }
    }

    /**
     * Flushes the origin device.
     *
     * @throws IOException when the flush fails
     */
    @Override
    public void flush() throws IOException {
        device.flush();
    }

    /**
     * Whether the origin device refuses writes.
     *
     * @return the device's answer
     */
    @Override
    public boolean isReadOnly() {
        return device.isReadOnly();
    }

    /**
     * The origin device's name.
     *
     * @return the name
     */
    @Override
    public String name() {
        return device.name();
    }

    /**
     * The origin device's identity: the origin passes I/O through to it.
     *
     * @return {@code device().identity()}
     */
    @Override
    public Object identity() {
        return device.identity();
    }

    /** Closes every snapshot of the origin; the devices stay open. */
    @Override
    public void close() {
        for (Snapshot snapshot : snapshots) {
            snapshot.close();
        }
    }

    @Override
    public String toString() {
        return "Origin[" + device.name() + ", " + snapshots.size() + " snapshots]";
    }

    // --- engine internals ---------------------------------------------------------------------

    int snapshotCount() {
        return snapshots.size();
    }

    Lock ioLock() {
        return suspendLock.readLock();
    }

    Lock controlLock() {
        return suspendLock.writeLock();
    }

    /** The most an origin write copies out and writes at once; the rest waits for the next window. */
    private static final int WRITE_WINDOW = 1 << 20;

    /** __minimum_chunk_size: the smallest chunk size of the snapshots, 0 without snapshots. */
    int splitBoundary() {
        int min = 0;
        for (Snapshot s : snapshots) {
            min = min == 0 ? s.chunkSize() : Math.min(min, s.chunkSize());
        }
        return min;
    }

    /**
     * The origin write in windows of up to {@link #WRITE_WINDOW} bytes: every chunk of a window is
     * claimed, allocated and copied out before any is waited for, so the store commits them
     * together (the kernel gets the same from kcopyd copying the split bios concurrently), and the
     * window then goes to the device in one write instead of one per chunk.
     */
    private void writeInWindows(long sector, ByteBuffer src, int split) throws IOException {
        long mask = split - 1L;
        int end = src.limit();
        long[] pieces = new long[Math.max(1, WRITE_WINDOW / (split << ChunkSize.SECTOR_SHIFT)) + 1];
        while (src.position() < end) {
            int start = src.position();
            int at = start;
            long next = sector;
            int count = 0;
            while (at < end && at - start < WRITE_WINDOW && count < pieces.length) {
                pieces[count++] = next;
                int n = (int) Math.min((split - (next & mask)) << ChunkSize.SECTOR_SHIFT, end - at);
                at += n;
                next += n >>> ChunkSize.SECTOR_SHIFT;
            }
            copyOut(pieces, count);
            device.write(sector, src.slice(start, at - start));
            src.position(at);
            sector = next;
        }
    }

    /** do_origin, then the write: the piece lies within one chunk of every snapshot. */
    void writeThroughCopyOut(long sector, ByteBuffer piece) throws IOException {
        copyOut(sector);
        device.write(sector, piece.duplicate());
    }

    /**
     * __origin_write without a bio, retried until no snapshot needs a copy for the chunk holding
     * {@code sector} (do_origin's retry of the held origin bio through retry_origin_bios): each
     * valid, active, non-merging snapshot the sector lies within gets the chunk copied to its COW,
     * largest chunk size first.
     */
    void copyOut(long sector) {
        copyOut(new long[] {sector}, 1);
    }

    /**
     * {@link #copyOut(long)} for several pieces at once, snapshot by snapshot: the chunks the pieces
     * touch are claimed under one hold of the snapshot's lock, every pending exception this thread
     * creates is allocated (in chunk order, under one hold of the allocation lock) before any is
     * copied, and all are copied and queued for the commit before this thread waits for anything, so
     * no thread ever waits while holding an exception it has not finished, and one metadata write can
     * commit them all. A snapshot whose store fills up on one of them is invalidated and the rest of
     * its claims are dropped; the chunks allocated before it are copied and committed all the same.
     *
     * @param sectors a sector in each piece, ascending, each piece within one chunk of every snapshot
     * @param count how many entries of {@code sectors} to use
     */
    void copyOut(long[] sectors, int count) {
        List<Snapshot> list = snapshots;
        int k = list.size();
        long[] chunks = new long[count];
        Pending[][] claimed = new Pending[k][];
        Pending[][] owned = new Pending[k][];
        int[] allocated = new int[k];
        while (true) {
            boolean any = false;
            RuntimeException failure = null;
            for (int s = 0; s < k; s++) {
                Snapshot snapshot = list.get(s);
                claimed[s] = null;
                allocated[s] = 0;
                if (snapshot.isMerging()) {
                    continue;
                }
                int shift = Integer.numberOfTrailingZeros(snapshot.chunkSize());
                long size = snapshot.sizeInSectors();
                int n = 0;
                for (int i = 0; i < count && Long.compareUnsigned(sectors[i], size) < 0; i++) {
                    long chunk = sectors[i] >>> shift;
                    // a chunk of a larger-chunk snapshot already claimed for an earlier piece
                    if (n == 0 || chunks[n - 1] != chunk) {
                        chunks[n++] = chunk;
                    }
                }
                Pending[] pes = new Pending[n];
                snapshot.claimForOrigin(chunks, n, pes);
                Pending[] mine = new Pending[n];
                int m = 0;
                for (Pending pe : pes) {
                    any |= pe != null;
                    if (pe != null && pe.owner == Thread.currentThread()) {
                        mine[m++] = pe;
                    }
                }
                claimed[s] = pes;
                owned[s] = mine;
                allocated[s] = m == 0 ? 0 : snapshot.allocateForOrigin(mine, m);
                if (allocated[s] < m && mine[allocated[s]].storeFailure != null && failure == null) {
                    failure = mine[allocated[s]].storeFailure;
                }
            }
            if (!any) {
                return;
            }
            for (int s = 0; s < k; s++) {
                try {
                    list.get(s).copyForOrigin(owned[s], allocated[s]);
                } catch (RuntimeException e) {
                    if (failure == null) {
                        failure = e;
                    }
                }
            }
            for (int s = 0; s < k; s++) {
                if (claimed[s] != null) {
                    list.get(s).awaitAll(claimed[s]);
                }
            }
            if (failure != null) {
                throw failure;
            }
        }
    }

    /** Called by Snapshot.close() under the control lock. */
    void unregister(Snapshot snapshot) {
        List<Snapshot> list = new ArrayList<>(snapshots);
        list.remove(snapshot);
        snapshots = List.copyOf(list);
        if (merging == snapshot) {
            merging = null;
        }
    }

    /** Called by Snapshot.startMerge() under the control lock. */
    void startedMerging(Snapshot snapshot) {
        merging = snapshot;
    }
}
