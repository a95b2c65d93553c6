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

    /**
     * Takes a batch of stored exceptions in metadata order, exactly as if {@link #add} were called for
     * each in turn (a store that decodes a metadata area at once hands its records over in one call,
     * and a table can then take them without a call per record). The default does just that.
     *
     * @param records the old and new chunk of each exception, interleaved: exception {@code i} is
     *     {@code records[2 * i]} (old) and {@code records[2 * i + 1]} (new); the array is the caller's
     *     and may be reused after the call returns
     * @param count how many exceptions, from the start of the array
     * @since 0.1
     */
    default void addAll(long[] records, int count) {
        for (int i = 0; i < count; i++) {
            add(records[2 * i], records[2 * i + 1]);
        }
    }
}
