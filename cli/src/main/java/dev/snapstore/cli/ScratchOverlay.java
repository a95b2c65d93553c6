package dev.snapstore.cli;

import dev.snapstore.spi.BlockDevice;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.Map;

/**
 * A read-only image seen through an in-memory layer that takes writes: what {@code status},
 * {@code read} and {@code export} give the store, so that activating a snapshot whose COW the
 * kernel would initialise (magic 0) shows the kernel's view without writing a byte to the file.
 *
 * <p>Writes are kept per sector; a sector of zeros is kept as one shared array, because the only
 * large writes a store makes on activation zero a metadata area.
 */
final class ScratchOverlay implements BlockDevice {

    private static final int SECTOR = 512;
    private static final byte[] ZEROS = new byte[SECTOR];

    private final BlockDevice base;
    private final Map<Long, byte[]> written = new HashMap<>();

    ScratchOverlay(BlockDevice base) {
        this.base = base;
    }

    /** @return whether anything was written to the layer (and so not to the image) */
    boolean wroteAnything() {
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

    @Override
    public void write(long sector, ByteBuffer src) throws IOException {
        BlockDevice.checkRange(this, sector, src.remaining());
        int count = src.remaining() / SECTOR;
        for (int i = 0; i < count; i++) {
            byte[] data = new byte[SECTOR];
            src.get(data);
            written.put(sector + i, java.util.Arrays.equals(data, ZEROS) ? ZEROS : data);
        }
    }

    @Override
    public void flush() {
        // Nothing reaches the image.
    }

    @Override
    public boolean isReadOnly() {
        return false;
    }

    @Override
    public String name() {
        return base.name();
    }

    @Override
    public void close() throws IOException {
        written.clear();
    }
}
