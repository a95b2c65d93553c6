package dev.snapstore.spi;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A {@link BlockDevice} in memory, sparse: pages that were never written read as zeros and take no
 * memory, so tests can use devices far larger than the heap. Its size is fixed and it takes writes;
 * the testkit has a device whose size and read-only flag tests can change.
 *
 * @since 0.1
 */
public final class MemoryBlockDevice implements BlockDevice {

    private static final int PAGE_SHIFT = 16;
    private static final int PAGE_SIZE = 1 << PAGE_SHIFT;
    /** Read in place of pages never written; never written to. */
    private static final byte[] ZERO_PAGE = new byte[PAGE_SIZE];

    private final ConcurrentHashMap<Long, byte[]> pages = new ConcurrentHashMap<>();
    private final String name;
    private final int logicalBlockSize;
    private final long sizeInSectors;

    /**
     * Creates a zero-filled device with 512-byte blocks.
     *
     * @param name a name for messages
     * @param sizeInSectors the size in sectors
     */
    public MemoryBlockDevice(String name, long sizeInSectors) {
        this(name, sizeInSectors, ChunkSize.SECTOR_SIZE);
    }

    /**
     * Creates a zero-filled device.
     *
     * @param name a name for messages
     * @param sizeInSectors the size in sectors
     * @param logicalBlockSize the logical block size in bytes, a power of two of at least 512
     */
    public MemoryBlockDevice(String name, long sizeInSectors, int logicalBlockSize) {
        if (sizeInSectors < 0) {
            throw new IllegalArgumentException("size " + sizeInSectors);
        }
        if (logicalBlockSize < ChunkSize.SECTOR_SIZE || Integer.bitCount(logicalBlockSize) != 1) {
            throw new IllegalArgumentException("logical block size " + logicalBlockSize);
        }
        this.name = name;
        this.sizeInSectors = sizeInSectors;
        this.logicalBlockSize = logicalBlockSize;
    }

    @Override
    public long sizeInSectors() {
        return sizeInSectors;
    }

    @Override
    public int logicalBlockSize() {
        return logicalBlockSize;
    }

    @Override
    public void read(long sector, ByteBuffer dst) throws IOException {
        BlockDevice.checkRange(this, sector, dst.remaining());
        long position = sector << ChunkSize.SECTOR_SHIFT;
        while (dst.hasRemaining()) {
            int offset = (int) (position & (PAGE_SIZE - 1));
            int n = Math.min(dst.remaining(), PAGE_SIZE - offset);
            byte[] page = pages.get(position >>> PAGE_SHIFT);
            if (page == null) {
                // A page never written reads as zeros: one bulk copy, not a loop of byte puts.
                dst.put(ZERO_PAGE, 0, n);
            } else {
                synchronized (page) {
                    dst.put(page, offset, n);
                }
            }
            position += n;
        }
    }

    @Override
    public void write(long sector, ByteBuffer src) throws IOException {
        BlockDevice.checkRange(this, sector, src.remaining());
        long position = sector << ChunkSize.SECTOR_SHIFT;
        while (src.hasRemaining()) {
            int offset = (int) (position & (PAGE_SIZE - 1));
            int n = Math.min(src.remaining(), PAGE_SIZE - offset);
            byte[] page = pages.computeIfAbsent(position >>> PAGE_SHIFT, p -> new byte[PAGE_SIZE]);
            synchronized (page) {
                src.get(page, offset, n);
            }
            position += n;
        }
    }

    @Override
    public void flush() {
        // Memory is as durable as it gets.
    }

    @Override
    public boolean isReadOnly() {
        return false;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public void close() {
        // Nothing to release: the pages stay readable, which tests rely on after a store closes.
    }

    @Override
    public String toString() {
        return "MemoryBlockDevice[" + name + ", " + sizeInSectors + " sectors]";
    }
}
