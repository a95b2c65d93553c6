package dev.snapstore.engine;

import dev.snapstore.spi.BlockDevice;
import dev.snapstore.spi.ChunkSize;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.util.Arrays;
import java.util.concurrent.locks.Lock;
import java.util.function.LongConsumer;

/**
 * A snapshot's whole content copied to a channel, byte for byte what {@link Snapshot#read} gives:
 * exceptions from the COW, every other chunk from the origin. Built for speed on image files: the
 * chunks are looked up a window at a time, neighbours that map alike (origin chunks, or consecutive
 * COW chunks) become one run, and each transfer is {@link BlockDevice#transferTo}, which for files
 * is a copy inside the kernel ({@code sendfile}) with no buffer in between.
 *
 * <p>The transfer plan depends on the target. A channel that only appends (a stream, a pipe, a
 * FIFO, {@code /dev/null}) gets one transfer per run, in order. A file whose position can be moved
 * back (a regular file or a block device) gets as few transfers as possible, since each costs a
 * fixed amount however short it is: an origin transfer runs on across COW stretches shorter than
 * 64 KiB (copying the origin's bytes there too), then each of those COW runs is transferred over
 * its place; longer COW stretches are transferred in place and end the origin transfer, so no large
 * copy is done twice. A window of scattered 4 KiB exceptions thus costs one origin transfer plus one
 * per COW run, instead of about two per exception. Either way the bytes in the target are the same,
 * and its position ends after the snapshot's last byte.
 *
 * <p>Each window holds the origin's control lock, so no origin or snapshot I/O runs while its
 * chunks are copied, patches included (the snapshot reads' per-chunk tracking is then not needed);
 * I/O waits at most one window. Nothing is flushed: the caller decides whether the target must be
 * durable.
 *
 * @since 0.2
 */
public final class SnapshotExport {

    /** Sectors looked up, and copied, per hold of the lock: 64 MiB. */
    private static final long WINDOW_SECTORS = 64L << 20 >>> ChunkSize.SECTOR_SHIFT;

    /**
     * COW stretches shorter than this (64 KiB) are copied from the origin too and then overwritten.
     * Measured here (JDK 17, ext4, page cache): a file-to-file transfer costs about 3-4 us however
     * short (the JNI call, {@code sendfile}, the JDK's and the device's {@code fstat}), and the kernel
     * copies about 4.7 GB/s, so 64 KiB of bytes written twice (about 14 us) costs a few transfers at
     * most, while the scattered exceptions that make short stretches save one transfer each; longer
     * stretches are not worth copying twice.
     */
    private static final long PATCH_SECTORS = 64L << 10 >>> ChunkSize.SECTOR_SHIFT;

    /** The buffer COW runs are read into before they are written over origin bytes: 1 MiB. */
    private static final int PATCH_BUFFER_BYTES = 1 << 20;

    /**
     * COW runs up to this far apart on the COW are read with one read, the bytes between read and
     * not used: 64 KiB, which the page cache copies in less time than a read call's fixed cost, and
     * which spans the metadata area between one area's data chunks and the next.
     */
    private static final long BATCH_GAP_SECTORS = 64L << 10 >>> ChunkSize.SECTOR_SHIFT;

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
     * @param target where the bytes go, from its position on; a {@link FileChannel} gets kernel copies
     * @param progress told how many more bytes were copied, once per window
     * @throws SnapshotIOException when the snapshot is invalid or handed over to a merge
     * @throws ReadException when reading the origin or the COW fails
     * @throws IOException when a transfer fails (reported as a read failure; a kernel copy cannot
     *     tell which side failed)
     * @throws IllegalStateException when the snapshot is closed or not active
     */
    public static void copy(Snapshot snapshot, WritableByteChannel target, LongConsumer progress) throws IOException {
        copy(snapshot, target, progress, WINDOW_SECTORS, PATCH_SECTORS);
    }

    /**
     * {@link #copy(Snapshot, WritableByteChannel, LongConsumer)} with other limits, for tests: small
     * snapshots then reach many window edges and both transfer plans.
     *
     * @param windowSectors sectors per window, a power of two
     * @param patchSectors COW stretches shorter than this are copied over origin bytes
     */
    static void copy(
            Snapshot snapshot, WritableByteChannel target, LongConsumer progress, long windowSectors, long patchSectors)
            throws IOException {
        SnapshotCore core = snapshot.liveCore();
        long length = snapshot.sizeInSectors();
        Lock control = core.origin.controlLock();
        // Whole chunks per window, however large a chunk is (both are powers of two).
        long window = Math.max(windowSectors, core.chunkSize);
        FileChannel seekable = seekable(target);
        ByteBuffer buffer = seekable == null ? null : ByteBuffer.allocateDirect(PATCH_BUFFER_BYTES);
        for (long start = 0; start < length; start += window) {
            long end = Math.min(length, start + window);
            control.lock();
            try {
                copyWindow(core, start, end, target, seekable, patchSectors, buffer);
            } finally {
                control.unlock();
            }
            progress.accept((end - start) << ChunkSize.SECTOR_SHIFT);
        }
    }

    /**
     * The target as a file whose position can be moved back, for the patched plan; {@code null}
     * for anything else. A pipe refuses to seek at all; {@code /dev/null} and some character
     * devices accept a seek but do not move, so the probe checks that the position really moved.
     */
    private static FileChannel seekable(WritableByteChannel target) throws IOException {
        if (!(target instanceof FileChannel file)) {
            return null;
        }
        long position;
        try {
            position = file.position();
            file.position(position + 1);
        } catch (IOException e) {
            return null; // ESPIPE: a pipe or a FIFO
        }
        boolean moves = file.position() == position + 1;
        file.position(position);
        return moves ? file : null;
    }

    /** One window, chunk aligned at its start; its runs are found under the snapshot's lock. */
    private static void copyWindow(
            SnapshotCore core,
            long start,
            long end,
            WritableByteChannel target,
            FileChannel seekable,
            long patchSectors,
            ByteBuffer buffer)
            throws IOException {
        int shift = core.chunkShift;
        long chunk = start >>> shift;
        long lastChunk = (end - 1) >>> shift;
        // Runs as (source, sectors); COW runs have a source >= 0 (the COW sector), origin runs -1.
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
                    runs[count++] = runNew == ExceptionTable.NONE ? -1 : runNew << shift;
                    runs[count++] = (c - runStart) << shift;
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
        // The last chunk may reach past the snapshot's end (a size that is not whole chunks).
        runs[count - 1] -= ((lastChunk + 1) << shift) - end;
        if (seekable == null) {
            long sector = start;
            for (int i = 0; i < count; i += 2) {
                transfer(core, runs[i], sector, runs[i + 1], target);
                sector += runs[i + 1];
            }
        } else {
            copyPatched(core, start, runs, count, seekable, patchSectors, buffer);
        }
    }

    /**
     * The window's runs into a file: each origin transfer runs on across COW stretches shorter than
     * {@code patchSectors}, whose runs are then written over their places; the position ends at the
     * window's end, as after sequential transfers.
     */
    private static void copyPatched(
            SnapshotCore core,
            long start,
            long[] runs,
            int count,
            FileChannel target,
            long patchSectors,
            ByteBuffer buffer)
            throws IOException {
        long base = target.position() - (start << ChunkSize.SECTOR_SHIFT);
        long sector = start;
        for (int i = 0; i < count; ) {
            if (runs[i] >= 0) {
                // A COW run that no origin transfer spans: in place, as the sequential plan does.
                transfer(core, runs[i], sector, runs[i + 1], target);
                sector += runs[i + 1];
                i += 2;
                continue;
            }
            // The span: this origin run, then each short COW stretch that an origin run follows.
            long spanEnd = sector + runs[i + 1];
            int next = i + 2;
            while (next < count) {
                int k = next;
                long stretch = 0;
                while (k < count && runs[k] >= 0 && stretch < patchSectors) {
                    stretch += runs[k + 1];
                    k += 2;
                }
                if (k == count || stretch >= patchSectors) {
                    break; // COW runs up to the window's end, or a long stretch: in place, not over origin bytes
                }
                spanEnd += stretch + runs[k + 1];
                next = k + 2;
            }
            transfer(core, -1, sector, spanEnd - sector, target);
            if (next > i + 2) {
                patch(core, runs, i + 2, next, sector + runs[i + 1], base, target, buffer);
                target.position(base + (spanEnd << ChunkSize.SECTOR_SHIFT));
            }
            sector = spanEnd;
            i = next;
        }
    }

    /**
     * Writes the COW runs among {@code runs[from..to)} over their places in the target, which starts
     * at snapshot sector {@code at}. They are read into {@code buffer}, runs that lie close together
     * on the COW with one read, and each is written with one positional write: a {@code pwrite} per
     * run instead of a seek, a {@code sendfile} and the {@code fstat} the JDK makes before each transfer
     * (three system calls, ~20,000 times per GiB of scattered 4 KiB exceptions).
     */
    private static void patch(
            SnapshotCore core, long[] runs, int from, int to, long at, long base, FileChannel target, ByteBuffer buffer)
            throws IOException {
        long bufferSectors = buffer.capacity() >>> ChunkSize.SECTOR_SHIFT;
        int m = from;
        while (m < to) {
            if (runs[m] < 0) {
                at += runs[m + 1];
                m += 2;
                continue;
            }
            if (runs[m + 1] > bufferSectors) {
                // Only with a test's patch limit: a run larger than the buffer goes as a kernel copy.
                target.position(base + (at << ChunkSize.SECTOR_SHIFT));
                transfer(core, runs[m], at, runs[m + 1], target);
                at += runs[m + 1];
                m += 2;
                continue;
            }
            // The batch: this run and the next COW runs that follow it on the COW within a short gap.
            long cowStart = runs[m];
            long cowEnd = cowStart + runs[m + 1];
            int last = m;
            for (int k = m + 2; k < to; k += 2) {
                if (runs[k] < 0) {
                    continue;
                }
                long end = runs[k] + runs[k + 1];
                if (runs[k] < cowEnd || runs[k] - cowEnd > BATCH_GAP_SECTORS || end - cowStart > bufferSectors) {
                    break;
                }
                cowEnd = end;
                last = k;
            }
            buffer.clear().limit((int) ((cowEnd - cowStart) << ChunkSize.SECTOR_SHIFT));
            try {
                core.cow.read(cowStart, buffer);
            } catch (IOException e) {
                throw new ReadException(at << ChunkSize.SECTOR_SHIFT, e);
            }
            for (; m <= last; m += 2) {
                if (runs[m] >= 0) {
                    int offset = (int) ((runs[m] - cowStart) << ChunkSize.SECTOR_SHIFT);
                    buffer.limit(offset + (int) (runs[m + 1] << ChunkSize.SECTOR_SHIFT))
                            .position(offset);
                    long position = base + (at << ChunkSize.SECTOR_SHIFT);
                    while (buffer.hasRemaining()) {
                        position += target.write(buffer, position);
                    }
                }
                at += runs[m + 1];
            }
        }
    }

    /** One run at the target's position: from the COW at {@code cowSector}, or (when negative) the origin. */
    private static void transfer(
            SnapshotCore core, long cowSector, long sector, long sectors, WritableByteChannel target)
            throws IOException {
        BlockDevice device = cowSector >= 0 ? core.cow : core.origin.device();
        try {
            device.transferTo(cowSector >= 0 ? cowSector : sector, sectors << ChunkSize.SECTOR_SHIFT, target);
        } catch (IOException e) {
            throw new ReadException(sector << ChunkSize.SECTOR_SHIFT, e);
        }
    }
}
