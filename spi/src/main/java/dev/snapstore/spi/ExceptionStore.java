package dev.snapstore.spi;

import java.util.Optional;

/**
 * One snapshot's exception table store: the ten operations of the kernel's
 * {@code struct dm_exception_store_type}, in Java.
 *
 * <p><b>Lifecycle.</b> Created by {@link ExceptionStoreType#create}; the engine calls
 * {@link #readMetadata} once before any other operation, then any number of prepare/commit and
 * merge calls, then {@link #close()}.
 *
 * <p><b>Threading.</b> A store is not thread-safe: the engine calls it from one thread at a time
 * (the kernel does the same under its locks), except that a store declaring
 * {@link #preparesDuringCommit()} may be asked to {@link #prepareException prepare} while a commit
 * is in progress. {@link CommitCallback}s may run on whatever thread made the commit call that
 * wrote the batch.
 *
 * <p><b>Chunk numbers</b> are unsigned 64-bit values held in a {@code long}; chunk {@code c} of a
 * device covers sectors {@code [c * chunkSize(), (c + 1) * chunkSize())}.
 *
 * @since 0.1
 */
public interface ExceptionStore extends AutoCloseable {

    /** Returned by {@link #prepareException(long)} when the COW device has no room left. */
    long NO_SPACE = -1L;

    /**
     * The effective chunk size in sectors. A persistent store may change it while reading its
     * metadata, because the header's chunk size wins over the table's.
     *
     * @return the chunk size, a power of two; {@code 0} only before {@link #readMetadata} when the
     *     table asked for the on-disk or default size
     */
    int chunkSize();

    /**
     * The type word this store prints in a table status, {@code "P"}, {@code "PO"} or {@code "N"}.
     *
     * @return the normalised type word, never {@code null}
     */
    String typeWord();

    /**
     * Whether a snapshot write that finds the store full should report overflow and keep the
     * snapshot valid (the kernel's {@code userspace_supports_overflow}, set by {@code PO}).
     *
     * @return {@code true} for overflow support
     */
    default boolean supportsOverflow() {
        return false;
    }

    /**
     * Reads the stored exceptions and hands each one to {@code sink} ({@code read_metadata}). A new,
     * blank device is initialised here. "The target shouldn't read the COW device until this is
     * called."
     *
     * @param sink receives each stored exception, in table order; never {@code null}
     * @return {@link MetadataState#VALID}, or {@link MetadataState#INVALIDATED} when the metadata is
     *     fine but marks the snapshot invalid (no exceptions are reported then)
     * @throws StoreException when the metadata is corrupt or cannot be read; the message is the
     *     kernel's log message and {@link StoreException#errno()} its error number
     */
    MetadataState readMetadata(ExceptionSink sink) throws StoreException;

    /**
     * Whether {@link #prepareException} and {@link #usage()} may run on one thread while
     * {@link #commitException} or {@link #dropSnapshot()} runs on another, as the kernel's
     * {@code prepare_exception} (under {@code pe_allocation_lock}) runs while kcopyd's thread is in
     * {@code commit_exception}. Prepare calls still come one at a time, and so do all the other
     * calls; nothing runs alongside {@link #readMetadata}, the merge calls or {@link #close()}. A store
     * that writes its metadata inside {@code commitException} answers {@code true} so that writers
     * can allocate and copy while a commit's I/O is in flight, and the next commit covers them all.
     *
     * @return {@code true} when prepare may overlap a commit; the default is {@code false}
     * @since 0.2
     */
    default boolean preparesDuringCommit() {
        return false;
    }

    /**
     * Finds somewhere to store the next exception ({@code prepare_exception}). Allocated chunks count
     * in {@link #usage()} at once, before they are committed.
     *
     * @param oldChunk the origin chunk that needs an exception
     * @return the COW chunk to copy into, or {@link #NO_SPACE} when the device is full
     */
    long prepareException(long oldChunk);

    /**
     * Records a prepared exception ({@code commit_exception}). Calls arrive in allocation order. The
     * callback may run before this method returns or later, in a batch with other commits, but always
     * in commit order and only after the record is durable.
     *
     * @param oldChunk the origin chunk
     * @param newChunk the COW chunk returned by {@link #prepareException(long)}
     * @param copied {@code false} when copying the data failed, which invalidates the store
     * @param callback told whether the exception is safely stored; never {@code null}
     */
    void commitException(long oldChunk, long newChunk, boolean copied, CommitCallback callback);

    /**
     * Finds the newest exceptions not yet merged ({@code prepare_merge}).
     *
     * @return the newest run of consecutive exceptions, or empty when nothing is left to merge
     * @throws StoreException when the metadata cannot be read
     * @throws UnsupportedOperationException when the type does not support merging
     */
    default Optional<MergeRun> prepareMerge() throws StoreException {
        throw new UnsupportedOperationException(typeWord() + " stores cannot merge");
    }

    /**
     * Forgets the last {@code count} exceptions after their data was copied back to the origin
     * ({@code commit_merge}); {@code count} must not exceed the last {@link MergeRun#count()}.
     *
     * @param count how many exceptions were merged, at least 1
     * @throws StoreException when the metadata cannot be written
     * @throws UnsupportedOperationException when the type does not support merging
     */
    default void commitMerge(int count) throws StoreException {
        throw new UnsupportedOperationException(typeWord() + " stores cannot merge");
    }

    /**
     * Forgets every exception in one commit, after all of them were copied back to the origin and
     * the origin was flushed: what a merge with nothing else using the origin ends with. Until the
     * commit is durable the stored table is unchanged, so an interruption leaves every exception to be
     * merged again. The default merges run after run with {@link #prepareMerge()} and
     * {@link #commitMerge(int)}.
     *
     * @throws StoreException when the metadata cannot be read or written
     * @throws UnsupportedOperationException when the type does not support merging
     * @since 0.2
     */
    default void commitMergeAll() throws StoreException {
        Optional<MergeRun> run;
        while ((run = prepareMerge()).isPresent()) {
            commitMerge(run.get().count());
        }
    }

    /**
     * Notes in the metadata that the snapshot is invalid ({@code drop_snapshot}). Does nothing for
     * stores that keep no metadata. Errors are logged, not thrown, as in the kernel.
     */
    default void dropSnapshot() {}

    /**
     * How full the store is ({@code usage}). The total is read from the device on every call.
     *
     * @return the usage numbers in sectors, never {@code null}
     */
    Usage usage();

    /**
     * The store's part of a table status line, with its leading space: {@code " P 8"}.
     *
     * @return the kernel's {@code STATUSTYPE_TABLE} text for this store
     */
    default String tableStatus() {
        return " " + typeWord() + " " + Integer.toUnsignedString(chunkSize());
    }

    /** Releases what the store holds; does not close the COW device, which belongs to the caller. */
    @Override
    default void close() {}
}
