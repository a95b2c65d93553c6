package dev.snapstore.spi;

/**
 * What {@link ExceptionStore#readMetadata} found, beyond errors.
 *
 * @since 0.1
 */
public enum MetadataState {
    /** The metadata is fine and the snapshot is usable (the kernel's return value 0). */
    VALID,
    /** The metadata is fine but marks the snapshot invalid (the kernel's return value 1). */
    INVALIDATED
}
