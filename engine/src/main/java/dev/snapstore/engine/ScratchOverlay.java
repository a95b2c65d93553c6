package dev.snapstore.engine;

import dev.snapstore.spi.BlockDevice;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import java.util.Arrays;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A device seen through an in-memory layer that takes the writes: what a
 * {@linkplain Activation.Access#READ_ONLY read-only} {@link Activation} gives the store, so that
 * activating a snapshot whose COW the kernel would initialise (magic 0) shows the kernel's view
 * without writing a byte to the image. Reads see the layer's sectors over the device's.
 *
 * <p>Writes are kept per sector; a sector of zeros is kept as one shared array, because the only
 * large writes a store makes on activation zero a metadata area. The layer is safe to use from
 * many threads. {@link #flush()} does nothing; {@link #close()} drops the layer and leaves the
 * device open.
 *
 * @since 0.2
 */
public final class ScratchOverlay implements BlockDevice {

    private static final int SECTOR = 512;
    private static final byte[] ZEROS = new byte[SECTOR];

    private final BlockDevice base;
    private final Map<Long, byte[]> written = new ConcurrentHashMap<>();

    /**
     * Lays an empty layer over a device.
     *
     * @param base the device whose bytes show where nothing was written; it is never written
     */
    public ScratchOverlay(BlockDevice base) {
        this.base = Objects.requireNonNull(base, "base");
    }

    /**
     * Whether anything was written to the layer (and so not to the device).
     *
     * @return {@code true} after the first write
     */
    public boolean wroteAnything() {
        return !written.isEmpty();
    }

    @Override
    public long sizeInSectors() {
        return base.sizeInSectors();
    }

    @Override
    public int logicalBlockSize() {
        return base.logicalBlockSize();
    }

    @Override
    public void read(long sector, ByteBuffer dst) throws IOException {
        BlockDevice.checkRange(this, sector, dst.remaining());
        if (written.isEmpty()) {
            base.read(sector, dst);
            return;
        }
        int start = dst.position();
        int count = dst.remaining() / SECTOR;
        base.read(sector, dst.duplicate());
        for (int i = 0; i < count; i++) {
            byte[] data = written.get(sector + i);
            if (data != null) {
                dst.put(start + i * SECTOR, data);
            }
        }
        dst.position(dst.limit());
    }

    /** Straight from the device (its kernel copy) while the layer is empty. */
    @Override
    public void transferTo(long sector, long bytes, WritableByteChannel target) throws IOException {
        if (written.isEmpty()) {
            base.transferTo(sector, bytes, target);
        } else {
            BlockDevice.super.transferTo(sector, bytes, target);
        }
    }

    @Override
    public void write(long sector, ByteBuffer src) throws IOException {
        BlockDevice.checkRange(this, sector, src.remaining());
        int count = src.remaining() / SECTOR;
        for (int i = 0; i < count; i++) {
            byte[] data = new byte[SECTOR];
            src.get(data);
            written.put(sector + i, Arrays.equals(data, ZEROS) ? ZEROS : data);
        }
    }

    @Override
    public void flush() {
        // Nothing reaches the image.
    }

    /**
     * The layer takes writes.
     *
     * @return {@code false}
     */
    @Override
    public boolean isReadOnly() {
        return false;
    }

    @Override
    public String name() {
        return base.name();
    }

    /**
     * The device's identity: the layer shows its bytes, so it counts as that device.
     *
     * @return {@code base.identity()}
     */
    @Override
    public Object identity() {
        return base.identity();
    }

    /** Drops what was written; the device stays open. */
    @Override
    public void close() {
        written.clear();
    }
}
