package dev.snapstore.cow.tools;

import dev.snapstore.cow.CowAreaReader;
import dev.snapstore.cow.CowFormat;
import dev.snapstore.cow.CowHeader;
import dev.snapstore.spi.BlockDevice;
import dev.snapstore.spi.ChunkSize;
import dev.snapstore.spi.ExceptionStore;
import dev.snapstore.spi.MetadataState;
import dev.snapstore.spi.StoreException;
import dev.snapstore.spi.Usage;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Formats a new persistent COW exactly as the kernel's first activation leaves it: the header
 * chunk and a zeroed metadata area 0, nothing else. The bytes are written by the persistent
 * store's own initialisation ({@code persistent_read_metadata} on a COW whose magic is 0), so they
 * have one home; this class clears the magic first and says what the COW held before.
 */
public final class CowCreate {

    /** What the start of a device holds that formatting would overwrite. */
    public sealed interface Content permits Blank, Header, Data {}

    /** Nothing: the header sector and the first two chunks are zero. */
    public record Blank() implements Content {}

    /**
     * A snapshot header with the kernel's magic.
     *
     * @param header the header
     */
    public record Header(CowHeader header) implements Content {}

    /**
     * A non-zero byte in the first two chunks (and no header).
     *
     * @param byteOffset where the first one is
     */
    public record Data(long byteOffset) implements Content {}

    private CowCreate() {}

    /**
     * The smallest COW for a chunk size: the header chunk and metadata area 0.
     *
     * @param chunkSize the chunk size in sectors
     * @return the size in bytes
     */
    public static long minimumBytes(int chunkSize) {
        return 2 * ((long) chunkSize << CowFormat.SECTOR_SHIFT);
    }

    /**
     * Looks at what formatting with this chunk size would overwrite: the header, then the first two
     * chunks (as far as the device reaches), in 64 KiB reads.
     *
     * @param cow the device
     * @param chunkSize the chunk size in sectors
     * @return what it holds
     * @throws IOException on a read error
     */
    public static Content inspect(BlockDevice cow, int chunkSize) throws IOException {
        long have = cow.sizeInSectors() << CowFormat.SECTOR_SHIFT;
        if (have >= ChunkSize.SECTOR_SIZE) {
            CowHeader header = CowAreaReader.readHeader(cow);
            if (header.hasMagic()) {
                return new Header(header);
            }
        }
        long check = Math.min(have, minimumBytes(chunkSize)) & ~511L;
        ByteBuffer buffer = ByteBuffer.allocate(64 * 1024);
        for (long at = 0; at < check; at += buffer.capacity()) {
            int n = (int) Math.min(buffer.capacity(), check - at);
            buffer.clear().limit(n);
            cow.read(at >> CowFormat.SECTOR_SHIFT, buffer);
            for (int i = 0; i < n; i++) {
                if (buffer.get(i) != 0) {
                    return new Data(at + i);
                }
            }
        }
        return new Blank();
    }

    /**
     * Formats the device: clears the header sector, so that the store takes the COW as new, lets
     * the store write the header chunk and zeroed area 0, and flushes.
     *
     * @param cow the device, at least {@link #minimumBytes} long
     * @param store a persistent store just made on {@code cow} (for example with
     *     {@code StoreTypes.create("P", chunkSize, cow, ...)}); it has not read its metadata, and
     *     the caller closes it
     * @return the usage the new COW reports, as the kernel's status shows it on activation
     * @throws IOException when a write or the flush fails
     * @throws StoreException when the store fails to initialise the COW
     */
    public static Usage format(BlockDevice cow, ExceptionStore store) throws IOException, StoreException {
        cow.write(0, ByteBuffer.allocate(ChunkSize.SECTOR_SIZE));
        MetadataState state = store.readMetadata((oldChunk, newChunk) -> {
            throw new IllegalStateException("a new COW has no exceptions");
        });
        if (state != MetadataState.VALID) {
            throw new IllegalStateException("a new COW loaded as " + state);
        }
        cow.flush();
        return store.usage();
    }
}
