package dev.snapstore.testkit;

import dev.snapstore.spi.BlockDevice;
import dev.snapstore.spi.ChunkSize;
import dev.snapstore.spi.MemoryBlockDevice;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * A sparse memory device whose size and read-only flag a test can change, as a grown, shrunk or
 * read-only logical volume's do. Bytes beyond a shrunk end are forgotten: they read as zeros after
 * the device grows again. Safe for concurrent I/O; {@link #resize} and {@link #setReadOnly} are for
 * a test's own thread.
 */
public final class AdjustableMemoryDevice implements BlockDevice {

    /** The storage's size: far past any test's device, and free, because never-written pages take no memory. */
    private static final long CAPACITY_SECTORS = Long.MAX_VALUE >>> 10;

    private static final int ZERO_RUN_SECTORS = 128;

    private final MemoryBlockDevice storage;
    private volatile long sizeInSectors;
    private volatile boolean readOnly;
    /** One past the highest sector ever written: what a shrink must forget. */
    private volatile long written;

    /**
     * Creates a zero-filled device with 512-byte blocks.
     *
     * @param name a name for messages
     * @param sizeInSectors the size in sectors
     */
    public AdjustableMemoryDevice(String name, long sizeInSectors) {
        this(name, sizeInSectors, ChunkSize.SECTOR_SIZE);
    }

    /**
     * Creates a zero-filled device.
     *
     * @param name a name for messages
     * @param sizeInSectors the size in sectors
     * @param logicalBlockSize the logical block size in bytes, a power of two of at least 512
     */
    public AdjustableMemoryDevice(String name, long sizeInSectors, int logicalBlockSize) {
        if (sizeInSectors < 0 || sizeInSectors > CAPACITY_SECTORS) {
            throw new IllegalArgumentException("size " + sizeInSectors);
        }
        this.storage = new MemoryBlockDevice(name, CAPACITY_SECTORS, logicalBlockSize);
        this.sizeInSectors = sizeInSectors;
    }

    /**
     * Changes the size; bytes beyond a shrunk end are forgotten.
     *
     * @param sectors the new size in sectors
     */
    public synchronized void resize(long sectors) {
        if (sectors < 0 || sectors > CAPACITY_SECTORS) {
            throw new IllegalArgumentException("size " + sectors);
        }
        long end = Math.min(sizeInSectors, written);
        try {
            for (long s = sectors; s < end; s += ZERO_RUN_SECTORS) {
                int count = (int) Math.min(ZERO_RUN_SECTORS, end - s);
                storage.write(s, ByteBuffer.allocate(count << ChunkSize.SECTOR_SHIFT));
            }
        } catch (IOException e) {
            throw new IllegalStateException("memory cannot fail", e);
        }
        if (sectors < written) {
            written = sectors;
        }
        sizeInSectors = sectors;
    }

    /**
     * Refuses or allows writes from now on.
     *
     * @param readOnly {@code true} to refuse writes
     */
    public void setReadOnly(boolean readOnly) {
        this.readOnly = readOnly;
    }

    @Override
    public long sizeInSectors() {
        return sizeInSectors;
    }

    @Override
    public int logicalBlockSize() {
        return storage.logicalBlockSize();
    }

    @Override
    public void read(long sector, ByteBuffer dst) throws IOException {
        BlockDevice.checkRange(this, sector, dst.remaining());
        storage.read(sector, dst);
    }

    @Override
    public void write(long sector, ByteBuffer src) throws IOException {
        if (readOnly) {
            throw new IOException(name() + ": read-only");
        }
        BlockDevice.checkRange(this, sector, src.remaining());
        long end = sector + (src.remaining() >>> ChunkSize.SECTOR_SHIFT);
        synchronized (this) {
            if (end > written) {
                written = end;
            }
        }
        storage.write(sector, src);
    }

    @Override
    public void flush() {
        // Memory is as durable as it gets.
    }

    @Override
    public boolean isReadOnly() {
        return readOnly;
    }

    @Override
    public String name() {
        return storage.name();
    }

    @Override
    public void close() {
        // Nothing to release: the bytes stay readable after a store closes.
    }

    @Override
    public String toString() {
        return "AdjustableMemoryDevice[" + name() + ", " + sizeInSectors + " sectors]";
    }
}
