package dev.snapstore.serve;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Direct buffers reused across requests, in power-of-two size classes: a socket read or write from
 * a direct buffer needs no copy, and allocating direct memory per request is slow. What is kept is
 * bounded in bytes, not in buffers, and the bound covers a client's whole pipeline (nbdcopy keeps 64
 * requests of 256 KiB in flight per connection): with a count of 16 per class, three requests in
 * four got fresh memory, which the kernel faults in and zeroes page by page (22 page faults per
 * 256 KiB read, 2.2x the server CPU of nbdkit's file plugin per byte).
 */
final class BufferPool {
    private static final int MIN_SHIFT = 12;
    private static final int CLASSES = 32 - MIN_SHIFT;
    /** The most bytes kept for later requests; the rest go to the garbage collector. */
    private static final long KEEP_BYTES = 64L << 20;

    private final List<ConcurrentLinkedQueue<ByteBuffer>> free = new ArrayList<>();
    private final AtomicLong kept = new AtomicLong();

    BufferPool() {
        for (int i = 0; i < CLASSES; i++) {
            free.add(new ConcurrentLinkedQueue<>());
        }
    }

    /** A cleared buffer with at least {@code size} bytes, its limit at {@code size}. */
    ByteBuffer get(int size) {
        int c = sizeClass(size);
        ByteBuffer b = free.get(c).poll();
        if (b == null) {
            b = ByteBuffer.allocateDirect(1 << (c + MIN_SHIFT));
        } else {
            kept.addAndGet(-b.capacity());
        }
        b.clear().limit(size);
        return b;
    }

    /** Gives a buffer from {@link #get} back; it must not be used afterwards. */
    void put(ByteBuffer b) {
        int c = sizeClass(b.capacity());
        if (1 << (c + MIN_SHIFT) != b.capacity()) {
            return;
        }
        if (kept.addAndGet(b.capacity()) <= KEEP_BYTES) {
            free.get(c).offer(b);
        } else {
            kept.addAndGet(-b.capacity());
        }
    }

    private static int sizeClass(int size) {
        int bits = 32 - Integer.numberOfLeadingZeros(Math.max(size, 1) - 1);
        return Math.max(0, bits - MIN_SHIFT);
    }
}
