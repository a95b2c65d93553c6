package dev.snapstore.testkit;

import dev.snapstore.spi.BlockDevice;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Objects;

/**
 * A window of another device, as a device-mapper {@code linear} target maps one: sectors
 * {@code [offset, offset + length)} of the parent appear as sectors {@code [0, length)}. Used to
 * open a logical volume inside a fixture's PV image (s7-lvm2).
 */
public final class BlockDeviceSlice implements BlockDevice {

    private final BlockDevice parent;
    private final long offset;
    private final long length;

    /**
     * Creates the window.
     *
     * @param parent the device that holds the data
     * @param offset the first sector of the window on the parent
     * @param length the window's size in sectors
     */
    public BlockDeviceSlice(BlockDevice parent, long offset, long length) {
        this.parent = Objects.requireNonNull(parent, "parent");
        if (offset < 0 || length < 0) {
            throw new IllegalArgumentException("offset " + offset + ", length " + length);
        }
        this.offset = offset;
        this.length = length;
    }

    @Override
    public long sizeInSectors() {
        return Math.max(0, Math.min(length, parent.sizeInSectors() - offset));
    }

    @Override
    public int logicalBlockSize() {
        return parent.logicalBlockSize();
    }

    @Override
    public void read(long sector, ByteBuffer dst) throws IOException {
        BlockDevice.checkRange(this, sector, dst.remaining());
        parent.read(offset + sector, dst);
    }

    @Override
    public void write(long sector, ByteBuffer src) throws IOException {
        BlockDevice.checkRange(this, sector, src.remaining());
        parent.write(offset + sector, src);
    }

    @Override
    public void flush() throws IOException {
        parent.flush();
    }

    @Override
    public boolean isReadOnly() {
        return parent.isReadOnly();
    }

    @Override
    public String name() {
        return parent.name() + "[" + offset + "+" + length + "]";
    }

    /** Does not close the parent, which belongs to the caller. */
    @Override
    public void close() {}
}
