package dev.snapstore.spi;

/**
 * How full a store is, in sectors, as the kernel's {@code usage} op reports it. The status text
 * {@code dmsetup status} prints from it ({@code allocated/total metadata}) is rendered by the dm
 * module's {@code SnapshotStatus}.
 *
 * @param totalSectors the COW device's size
 * @param allocatedSectors sectors in use, metadata included, allocated but uncommitted chunks too
 * @param metadataSectors sectors used by metadata
 * @since 0.1
 */
public record Usage(long totalSectors, long allocatedSectors, long metadataSectors) {}
