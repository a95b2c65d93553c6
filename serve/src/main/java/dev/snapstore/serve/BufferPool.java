package dev.snapstore.serve;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Direct buffers reused across requests, in power-of-two size classes: a socket read or write from
 * a direct buffer needs no copy, and allocating direct memory per request is slow.
 */
final class BufferPool {
    private static final int MIN_SHIFT = 12;
    private static final int CLASSES = 32 - MIN_SHIFT;
    /** Kept buffers per size class; the rest go to the garbage collector. */
    private static final int KEEP = 16;

    private final List<ConcurrentLinkedQueue<ByteBuffer>> free = new ArrayList<>();
    private final AtomicInteger[] kept = new AtomicInteger[CLASSES];

    BufferPool() {
        for (int i = 0; i < CLASSES; i++) {
            free.add(new ConcurrentLinkedQueue<>());
            kept[i] = new AtomicInteger();
        }
    }

    /** A cleared buffer with at least {@code size} bytes, its limit at {@code size}. */
    ByteBuffer get(int size) {
        int c = sizeClass(size);
        ByteBuffer b = free.get(c).poll();
        if (b == null) {
            b = ByteBuffer.allocateDirect(1 << (c + MIN_SHIFT));
        } else {
            kept[c].decrementAndGet();
        }
        b.clear().limit(size);
        return b;
    }

    /** Gives a buffer from {@link #get} back; it must not be used afterwards. */
    void put(ByteBuffer b) {
        int c = sizeClass(b.capacity());
        if (1 << (c + MIN_SHIFT) == b.capacity() && kept[c].incrementAndGet() <= KEEP) {
            free.get(c).offer(b);
        } else if (1 << (c + MIN_SHIFT) == b.capacity()) {
            kept[c].decrementAndGet();
        }
    }

    private static int sizeClass(int size) {
        int bits = 32 - Integer.numberOfLeadingZeros(Math.max(size, 1) - 1);
        return Math.max(0, bits - MIN_SHIFT);
    }
}
