package dev.snapstore.engine;

import dev.snapstore.spi.BlockDevice;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A device wrapper for tests: counts reads and writes, fails them on demand, and lets a test run
 * code before each transfer (to block it, or to widen a race).
 */
class HookedDevice implements BlockDevice {

    /** Runs before a transfer; may throw to fail it. */
    @FunctionalInterface
    interface Hook {
        void before(boolean write, long sector, int sectors) throws IOException;
    }

    private final BlockDevice inner;
    final AtomicLong reads = new AtomicLong();
    final AtomicLong writes = new AtomicLong();
    final AtomicLong flushes = new AtomicLong();
    volatile Hook hook = (write, sector, sectors) -> { };
    volatile boolean failFlush;

    HookedDevice(BlockDevice inner) {
        this.inner = inner;
    }

    static Hook failWritesFrom(long firstSector) {
        return (write, sector, sectors) -> {
            if (write && sector + sectors > firstSector) {
                throw new IOException("injected write error at sector " + sector);
            }
        };
    }

    static Hook failReadsFrom(long firstSector) {
        return (write, sector, sectors) -> {
            if (!write && sector + sectors > firstSector) {
                throw new IOException("injected read error at sector " + sector);
            }
        };
    }

    @Override
    public long sizeInSectors() {
        return inner.sizeInSectors();
    }

    @Override
    public int logicalBlockSize() {
        return inner.logicalBlockSize();
    }

    @Override
    public void read(long sector, ByteBuffer dst) throws IOException {
        hook.before(false, sector, dst.remaining() >>> 9);
        reads.incrementAndGet();
        inner.read(sector, dst);
    }

    @Override
    public void write(long sector, ByteBuffer src) throws IOException {
        hook.before(true, sector, src.remaining() >>> 9);
        writes.incrementAndGet();
        inner.write(sector, src);
    }

    @Override
    public void flush() throws IOException {
        flushes.incrementAndGet();
        if (failFlush) {
            throw new IOException("injected flush error");
        }
        inner.flush();
    }

    @Override
    public boolean isReadOnly() {
        return inner.isReadOnly();
    }

    @Override
    public String name() {
        return inner.name();
    }

    @Override
    public void close() throws IOException {
        inner.close();
    }
}
