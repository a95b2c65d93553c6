package dev.snapstore.spi;

/**
 * Told when a committed exception is durable, or that it could not be stored.
 *
 * @since 0.1
 */
@FunctionalInterface
public interface CommitCallback {

    /**
     * Reports the outcome of one {@link ExceptionStore#commitException commit}.
     *
     * @param success {@code true} when the record and its data are on stable storage; {@code false}
     *     when the store is invalid, after which the snapshot must be invalidated
     */
    void committed(boolean success);
}
