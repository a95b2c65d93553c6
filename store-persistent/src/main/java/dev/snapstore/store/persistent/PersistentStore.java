package dev.snapstore.store.persistent;

import dev.snapstore.cow.CowFormat;
import dev.snapstore.cow.CowHeader;
import dev.snapstore.spi.BlockDevice;
import dev.snapstore.spi.ChunkSize;
import dev.snapstore.spi.CommitCallback;
import dev.snapstore.spi.Errno;
import dev.snapstore.spi.ExceptionSink;
import dev.snapstore.spi.ExceptionStore;
import dev.snapstore.spi.KernelLog;
import dev.snapstore.spi.MergeRun;
import dev.snapstore.spi.MetadataState;
import dev.snapstore.spi.StoreContext;
import dev.snapstore.spi.StoreException;
import dev.snapstore.spi.Usage;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.LongBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The persistent exception store of dm-snap-persistent.c ({@code struct pstore} and its ops),
 * writing the kernel's on-disk format byte for byte.
 *
 * <p><b>Layout.</b> Chunk 0 holds the header; metadata area {@code i} is chunk
 * {@code 1 + (epa + 1) * i} with {@code epa = chunk_size * 32} 16-byte records; the chunks between
 * areas hold exception data. A record whose new chunk is 0 ends the table.
 *
 * <p><b>Threading contract.</b> As the SPI says, the engine serialises every call (the kernel does
 * the same with its locks and in-order completion), and {@link #commitException} is called in
 * allocation order; but this store answers {@link #preparesDuringCommit()} with {@code true}, so
 * {@link #prepareException} and {@link #usage()} may run while another thread is in
 * {@link #commitException} (writing an area) or {@link #dropSnapshot()}, as in the kernel. The
 * two share only {@code pending_count}, which is atomic as in the kernel, and {@code next_free},
 * which only prepare changes then. Commit callbacks run synchronously on the
 * thread whose commit call wrote the batch, before that call returns. {@link #usage()} and
 * {@link #chunkSize()} read volatile fields, so a status thread may call them at any time and sees
 * recent, if not batch-consistent, numbers, as the kernel's lock-free {@code persistent_usage} does.
 * While loading a large table from a slow device, a few daemon threads may read areas ahead
 * ({@link AreaReader}); they are gone before {@link #readMetadata} returns.
 *
 * <p><b>Durability.</b> A commit writes its batch as the kernel does: data chunks (written by the
 * caller before committing), then the next area zeroed if this one filled, a flush
 * ({@code REQ_PREFLUSH}), the area, and a flush ({@code REQ_FUA}); only then do the callbacks run.
 * Flushes the kernel does not issue are added, because a userspace store cannot rely on a later
 * flush coming: when initialising a new COW (see {@link #initialiseNewSnapshot()}), and after
 * {@link #dropSnapshot()}, so that an invalidation is durable before the engine lets the origin
 * change.
 *
 * <p><b>Deliberate differences</b> from the kernel, none of which changes what a kernel-written COW
 * loads as or the bytes a correctly used store ends up writing:
 * <ul>
 *   <li>A new COW gets area 0 zeroed and flushed before its header is written (the kernel writes
 *       the header first, unflushed), so a power loss cannot leave a valid header over old bytes
 *       in area 0; see {@link #initialiseNewSnapshot()}.</li>
 *   <li>{@code prepare_exception}'s full test {@code size < (next_free + 1) * chunk_size} is done
 *       without 64-bit overflow, and a free-chunk cursor that wrapped past 2^64 (only possible after
 *       loading hostile records) counts as full, where the kernel would hand out chunk 0, the header.</li>
 *   <li>When the last, partly filled area is loaded, the bytes after its end marker are zeroed in
 *       memory. The kernel keeps them and writes them back with the next commit, which can bring
 *       stale records behind the end marker back to life after a torn write or on a hostile image.
 *       Kernel-written images always hold zeros there.</li>
 * </ul>
 */
final class PersistentStore implements ExceptionStore {

    /** Records decoded and handed to the sink at once while loading: one 4 KiB area, 4 KiB of longs. */
    private static final int BATCH = 256;

    private final BlockDevice cow;
    private final KernelLog log;
    private final int originBlockSize;
    private final boolean overflow;
    private final AreaReader.ReadAhead readAhead;

    /** {@code store->chunk_size}; 0 until loading picks the default or the header's value. */
    private volatile int chunkSize;
    /** {@code ps->exceptions_per_area}. */
    private int exceptionsPerArea;
    /** {@code ps->valid}: any non-zero value is valid; 0 stays 0. */
    private int valid = 1;
    /** {@code ps->version}. */
    private int version = CowFormat.SNAPSHOT_DISK_VERSION;
    /** {@code ps->area}: the current metadata area, little-endian; allocated once the device proved it can hold it. */
    private ByteBuffer area;
    /** {@code ps->current_area} (unsigned). */
    private volatile long currentArea;
    /** {@code ps->next_free} (unsigned): the next chunk to allocate. */
    private volatile long nextFree = CowFormat.NUM_SNAPSHOT_HDR_CHUNKS + 1;
    /** {@code ps->current_committed}: records in the current area. */
    private int currentCommitted;
    /** {@code ps->pending_count}: prepared but not yet committed; prepare and commit may overlap. */
    private final AtomicLong pendingCount = new AtomicLong();
    /** {@code ps->callbacks}: waiting for the next area write. */
    private final List<CommitCallback> callbacks = new ArrayList<>();

    private boolean metadataRead;

    /**
     * Creates a store, as {@code persistent_ctr}; does no I/O.
     *
     * @param context the COW device, table chunk size (0 = on-disk or default) and log
     * @param overflow {@code true} for {@code PO}
     * @param readAhead when loading may read areas ahead on helper threads
     */
    PersistentStore(StoreContext context, boolean overflow, AreaReader.ReadAhead readAhead) {
        this.cow = context.cow();
        this.log = context.log();
        this.originBlockSize = context.originLogicalBlockSize();
        this.chunkSize = context.chunkSize();
        this.overflow = overflow;
        this.readAhead = readAhead;
    }

    @Override
    public int chunkSize() {
        return chunkSize;
    }

    @Override
    public String typeWord() {
        return overflow ? "PO" : "P";
    }

    @Override
    public boolean supportsOverflow() {
        return overflow;
    }

    /**
     * {@code persistent_read_metadata}: {@code read_header}, then either initialise a new COW or
     * check the version and valid flag and run {@code read_exceptions}.
     */
    @Override
    public MetadataState readMetadata(ExceptionSink sink) throws StoreException {
        Objects.requireNonNull(sink, "sink");
        if (metadataRead) {
            throw new IllegalStateException("readMetadata may be called only once");
        }
        metadataRead = true;
        boolean newSnapshot = readHeader();
        exceptionsPerArea = CowFormat.exceptionsPerArea(chunkSize);
        if (newSnapshot) {
            initialiseNewSnapshot();
            return MetadataState.VALID;
        }
        if (version != CowFormat.SNAPSHOT_DISK_VERSION) {
            throw fail(Errno.EINVAL, "unable to handle snapshot disk version " + version);
        }
        if (valid == 0) {
            // "Metadata are valid, but snapshot is invalidated": exceptions are not read.
            return MetadataState.INVALIDATED;
        }
        readExceptions(sink);
        return MetadataState.VALID;
    }

    /**
     * {@code read_header}: picks the chunk size (table, default, or the header's, which wins) and
     * reads magic, valid and version.
     *
     * @return whether the COW is new (magic 0)
     */
    private boolean readHeader() throws StoreException {
        boolean chunkSizeSupplied = true;
        if (chunkSize == 0) {
            // Only the COW's block size counts here, and the default is not validated.
            chunkSize =
                    Math.max(CowFormat.DM_CHUNK_SIZE_DEFAULT_SECTORS, cow.logicalBlockSize() >> ChunkSize.SECTOR_SHIFT);
            chunkSizeSupplied = false;
        }
        ByteBuffer header;
        try {
            header = DiskFormat.readChunkHead(cow, 0, chunkSize, CowFormat.DISK_HEADER_SIZE);
        } catch (IOException e) {
            // chunk_io failed: the kernel logs nothing of its own; the engine reports
            // "Failed to read snapshot metadata".
            throw new StoreException(Errno.EIO, "cannot read the snapshot header (chunk 0): " + e.getMessage(), e);
        }
        int magic = header.getInt(0);
        if (magic == 0) {
            return true;
        }
        if (magic != CowFormat.SNAP_MAGIC) {
            throw fail(Errno.ENXIO, "Invalid or corrupt snapshot");
        }
        valid = header.getInt(4);
        version = header.getInt(8);
        int diskChunkSize = header.getInt(12);
        if (diskChunkSize == chunkSize) {
            return false;
        }
        if (chunkSizeSupplied) {
            warn("chunk size " + Integer.toUnsignedString(diskChunkSize)
                    + " in device metadata overrides table chunk size of " + Integer.toUnsignedString(chunkSize) + ".");
        }
        try {
            chunkSize =
                    ChunkSize.validate(Integer.toUnsignedLong(diskChunkSize), cow.logicalBlockSize(), originBlockSize);
        } catch (StoreException e) {
            throw fail(
                    e.errno(),
                    "invalid on-disk chunk size " + Integer.toUnsignedString(diskChunkSize) + ": " + e.getMessage()
                            + ".");
        }
        return false;
    }

    /**
     * The new-snapshot branch of {@code persistent_read_metadata}: {@code write_header} and
     * {@code zero_disk_area(0)}, with the same results and log lines as the kernel, but area 0 is
     * zeroed and flushed <i>before</i> the header goes out. The kernel writes the header first with
     * no flush, so a power loss can leave a valid header over an area 0 that still holds whatever
     * the device held before (a reused LV), which then loads as exceptions. The header is still
     * written when zeroing fails, as fixture s6 case 36 shows the kernel does.
     */
    private void initialiseNewSnapshot() throws StoreException {
        IOException zeroError = null;
        try {
            DiskFormat.writeZeroChunk(cow, CowFormat.areaLocation(exceptionsPerArea, 0), chunkSize, new byte[0]);
            cow.flush();
        } catch (IOException e) {
            zeroError = e;
        }
        try {
            writeHeader();
        } catch (IOException e) {
            throw fail(Errno.EIO, "write_header failed", e);
        }
        currentArea = 0;
        if (zeroError != null) {
            throw fail(Errno.EIO, "zero_disk_area(0) failed", zeroError);
        }
        try {
            cow.flush();
        } catch (IOException e) {
            // Not a kernel step (it leaves this to the first commit's REQ_PREFLUSH), so no kernel line.
            throw new StoreException(Errno.EIO, "flush after initialising the COW failed: " + e.getMessage(), e);
        }
        area = DiskFormat.chunkBuffer(chunkSize);
    }

    /** {@code write_header}: the whole of chunk 0, the 16 header bytes followed by zeros. */
    private void writeHeader() throws IOException {
        DiskFormat.writeZeroChunk(
                cow, 0, chunkSize, CowHeader.of(valid, version, chunkSize).encode());
    }

    /**
     * {@code read_exceptions} / {@code insert_exceptions}: reads areas 0, 1, ... and reports each
     * record until the first record with new chunk 0; the area holding it becomes the current area.
     */
    private void readExceptions(ExceptionSink sink) throws StoreException {
        final int epa = exceptionsPerArea;
        long next = nextFree;
        long index = 0;
        long[] records = new long[2 * Math.min(BATCH, epa)];
        try (AreaReader reader = new AreaReader(cow, chunkSize, epa, readAhead)) {
            while (true) {
                ByteBuffer buffer;
                try {
                    buffer = reader.read(index);
                } catch (IOException e) {
                    throw new StoreException(
                            Errno.EIO,
                            "cannot read metadata area " + Long.toUnsignedString(index) + " (chunk "
                                    + Long.toUnsignedString(CowFormat.areaLocation(epa, index)) + "): "
                                    + e.getMessage(),
                            e);
                }
                int committed = epa;
                LongBuffer fields = buffer.asLongBuffer();
                // Decoded a batch at a time into a small long[] (one bulk copy, no call per field),
                // handed to the sink in one call per batch; the end marker stops it as before.
                for (int from = 0; from < epa && committed == epa; from += BATCH) {
                    int batch = Math.min(BATCH, epa - from);
                    fields.get(2 * from, records, 0, 2 * batch);
                    int count = batch;
                    for (int i = 0; i < batch; i++) {
                        long newChunk = records[2 * i + 1];
                        if (newChunk == 0) {
                            // The end marker: the area is not full.
                            count = i;
                            committed = from + i;
                            break;
                        }
                        // No validation, as in the kernel: records go to the sink as they are.
                        if (Long.compareUnsigned(next, newChunk) <= 0) {
                            next = newChunk + 1;
                        }
                    }
                    sink.addAll(records, count);
                }
                if (committed < epa) {
                    ByteBuffer current = DiskFormat.chunkBuffer(chunkSize);
                    // Copy up to the end marker only; the rest stays zero (see the class comment).
                    current.put(0, buffer, 0, committed * CowFormat.DISK_EXCEPTION_SIZE);
                    area = current;
                    currentCommitted = committed;
                    currentArea = index;
                    break;
                }
                index++;
            }
        }
        nextFree = CowFormat.skipMetadata(epa, next);
    }

    /** {@code persistent_prepare_exception}. */
    @Override
    public long prepareException(long oldChunk) {
        requireLoaded();
        long chunks = cow.sizeInSectors() / chunkSize;
        long next = nextFree;
        // The kernel's "size < (next_free + 1) * chunk_size", without overflow; a cursor that
        // wrapped below the first data chunk counts as full (see the class comment).
        if (Long.compareUnsigned(next, chunks) >= 0
                || Long.compareUnsigned(next, CowFormat.NUM_SNAPSHOT_HDR_CHUNKS + 1) < 0) {
            return NO_SPACE;
        }
        nextFree = CowFormat.skipMetadata(exceptionsPerArea, next + 1);
        pendingCount.incrementAndGet();
        return next;
    }

    /** {@code true}: prepare only moves {@code next_free} and counts, as the kernel's may during a commit. */
    @Override
    public boolean preparesDuringCommit() {
        return true;
    }

    /** {@code persistent_commit_exception}: batches until nothing is in flight or the area is full. */
    @Override
    public void commitException(long oldChunk, long newChunk, boolean copied, CommitCallback callback) {
        Objects.requireNonNull(callback, "callback");
        requireLoaded();
        if (pendingCount.get() == 0) {
            throw new IllegalStateException("commitException without a matching prepareException");
        }
        if (!copied) {
            valid = 0;
        }
        int offset = currentCommitted++ * CowFormat.DISK_EXCEPTION_SIZE;
        area.putLong(offset, oldChunk).putLong(offset + 8, newChunk);
        callbacks.add(callback);
        // atomic_dec_and_test: a prepare that raced ahead keeps the batch open for its commit.
        boolean nonePending = pendingCount.decrementAndGet() == 0;
        boolean areaFull = currentCommitted == exceptionsPerArea;
        if (!nonePending && !areaFull) {
            return;
        }
        // The kernel zeroes the next area whenever this one fills, even when already invalid.
        if (areaFull && !zeroDiskArea(currentArea + 1)) {
            valid = 0;
        }
        if (valid != 0 && !writeAreaDurably()) {
            valid = 0;
        }
        if (areaFull) {
            currentCommitted = 0;
            currentArea = currentArea + 1;
            Arrays.fill(area.array(), (byte) 0);
        }
        runCallbacks(valid != 0);
    }

    private void runCallbacks(boolean success) {
        CommitCallback[] batch = callbacks.toArray(new CommitCallback[0]);
        callbacks.clear();
        RuntimeException failure = null;
        for (CommitCallback cb : batch) {
            try {
                cb.committed(success);
            } catch (RuntimeException e) {
                // Every exception of the batch must hear its outcome; report the first problem after.
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    /** {@code zero_disk_area}: a plain write of zeros over an area. */
    private boolean zeroDiskArea(long index) {
        try {
            DiskFormat.writeZeroChunk(cow, CowFormat.areaLocation(exceptionsPerArea, index), chunkSize, new byte[0]);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * {@code area_io(WRITE | REQ_PREFLUSH | REQ_FUA)}: flush what came before (the data chunks and a
     * zeroed next area), write the current area, flush it.
     */
    private boolean writeAreaDurably() {
        try {
            writeAreaDurablyOrThrow();
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private void writeAreaDurablyOrThrow() throws IOException {
        cow.flush();
        DiskFormat.writeChunk(cow, CowFormat.areaLocation(exceptionsPerArea, currentArea), chunkSize, area);
        cow.flush();
    }

    /**
     * {@code persistent_prepare_merge}: the newest run of records that go down by one in both
     * chunk numbers, within the current area only; steps back to the previous area (re-reading it
     * from disk) when the current one is empty.
     */
    @Override
    public Optional<MergeRun> prepareMerge() throws StoreException {
        requireLoaded();
        if (currentCommitted == 0) {
            if (currentArea == 0) {
                return Optional.empty();
            }
            // As in the kernel, current_area moves back before the read, even if the read fails.
            currentArea = currentArea - 1;
            try {
                ByteBuffer buffer = area != null ? area : DiskFormat.chunkBuffer(chunkSize);
                DiskFormat.readChunk(cow, CowFormat.areaLocation(exceptionsPerArea, currentArea), chunkSize, buffer);
                area = buffer;
            } catch (IOException e) {
                throw new StoreException(
                        Errno.EIO,
                        "cannot read metadata area " + Long.toUnsignedString(currentArea) + " to merge: "
                                + e.getMessage(),
                        e);
            }
            currentCommitted = exceptionsPerArea;
        }
        int last = (currentCommitted - 1) * CowFormat.DISK_EXCEPTION_SIZE;
        long lastOld = area.getLong(last);
        long lastNew = area.getLong(last + 8);
        int n;
        for (n = 1; n < currentCommitted; n++) {
            int offset = (currentCommitted - 1 - n) * CowFormat.DISK_EXCEPTION_SIZE;
            if (area.getLong(offset) != lastOld - n || area.getLong(offset + 8) != lastNew - n) {
                break;
            }
        }
        return Optional.of(new MergeRun(n, lastOld, lastNew));
    }

    /**
     * {@code persistent_commit_merge}: clears the last {@code count} records, writes the area with
     * flushes around it, and recomputes {@code next_free} for {@link #usage()}.
     */
    @Override
    public void commitMerge(int count) throws StoreException {
        requireLoaded();
        if (count < 1 || count > currentCommitted) {
            // The kernel's BUG_ON(nr_merged > ps->current_committed).
            throw new IllegalArgumentException("cannot merge " + count + " of " + currentCommitted + " exceptions");
        }
        for (int i = 0; i < count; i++) {
            int offset = (currentCommitted - 1 - i) * CowFormat.DISK_EXCEPTION_SIZE;
            area.putLong(offset, 0).putLong(offset + 8, 0);
        }
        try {
            writeAreaDurablyOrThrow();
        } catch (IOException e) {
            throw new StoreException(
                    Errno.EIO,
                    "cannot write metadata area " + Long.toUnsignedString(currentArea) + " after merging: "
                            + e.getMessage(),
                    e);
        }
        currentCommitted -= count;
        // "only persistent_usage() uses ps->next_free" from here on.
        nextFree = CowFormat.areaLocation(exceptionsPerArea, currentArea) + currentCommitted + 1;
    }

    /**
     * Every record cleared at once: area 0 zeroed and written between flushes (the commit: the table
     * now ends at its first record), then the later areas that held records zeroed and flushed, so
     * that the COW ends byte for byte as the kernel's merge, run by run, leaves it. Before the commit
     * the table is as it was; after it, records left in later areas lie behind the end marker, which
     * no reader passes, and the store zeroes each area again before it fills it.
     */
    @Override
    public void commitMergeAll() throws StoreException {
        requireLoaded();
        long last = currentArea;
        if (last == 0 && currentCommitted == 0) {
            return;
        }
        Arrays.fill(area.array(), (byte) 0);
        currentArea = 0;
        currentCommitted = 0;
        nextFree = CowFormat.areaLocation(exceptionsPerArea, 0) + 1;
        try {
            writeAreaDurablyOrThrow();
        } catch (IOException e) {
            throw new StoreException(Errno.EIO, "cannot write metadata area 0 after merging: " + e.getMessage(), e);
        }
        for (long index = 1; index <= last; index++) {
            if (!zeroDiskArea(index)) {
                throw new StoreException(
                        Errno.EIO, "cannot zero metadata area " + Long.toUnsignedString(index) + " after merging");
            }
        }
        try {
            cow.flush();
        } catch (IOException e) {
            throw new StoreException(Errno.EIO, "flush after merging failed: " + e.getMessage(), e);
        }
    }

    /** {@code persistent_drop_snapshot}: rewrites chunk 0 with valid 0; the areas stay as they are. */
    @Override
    public void dropSnapshot() {
        valid = 0;
        if (chunkSize == 0) {
            warn("write header failed");
            return;
        }
        try {
            writeHeader();
            cow.flush();
        } catch (IOException e) {
            warn("write header failed");
        }
    }

    /** {@code persistent_usage}. */
    @Override
    public Usage usage() {
        long cs = chunkSize;
        return new Usage(
                cow.sizeInSectors(), nextFree * cs, (currentArea + 1 + CowFormat.NUM_SNAPSHOT_HDR_CHUNKS) * cs);
    }

    private void requireLoaded() {
        if (!metadataRead || exceptionsPerArea == 0) {
            throw new IllegalStateException("the metadata has not been read");
        }
        if (area == null) {
            throw new IllegalStateException("the metadata was not loaded successfully or marks the snapshot invalid");
        }
    }

    private void warn(String message) {
        log.dm(PersistentStoreType.LOG_PREFIX, message);
    }

    private StoreException fail(Errno errno, String message) {
        warn(message);
        return new StoreException(errno, message);
    }

    private StoreException fail(Errno errno, String message, Throwable cause) {
        warn(message);
        return new StoreException(errno, message, cause);
    }

    @Override
    public String toString() {
        return "PersistentStore[" + cow.name() + ", " + typeWord() + " " + chunkSize + "]";
    }
}
