package dev.snapstore.engine;

import dev.snapstore.spi.BlockDevice;
import dev.snapstore.spi.ChunkSize;
import java.io.IOException;
import java.nio.channels.WritableByteChannel;
import java.util.Arrays;
import java.util.concurrent.locks.Lock;
import java.util.function.LongConsumer;

/**
 * A snapshot's whole content copied to a channel, byte for byte what {@link Snapshot#read} gives:
 * exceptions from the COW, every other chunk from the origin. Built for speed on image files: the
 * chunks are looked up a window at a time, neighbours that map alike (origin chunks, or consecutive
 * COW chunks) become one transfer, and each transfer is {@link BlockDevice#transferTo}, which for
 * files is a copy inside the kernel ({@code sendfile}) with no buffer in between.
 *
 * <p>Each window holds the origin's control lock, so no origin or snapshot I/O runs while its
 * chunks are copied (the snapshot reads' per-chunk tracking is then not needed); I/O waits at most
 * one window. Nothing is flushed: the caller decides whether the target must be durable.
 *
 * @since 0.2
 */
public final class SnapshotExport {

    /** Sectors looked up, and copied, per hold of the lock: 64 MiB. */
    private static final long WINDOW_SECTORS = 64L << 20 >>> ChunkSize.SECTOR_SHIFT;

    private SnapshotExport() {}

    /** A failure of the snapshot's devices (not the target's), with the byte offset where. */
    public static final class ReadException extends IOException {
        private static final long serialVersionUID = 1L;
        private final long offset;

        ReadException(long offset, IOException cause) {
            super(cause.getMessage(), cause);
            this.offset = offset;
        }

        /** @return the byte offset in the snapshot of the transfer that failed */
        public long offset() {
            return offset;
        }
    }

    /**
     * Copies the whole snapshot to {@code target}, from its position on.
     *
     * @param snapshot an active snapshot, not merging
     * @param target where the bytes go; a {@link java.nio.channels.FileChannel} gets kernel copies
     * @param progress told how many more bytes were copied, once per window
     * @throws SnapshotIOException when the snapshot is invalid or handed over to a merge
     * @throws ReadException when reading the origin or the COW fails
     * @throws IOException when a transfer fails (reported as a read failure; a kernel copy cannot
     *     tell which side failed)
     * @throws IllegalStateException when the snapshot is closed or not active
     */
    public static void copy(Snapshot snapshot, WritableByteChannel target, LongConsumer progress) throws IOException {
        SnapshotCore core = snapshot.liveCore();
        long length = snapshot.sizeInSectors();
        Lock control = core.origin.controlLock();
        // Whole chunks per window, however large a chunk is (both are powers of two).
        long window = Math.max(WINDOW_SECTORS, core.chunkSize);
        for (long start = 0; start < length; start += window) {
            long end = Math.min(length, start + window);
            control.lock();
            try {
                copyWindow(core, start, end, target);
            } finally {
                control.unlock();
            }
            progress.accept((end - start) << ChunkSize.SECTOR_SHIFT);
        }
    }

    /** One window, chunk aligned at its start; its runs are found under the snapshot's lock. */
    private static void copyWindow(SnapshotCore core, long start, long end, WritableByteChannel target)
            throws IOException {
        int shift = core.chunkShift;
        long chunk = start >>> shift;
        long lastChunk = (end - 1) >>> shift;
        // Runs as (source sector, sectors); COW runs have cowSector >= 0.
        long[] runs = new long[64];
        int count = 0;
        core.lock.lock();
        try {
            SnapshotState state = core.state();
            if (state.phase().isMerging()) {
                throw core.eio("the snapshot was handed over to a merge");
            }
            if (!state.valid()) {
                throw core.eio("the snapshot is invalid");
            }
            ExceptionTable table = core.complete;
            long runStart = chunk;
            long runNew = table.lookup(chunk);
            for (long c = chunk + 1; ; c++) {
                long next = c <= lastChunk ? table.lookup(c) : -2;
                boolean joins = runNew == ExceptionTable.NONE
                        ? next == ExceptionTable.NONE
                        : next != -2 && next == runNew + (c - runStart);
                if (!joins) {
                    if (count + 2 > runs.length) {
                        runs = Arrays.copyOf(runs, runs.length * 2);
                    }
                    runs[count++] = runNew == ExceptionTable.NONE ? -1 - runStart : runNew;
                    runs[count++] = c - runStart;
                    if (next == -2) {
                        break;
                    }
                    runStart = c;
                    runNew = next;
                }
            }
        } finally {
            core.lock.unlock();
        }
        long sector = start;
        for (int i = 0; i < count; i += 2) {
            boolean fromCow = runs[i] >= 0;
            long sectors = Math.min(runs[i + 1] << shift, end - sector);
            BlockDevice device = fromCow ? core.cow : core.origin.device();
            long source = fromCow ? runs[i] << shift : sector;
            try {
                device.transferTo(source, sectors << ChunkSize.SECTOR_SHIFT, target);
            } catch (IOException e) {
                throw new ReadException(sector << ChunkSize.SECTOR_SHIFT, e);
            }
            sector += sectors;
        }
    }
}
