package dev.snapstore.cow;

import dev.snapstore.spi.BlockDevice;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A COW's metadata areas, read ahead of their use on one background thread, many areas per
 * hand-over. For tables of millions of records on a device that answers at once (the page cache):
 * there a read per area is most of a load's or a check's time (10 M records: 39,000 reads, 0.05 s),
 * and handing each area between threads would cost more than reading it; groups of areas make the
 * reads overlap the decoding at the price of a few hand-overs.
 *
 * <p>Areas are read in order from the first one asked for, while they lie on the device; the
 * stream does not know where the table ends, so it reads ahead past it (read-only) until the
 * device ends or {@link #close()} (the first groups are small, so that a short table is not read
 * far past its end). A read that fails ends the read-ahead; its failure is thrown when its area is
 * asked for. {@link #close()} waits for the read in flight, so that no read outlives the stream.
 * Memory: {@value #GROUPS} groups of {@value #GROUP_BYTES} bytes (at least one area each). One
 * consumer; not thread-safe.
 */
public final class AreaStream implements AutoCloseable {

    /** The bytes of areas one hand-over carries, at least one area. */
    public static final int GROUP_BYTES = 1 << 20;
    /** Groups: one being decoded, the others being read or waiting. */
    static final int GROUPS = 4;
    /** Areas in the first group; each next one holds twice as many, up to {@link #GROUP_BYTES}. */
    static final int FIRST_GROUP_AREAS = 16;

    /**
     * How long a wait polls before it parks: about the read of a whole group from the page cache.
     * None on one processor, where polling would take the reader's time.
     */
    private static final long SPIN_NANOS = Runtime.getRuntime().availableProcessors() > 1 ? 1_000_000 : 0;

    private static final AtomicInteger THREADS = new AtomicInteger();

    private final BlockingQueue<Group> free = new ArrayBlockingQueue<>(GROUPS + 1);
    private final BlockingQueue<Group> filled = new ArrayBlockingQueue<>(GROUPS);
    private final Thread reader;
    private volatile boolean closed;
    private Group current;
    private int next;

    /**
     * Starts reading areas {@code firstArea}, {@code firstArea + 1}, ... ahead.
     *
     * @param cow the COW
     * @param chunkSize its chunk size in sectors, usable ({@link CowAreaReader})
     * @param firstArea the first area {@link #next()} returns
     */
    public AreaStream(BlockDevice cow, int chunkSize, long firstArea) {
        int chunkBytes = chunkSize << CowFormat.SECTOR_SHIFT;
        int areasPerGroup = Math.max(1, GROUP_BYTES / chunkBytes);
        for (int g = 0; g < GROUPS; g++) {
            free.add(new Group(chunkBytes, areasPerGroup));
        }
        int epa = CowFormat.exceptionsPerArea(chunkSize);
        reader = new Thread(
                () -> readAhead(cow, chunkSize, epa, firstArea),
                "snapstore-area-readahead-" + THREADS.incrementAndGet());
        reader.setDaemon(true);
        reader.start();
    }

    /**
     * The next area's bytes, little-endian, position 0, limit one chunk; valid until the next call.
     *
     * @return the bytes, or {@code null} when the area lies beyond the end of the device (the
     *     caller's own read of it produces its error)
     * @throws IOException what the area's read threw
     */
    public ByteBuffer next() throws IOException {
        if (current != null && next == current.count) {
            if (current.last) {
                return ended();
            }
            free.add(current);
            current = null;
        }
        if (current == null) {
            try {
                current = take(filled);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while reading metadata areas");
            }
            next = 0;
            if (current.count == 0) {
                return ended();
            }
        }
        return current.slot(next++);
    }

    /**
     * The consumer's wait for a group, polling first for about a group's read (on more than one
     * processor): a parked thread wakes tens to hundreds of microseconds late, and each hand-over
     * would pay it. It yields between polls rather than spinning on the processor, so that a reader
     * scheduled on the same processor is not starved (spinning made one load in three 50 % slower).
     */
    private static Group take(BlockingQueue<Group> queue) throws InterruptedException {
        if (SPIN_NANOS > 0) {
            long start = System.nanoTime();
            do {
                Group g = queue.poll();
                if (g != null) {
                    return g;
                }
                Thread.yield();
            } while (System.nanoTime() - start < SPIN_NANOS);
        }
        return queue.take();
    }

    private ByteBuffer ended() throws IOException {
        Throwable failure = current.failure;
        if (failure instanceof IOException e) {
            throw e;
        }
        if (failure instanceof RuntimeException e) {
            throw e;
        }
        if (failure instanceof Error e) {
            throw e;
        }
        return null;
    }

    private void readAhead(BlockDevice cow, int chunkSize, int epa, long firstArea) {
        long chunks = cow.sizeInSectors() / chunkSize;
        long area = firstArea;
        int groups = 0;
        while (true) {
            Group group;
            try {
                group = free.take(); // no spin: the consumer has the filled groups to go on with
            } catch (InterruptedException e) {
                return; // nobody interrupts this thread: a stream that cannot wait stops
            }
            if (closed) {
                return;
            }
            group.count = 0;
            group.last = false;
            group.failure = null;
            // The first groups are small, so that a short table is not read far past its end.
            int limit = Math.min(group.capacity, FIRST_GROUP_AREAS << Math.min(groups++, 8));
            while (group.count < limit && !closed) {
                long location = CowFormat.areaLocation(epa, area);
                if (location <= 0 || Long.compareUnsigned(location, chunks) >= 0) {
                    group.last = true;
                    break;
                }
                try {
                    cow.read(location * chunkSize, group.slot(group.count));
                } catch (IOException | RuntimeException | Error e) {
                    group.failure = e;
                    group.last = true;
                    break;
                }
                group.count++;
                area++;
            }
            filled.add(group); // never full: there are only GROUPS groups
            if (group.last) {
                return;
            }
        }
    }

    /** Stops the read-ahead and waits for the reads in flight to end; a second call does nothing. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        free.add(new Group(0, 0)); // wakes a reader waiting for a free group; it sees closed
        boolean interrupted = false;
        while (true) {
            try {
                reader.join();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** Consecutive areas' bytes, one buffer, with how many were read and how reading ended. */
    private static final class Group {

        private final ByteBuffer bytes;
        private final int chunkBytes;
        final int capacity;
        int count;
        boolean last;
        Throwable failure;

        Group(int chunkBytes, int capacity) {
            // Direct, so that file reads need no copy through a temporary buffer.
            this.bytes = ByteBuffer.allocateDirect(chunkBytes * capacity).order(ByteOrder.LITTLE_ENDIAN);
            this.chunkBytes = chunkBytes;
            this.capacity = capacity;
        }

        ByteBuffer slot(int i) {
            return bytes.slice(i * chunkBytes, chunkBytes).order(ByteOrder.LITTLE_ENDIAN);
        }
    }
}
