package dev.snapstore.spi;

/**
 * Receives the exceptions a store reads from its metadata, one call per record, with primitive
 * chunk numbers so that loading millions of them allocates nothing per record.
 *
 * @since 0.1
 */
@FunctionalInterface
public interface ExceptionSink {

    /**
     * Takes one stored exception. To abort loading, throw an unchecked exception; the store lets it
     * pass.
     *
     * @param oldChunk the origin chunk (unsigned)
     * @param newChunk the COW chunk that holds its copy (unsigned)
     */
    void add(long oldChunk, long newChunk);
}
