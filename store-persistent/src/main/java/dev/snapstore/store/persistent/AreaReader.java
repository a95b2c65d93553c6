package dev.snapstore.store.persistent;

import dev.snapstore.cow.AreaStream;
import dev.snapstore.cow.CowFormat;
import dev.snapstore.spi.BlockDevice;
import dev.snapstore.spi.ChunkSize;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Reads metadata areas one after the other for {@code read_exceptions}, reading ahead the way the
 * kernel's dm-bufio prefetch does: up to {@link DiskFormat#DM_PREFETCH_CHUNKS} areas beyond the one
 * being decoded, never past the end of the device.
 *
 * <p>Metadata areas are one chunk each, spaced {@code exceptions_per_area + 1} chunks apart, so
 * they cannot be merged into larger reads; reading ahead on a few threads keeps several reads in
 * flight, as the kernel's asynchronous prefetch does. Handing each area between threads costs more
 * than a read served from the page cache, though, so read-ahead is adaptive: the first
 * {@link #PREFETCH_FROM_AREA} areas are read synchronously and timed; if those reads averaged at
 * least {@link #SLOW_READ_NANOS} (a device with real latency) a few threads read an area each,
 * otherwise one thread reads groups of areas ahead ({@link AreaStream}: a 10 M-record load reads
 * its 39,000 areas while it decodes them). Small tables therefore never start a thread. Memory is
 * bounded by {@link #PREFETCH_BUDGET_BYTES} plus one chunk, or the stream's groups, whatever the
 * device claims.
 *
 * <p>Not thread-safe; one reader serves one load and is closed at its end.
 */
final class AreaReader implements AutoCloseable {

    /** At most this many bytes of read-ahead buffers (besides the one being decoded). */
    static final long PREFETCH_BUDGET_BYTES = 16L << 20;
    /** Read-ahead may start when this area index is requested; the areas before it are timed. */
    static final long PREFETCH_FROM_AREA = 16;
    /** Average synchronous area read time from which reading ahead on threads pays off. */
    static final long SLOW_READ_NANOS = 40_000;
    /** Reader threads; enough for a few reads in flight without flooding a small machine. */
    static final int PREFETCH_THREADS = 4;

    private static final AtomicInteger THREAD_NUMBER = new AtomicInteger();

    private final BlockDevice cow;
    private final int chunkSize;
    private final int exceptionsPerArea;
    private final int window;
    private final ByteBuffer[] slots;
    private final long[] slotArea;
    private final Future<?>[] slotRead;
    private ExecutorService pool;
    private AreaStream stream;
    private long nextToPrefetch;
    private boolean prefetchStopped;
    private boolean prefetchDecided;
    private long syncReadNanos;
    private final long chunkLimit;

    /** When to read ahead on threads. */
    enum ReadAhead {
        /** Never: every area is read when it is needed. */
        OFF,
        /** When the first areas were slow to read (the default). */
        ADAPTIVE,
        /** From {@link #PREFETCH_FROM_AREA} on, however fast the device is (for tests). */
        ALWAYS
    }

    private final ReadAhead mode;

    /**
     * Creates a reader.
     *
     * @param cow the COW device
     * @param chunkSize the chunk size in sectors
     * @param exceptionsPerArea records per area
     * @param mode when to read ahead
     */
    AreaReader(BlockDevice cow, int chunkSize, int exceptionsPerArea, ReadAhead mode) {
        this.mode = mode;
        boolean prefetch = mode != ReadAhead.OFF;
        this.cow = cow;
        this.chunkSize = chunkSize;
        this.exceptionsPerArea = exceptionsPerArea;
        long chunkBytes = (long) chunkSize << ChunkSize.SECTOR_SHIFT;
        this.window = prefetch ? (int) Math.min(DiskFormat.DM_PREFETCH_CHUNKS, PREFETCH_BUDGET_BYTES / chunkBytes) : 0;
        this.slots = new ByteBuffer[window + 1];
        this.slotArea = new long[window + 1];
        this.slotRead = new Future<?>[window + 1];
        this.chunkLimit = Long.MAX_VALUE / chunkSize;
    }

    /**
     * Reads area {@code area}. The buffer returned stays valid until the next call.
     *
     * @param area the area index; calls must ask for 0, 1, 2, ... in order
     * @return the area's bytes, little-endian, position 0, limit one chunk
     * @throws IOException when the area cannot be read, including when it lies beyond the end of
     *     the device
     */
    ByteBuffer read(long area) throws IOException {
        if (stream != null) {
            ByteBuffer ahead = stream.next();
            if (ahead != null) {
                return ahead;
            }
            // beyond the device's end: the read below produces the error
        } else if (window > 0 && area >= PREFETCH_FROM_AREA && (pool != null || decideToPrefetch())) {
            prefetchUpTo(area);
        } else if (window > 0 && area == PREFETCH_FROM_AREA) {
            // A fast device (the page cache): one thread reads groups of areas ahead.
            stream = new AreaStream(cow, chunkSize, area);
            return read(area);
        }
        int slot = (int) Long.remainderUnsigned(area, slots.length);
        Future<?> pending = slotRead[slot];
        if (pending != null && slotArea[slot] == area) {
            slotRead[slot] = null;
            await(pending);
            return slots[slot].clear();
        }
        // Not read ahead (small table, fast device, read-ahead off, or beyond the device end): read
        // it now, which is also how the error for an area beyond the end is produced.
        long location = CowFormat.areaLocation(exceptionsPerArea, area);
        ByteBuffer buffer = slots[slot];
        if (buffer == null || Long.compareUnsigned(location, chunkLimit) > 0) {
            // Range-check before allocating, so a header claiming a huge chunk size on a small
            // device fails without a chunk-sized allocation; afterwards the device's own check
            // of each read suffices.
            DiskFormat.checkedChunkSector(cow, location, chunkSize);
            buffer = buffer(slot);
        }
        long start = prefetchDecided ? 0 : System.nanoTime();
        cow.read(location * chunkSize, buffer.clear());
        if (!prefetchDecided) {
            syncReadNanos += System.nanoTime() - start;
        }
        return buffer.clear();
    }

    /** Decides once, from the timed synchronous reads so far, whether reading ahead pays off. */
    private boolean decideToPrefetch() {
        if (prefetchDecided) {
            return false;
        }
        prefetchDecided = true;
        return mode == ReadAhead.ALWAYS || syncReadNanos / PREFETCH_FROM_AREA >= SLOW_READ_NANOS;
    }

    private void prefetchUpTo(long area) {
        if (pool == null) {
            pool = Executors.newFixedThreadPool(Math.min(window, PREFETCH_THREADS), daemonThreads());
            nextToPrefetch = area + 1;
        }
        // Like the kernel: keep up to DM_PREFETCH_CHUNKS areas ahead; stop at the device end.
        long chunks = cow.sizeInSectors() / chunkSize;
        while (!prefetchStopped && nextToPrefetch <= area + window) {
            long location = CowFormat.areaLocation(exceptionsPerArea, nextToPrefetch);
            if (Long.compareUnsigned(location, chunks) >= 0 || nextToPrefetch == 0) {
                prefetchStopped = true;
                break;
            }
            int slot = (int) Long.remainderUnsigned(nextToPrefetch, slots.length);
            ByteBuffer buffer = buffer(slot);
            long ahead = nextToPrefetch;
            slotArea[slot] = ahead;
            slotRead[slot] = pool.submit(() -> {
                try {
                    DiskFormat.readChunk(cow, CowFormat.areaLocation(exceptionsPerArea, ahead), chunkSize, buffer);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
            nextToPrefetch++;
        }
    }

    private ByteBuffer buffer(int slot) {
        if (slots[slot] == null) {
            // Direct, so that file reads need no copy through a temporary buffer.
            slots[slot] = ByteBuffer.allocateDirect(chunkSize << ChunkSize.SECTOR_SHIFT)
                    .order(ByteOrder.LITTLE_ENDIAN);
        }
        return slots[slot];
    }

    private static void await(Future<?> read) throws IOException {
        try {
            read.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while reading snapshot metadata");
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof UncheckedIOException u) {
                throw u.getCause();
            }
            if (cause instanceof RuntimeException r) {
                throw r;
            }
            if (cause instanceof Error err) {
                throw err;
            }
            throw new IOException(cause);
        }
    }

    /** Stops the read-ahead and waits for reads in flight, so no read outlives the load. */
    @Override
    public void close() {
        if (stream != null) {
            stream.close();
        }
        if (pool == null) {
            return;
        }
        for (int i = 0; i < slotRead.length; i++) {
            if (slotRead[i] != null) {
                slotRead[i].cancel(false);
            }
        }
        pool.shutdown();
        boolean interrupted = false;
        while (true) {
            try {
                // Cancelling does not stop a read that already started; wait for those.
                if (pool.awaitTermination(1, TimeUnit.MINUTES)) {
                    break;
                }
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    private static ThreadFactory daemonThreads() {
        return runnable -> {
            Thread t = new Thread(runnable, "snapstore-metadata-readahead-" + THREAD_NUMBER.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }
}
