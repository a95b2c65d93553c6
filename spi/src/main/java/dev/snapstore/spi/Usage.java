package dev.snapstore.spi;

/**
 * How full a store is, in sectors, as the kernel's {@code usage} op reports it and
 * {@code dmsetup status} prints it: {@code allocated/total metadata}.
 *
 * @param totalSectors the COW device's size
 * @param allocatedSectors sectors in use, metadata included, allocated but uncommitted chunks too
 * @param metadataSectors sectors used by metadata
 * @since 0.1
 */
public record Usage(long totalSectors, long allocatedSectors, long metadataSectors) {

    /**
     * The kernel's INFO status text, {@code "%llu/%llu %llu"}.
     *
     * @return e.g. {@code "24/64 16"}
     */
    public String toStatus() {
        return Long.toUnsignedString(allocatedSectors) + "/" + Long.toUnsignedString(totalSectors)
                + " " + Long.toUnsignedString(metadataSectors);
    }
}
