package dev.snapstore.serve;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongFunction;

/** A memory export that counts calls, can hold an operation at a gate and can fail on demand. */
final class RecordingExport implements NbdExport {
    final MemoryExport memory;
    final AtomicInteger flushes = new AtomicInteger();
    final AtomicInteger fuaWrites = new AtomicInteger();
    final AtomicInteger closes = new AtomicInteger();
    /** When set, a read or write at this offset waits for {@link #release} after counting down {@link #entered}. */
    volatile long gateOffset = -1;

    /** When set, each write counts it down, then waits (at most 10 s) until all have arrived: writes in the export at once. */
    volatile CountDownLatch together;

    final CountDownLatch entered = new CountDownLatch(1);
    final CountDownLatch release = new CountDownLatch(1);
    /** When set, maps a write offset to an exception to throw (or null to proceed). */
    volatile LongFunction<RuntimeException> runtimeFailure = o -> null;

    volatile LongFunction<NbdException> failure = o -> null;

    RecordingExport(String name, long size) {
        this.memory = new MemoryExport(name, size, 512, 4096);
    }

    private void gate(long offset) {
        if (offset == gateOffset) {
            entered.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public String name() {
        return memory.name();
    }

    @Override
    public String description() {
        return "recording " + memory.name();
    }

    @Override
    public long size() {
        return memory.size();
    }

    @Override
    public int minimumBlockSize() {
        return memory.minimumBlockSize();
    }

    @Override
    public int preferredBlockSize() {
        return memory.preferredBlockSize();
    }

    @Override
    public boolean isReadOnly() {
        return false;
    }

    @Override
    public boolean canTrim() {
        return true;
    }

    @Override
    public void read(long offset, ByteBuffer dst) throws NbdException {
        gate(offset);
        memory.read(offset, dst);
    }

    @Override
    public void write(long offset, ByteBuffer src, boolean fua) throws NbdException {
        gate(offset);
        CountDownLatch all = together;
        if (all != null) {
            all.countDown();
            try {
                all.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        NbdException f = failure.apply(offset);
        if (f != null) {
            throw f;
        }
        RuntimeException r = runtimeFailure.apply(offset);
        if (r != null) {
            throw r;
        }
        memory.write(offset, src, fua);
        if (fua) {
            fuaWrites.incrementAndGet();
        }
    }

    @Override
    public void flush() {
        flushes.incrementAndGet();
    }

    @Override
    public void writeZeroes(long offset, long length, boolean fua, boolean mayTrim) throws NbdException {
        memory.writeZeroes(offset, length, fua, mayTrim);
    }

    @Override
    public void trim(long offset, long length, boolean fua) throws NbdException {
        memory.trim(offset, length, fua);
    }

    @Override
    public List<Extent> blockStatus(long offset, long length) {
        return memory.blockStatus(offset, length);
    }

    @Override
    public void close() {
        closes.incrementAndGet();
    }
}
