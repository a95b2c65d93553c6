package dev.snapstore.serve;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * A sparse export in memory, allocated one preferred block at a time: unwritten blocks are holes
 * that read as zero, {@link #writeZeroes} with {@code mayTrim} and {@link #trim} deallocate whole
 * blocks. Block status is exact. Thread-safe; durable only as long as the process lives.
 *
 * @since 0.1
 */
public final class MemoryExport implements NbdExport {
    /** A hole's bytes, copied out in pieces of at most this length. */
    private static final byte[] ZEROES = new byte[1 << 16];

    private final String name;
    private final long size;
    private final int minimumBlockSize;
    private final int blockSize;
    private final int blockShift;
    private final boolean readOnly;
    private final AtomicReferenceArray<byte[]> blocks;

    /**
     * An empty (all-hole) writable export.
     *
     * @param name the export name
     * @param size the size in bytes, a multiple of {@code minimumBlockSize}
     * @param minimumBlockSize the logical block size, a power of two up to 65536
     * @param preferredBlockSize the allocation unit, a power of two at least 512 and at least the minimum
     */
    public MemoryExport(String name, long size, int minimumBlockSize, int preferredBlockSize) {
        this(name, size, minimumBlockSize, preferredBlockSize, false);
    }

    private MemoryExport(String name, long size, int minimumBlockSize, int preferredBlockSize, boolean readOnly) {
        this.name = Objects.requireNonNull(name, "name");
        if (Integer.bitCount(minimumBlockSize) != 1 || minimumBlockSize > 65536) {
            throw new IllegalArgumentException(
                    "minimum block size must be a power of two up to 65536: " + minimumBlockSize);
        }
        if (Integer.bitCount(preferredBlockSize) != 1 || preferredBlockSize < Math.max(512, minimumBlockSize)) {
            throw new IllegalArgumentException("bad preferred block size: " + preferredBlockSize);
        }
        if (size < 0 || size % minimumBlockSize != 0) {
            throw new IllegalArgumentException("size must be a multiple of " + minimumBlockSize + ": " + size);
        }
        long count = (size + preferredBlockSize - 1) / preferredBlockSize;
        if (count > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("too large for memory: " + size);
        }
        this.size = size;
        this.minimumBlockSize = minimumBlockSize;
        this.blockSize = preferredBlockSize;
        this.blockShift = Integer.numberOfTrailingZeros(preferredBlockSize);
        this.readOnly = readOnly;
        this.blocks = new AtomicReferenceArray<>((int) count);
    }

    private MemoryExport(MemoryExport shared) {
        this.name = shared.name;
        this.size = shared.size;
        this.minimumBlockSize = shared.minimumBlockSize;
        this.blockSize = shared.blockSize;
        this.blockShift = shared.blockShift;
        this.readOnly = true;
        this.blocks = shared.blocks;
    }

    /**
     * A read-only view of the same bytes, under the same name.
     *
     * @return an export that refuses writes and sees this one's
     */
    public MemoryExport readOnlyView() {
        return new MemoryExport(this);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    public int minimumBlockSize() {
        return minimumBlockSize;
    }

    @Override
    public int preferredBlockSize() {
        return blockSize;
    }

    @Override
    public boolean isReadOnly() {
        return readOnly;
    }

    @Override
    public boolean canTrim() {
        return !readOnly;
    }

    @Override
    public void read(long offset, ByteBuffer dst) {
        long pos = offset;
        while (dst.hasRemaining()) {
            int index = (int) (pos >>> blockShift);
            int within = (int) (pos & (blockSize - 1));
            int n = Math.min(dst.remaining(), blockSize - within);
            byte[] block = blocks.get(index);
            if (block == null) {
                n = Math.min(n, ZEROES.length);
                dst.put(ZEROES, 0, n);
            } else {
                dst.put(block, within, n);
            }
            pos += n;
        }
    }

    @Override
    public void write(long offset, ByteBuffer src, boolean fua) throws NbdException {
        checkWritable();
        long pos = offset;
        while (src.hasRemaining()) {
            int index = (int) (pos >>> blockShift);
            int within = (int) (pos & (blockSize - 1));
            int n = Math.min(src.remaining(), blockSize - within);
            src.get(allocate(index), within, n);
            pos += n;
        }
    }

    private byte[] allocate(int index) {
        byte[] block = blocks.get(index);
        if (block == null) {
            byte[] fresh = new byte[blockSize];
            block = blocks.compareAndSet(index, null, fresh) ? fresh : blocks.get(index);
            if (block == null) { // deallocated by a concurrent trim of this range: the order is free
                return allocate(index);
            }
        }
        return block;
    }

    @Override
    public void flush() {
        // memory is as durable as it gets
    }

    @Override
    public void writeZeroes(long offset, long length, boolean fua, boolean mayTrim) throws NbdException {
        checkWritable();
        zero(offset, length, mayTrim);
    }

    @Override
    public void trim(long offset, long length, boolean fua) throws NbdException {
        checkWritable();
        zero(offset, length, true);
    }

    private void zero(long offset, long length, boolean deallocate) {
        long pos = offset;
        long end = offset + length;
        while (pos < end) {
            int index = (int) (pos >>> blockShift);
            int within = (int) (pos & (blockSize - 1));
            int n = (int) Math.min(end - pos, blockSize - within);
            if (deallocate && n == blockSize) {
                blocks.set(index, null);
            } else {
                byte[] block = deallocate ? blocks.get(index) : allocate(index);
                if (block != null) {
                    Arrays.fill(block, within, within + n, (byte) 0);
                }
            }
            pos += n;
        }
    }

    @Override
    public List<Extent> blockStatus(long offset, long length) {
        List<Extent> extents = new ArrayList<>();
        long pos = offset;
        long end = Math.min(size, offset + length);
        int runFlags = -1;
        long runStart = pos;
        while (pos < end) {
            int index = (int) (pos >>> blockShift);
            long next = Math.min(size, ((long) index + 1) << blockShift);
            int flags = blocks.get(index) == null ? Extent.HOLE | Extent.ZERO : 0;
            if (flags != runFlags && runFlags != -1) {
                extents.add(new Extent(pos - runStart, runFlags));
                runStart = pos;
            }
            runFlags = flags;
            pos = next;
        }
        extents.add(new Extent(pos - runStart, runFlags));
        return extents;
    }

    @Override
    public void close() {
        // nothing to release; the blocks stay readable through other views
    }

    private void checkWritable() throws NbdException {
        if (readOnly) {
            throw new NbdException(NbdError.EPERM, "export " + name + " is read-only");
        }
    }
}
