package dev.snapstore.cow;

import dev.snapstore.spi.BlockDevice;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Reads a COW's header and its metadata areas one at a time into one reused chunk buffer, so that
 * memory stays at one chunk whatever the size of the device. Read-only; not thread-safe.
 */
public final class CowAreaReader {

    private final BlockDevice cow;
    private final int chunkSize;
    private final int exceptionsPerArea;
    private ByteBuffer buffer;

    /**
     * Creates a reader for a COW whose chunk size is known (from its header).
     *
     * @param cow the COW device
     * @param chunkSize the chunk size in sectors, a power of two
     */
    public CowAreaReader(BlockDevice cow, int chunkSize) {
        if (chunkSize <= 0 || Integer.bitCount(chunkSize) != 1 || chunkSize > (1 << 21)) {
            throw new IllegalArgumentException(
                    "chunk size " + chunkSize + " is not a power of two of at most 2^21 sectors");
        }
        this.cow = cow;
        this.chunkSize = chunkSize;
        this.exceptionsPerArea = CowFormat.exceptionsPerArea(chunkSize);
    }

    /**
     * Reads the 16 header bytes from sector 0.
     *
     * @param cow the COW device, at least one sector long
     * @return the header
     * @throws IOException on an I/O error or an empty device
     */
    public static CowHeader readHeader(BlockDevice cow) throws IOException {
        if (cow.sizeInSectors() < 1) {
            throw new IOException("too small to hold a snapshot header (less than one 512-byte sector)");
        }
        ByteBuffer sector = ByteBuffer.allocate(512).order(ByteOrder.LITTLE_ENDIAN);
        cow.read(0, sector);
        return CowHeader.decode(sector.clear());
    }

    /** @return the chunk size in sectors */
    public int chunkSize() {
        return chunkSize;
    }

    /** @return records per area */
    public int exceptionsPerArea() {
        return exceptionsPerArea;
    }

    /** @return how many whole chunks the device holds */
    public long chunks() {
        return cow.sizeInSectors() / chunkSize;
    }

    /**
     * @param area the area index
     * @return whether the area's whole chunk lies on the device
     */
    public boolean areaFits(long area) {
        long location = CowFormat.areaLocation(exceptionsPerArea, area);
        return location > 0 && Long.compareUnsigned(location, chunks()) < 0;
    }

    /**
     * Reads one metadata area. The buffer returned stays valid until the next call.
     *
     * @param area the area index
     * @return the area's bytes, little-endian, position 0, limit one chunk
     * @throws IOException on an I/O error, or when the area does not lie wholly on the device
     */
    public ByteBuffer readArea(long area) throws IOException {
        if (!areaFits(area)) {
            throw new IOException("metadata area " + Long.toUnsignedString(area) + " (chunk "
                    + Long.toUnsignedString(CowFormat.areaLocation(exceptionsPerArea, area))
                    + ") lies beyond the end of the device");
        }
        if (buffer == null) {
            buffer = ByteBuffer.allocate(chunkSize << CowFormat.SECTOR_SHIFT).order(ByteOrder.LITTLE_ENDIAN);
        }
        cow.read(CowFormat.areaLocation(exceptionsPerArea, area) * chunkSize, buffer.clear());
        return buffer.clear();
    }
}
