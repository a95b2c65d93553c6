package dev.snapstore.spi;

import java.util.Objects;

/**
 * What a store is built from: the COW device, the chunk size from the table, the origin's logical
 * block size (for chunk-size checks when the on-disk header changes the chunk size) and where
 * kernel-style log lines go.
 *
 * @param cow the COW device; the store reads and writes it but does not close it
 * @param chunkSize the table's chunk size in sectors, already validated; {@code 0} asks a
 *     persistent store to use the on-disk chunk size, or the default for a new device
 * @param originLogicalBlockSize the origin device's logical block size in bytes
 * @param log receives the lines the kernel would log, such as
 *     {@code "device-mapper: persistent snapshot: Invalid or corrupt snapshot"}
 * @since 0.1
 */
public record StoreContext(BlockDevice cow, int chunkSize, int originLogicalBlockSize, KernelLog log) {

    /** Checks the arguments. */
    public StoreContext {
        Objects.requireNonNull(cow, "cow");
        Objects.requireNonNull(log, "log");
        if (chunkSize < 0) {
            throw new IllegalArgumentException("chunk size " + chunkSize + " is negative");
        }
        if (originLogicalBlockSize < ChunkSize.SECTOR_SIZE) {
            throw new IllegalArgumentException("origin block size " + originLogicalBlockSize + " < 512");
        }
    }

    /**
     * A context with a 512-byte origin block size and no log.
     *
     * @param cow the COW device
     * @param chunkSize the chunk size in sectors
     * @return the context
     */
    public static StoreContext of(BlockDevice cow, int chunkSize) {
        return new StoreContext(cow, chunkSize, ChunkSize.SECTOR_SIZE, KernelLog.DISCARD);
    }
}
