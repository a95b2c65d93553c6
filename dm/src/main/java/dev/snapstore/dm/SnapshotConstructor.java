package dev.snapstore.dm;

import dev.snapstore.spi.BlockDevice;
import dev.snapstore.spi.Errno;
import dev.snapstore.spi.ExceptionSink;
import dev.snapstore.spi.ExceptionStore;
import dev.snapstore.spi.ExceptionStoreType;
import dev.snapstore.spi.KernelLog;
import dev.snapstore.spi.MetadataState;
import dev.snapstore.spi.StoreException;
import dev.snapstore.spi.StoreTypes;
import java.util.List;
import java.util.Objects;

/**
 * The exception-store half of {@code snapshot_ctr} in dm-snap.c, the one home of its order and its
 * messages: {@link TableLine#validate} runs it without a device, the userspace engine runs it on
 * the real COW device. In the kernel's order:
 * <ol>
 * <li>{@link #createStore}: the type from the type word, the chunk size, the type's constructor
 *     with its options ({@code dm_exception_store_create}, {@link StoreTypes#create}); any failure is
 *     {@value KernelMessages#STORE_NOT_CREATED} with errno EINVAL and the store's reason underneath;
 *     then, for a {@code snapshot-merge} table, {@link #requireMerge}
 *     ({@value KernelMessages#MERGE_NOT_SUPPORTED});
 * <li>{@link #readMetadata}: {@code read_metadata} into the caller's table; a failure is
 *     {@value KernelMessages#READ_METADATA_FAILED} with the store's errno (ENOMEM when the table
 *     cannot take an exception), an invalidated store logs {@value KernelMessages#MARKED_INVALID} and
 *     gives an invalid snapshot; then {@link #requireChunkSize}
 *     ({@value KernelMessages#CHUNK_SIZE_NOT_SET}).
 * </ol>
 * The device checks before these (opening the devices, {@value KernelMessages#SAME_DEVICE}) and the
 * feature arguments belong to the caller ({@link TableLine} checks the text).
 *
 * @since 0.1
 */
public final class SnapshotConstructor {

    private SnapshotConstructor() {}

    /**
     * A store that {@link #createStore} made, with the type that made it.
     *
     * @param selection the type and its options, as chosen by the type word
     * @param store the new store, its metadata not read yet; the caller closes it
     */
    public record Created(StoreTypes.Selection selection, ExceptionStore store) {

        /**
         * Checks the arguments.
         *
         * @param selection the type and options
         * @param store the store
         */
        public Created {
            Objects.requireNonNull(selection, "selection");
            Objects.requireNonNull(store, "store");
        }

        /**
         * The store's type.
         *
         * @return the type
         */
        public ExceptionStoreType type() {
            return selection.type();
        }
    }

    /**
     * Creates the exception store as {@code snapshot_ctr} does ({@code dm_exception_store_create}),
     * and for a {@code snapshot-merge} table checks that the type can merge.
     *
     * @param kind the target being constructed
     * @param types the available store types
     * @param typeWord the type word as written, e.g. {@code "po"}
     * @param chunkSizeArg the chunk size argument as written, e.g. {@code "8"}
     * @param cow the COW device (its logical block size takes part in the chunk size check)
     * @param originBlockSize the origin's logical block size in bytes
     * @param log where the store's log lines go
     * @return the store and its type
     * @throws TableException {@value KernelMessages#STORE_NOT_CREATED} (inner reason: the store's
     *     message) or {@value KernelMessages#MERGE_NOT_SUPPORTED}; no store is left open then
     * @throws dev.snapstore.spi.StoreTypeConfigurationException when the installed store types are broken
     */
    public static Created createStore(
            TargetKind kind,
            StoreTypes types,
            String typeWord,
            String chunkSizeArg,
            BlockDevice cow,
            int originBlockSize,
            KernelLog log)
            throws TableException {
        return createStore(kind, types, typeWord, chunkSizeArg, cow, originBlockSize, log, List.of());
    }

    /** {@link #createStore} that puts the lines the store logged into its exception. */
    static Created createStore(
            TargetKind kind,
            StoreTypes types,
            String typeWord,
            String chunkSizeArg,
            BlockDevice cow,
            int originBlockSize,
            KernelLog log,
            List<String> logged)
            throws TableException {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(types, "types");
        Created created;
        try {
            ExceptionStore store = types.create(typeWord, chunkSizeArg, cow, originBlockSize, log);
            created = new Created(types.select(typeWord), store);
        } catch (StoreException e) {
            throw TableException.storeNotCreated(kind, e, logged);
        }
        if (kind == TargetKind.SNAPSHOT_MERGE) {
            try {
                requireMerge(kind, created.type());
            } catch (TableException e) {
                created.store().close();
                throw e;
            }
        }
        return created;
    }

    /**
     * The merge capability a {@code snapshot-merge} target needs of its store type (checked in
     * {@code register_snapshot}, and by the engine when a snapshot starts merging).
     *
     * @param kind the target whose constructor asks
     * @param type the store type
     * @throws TableException {@value KernelMessages#MERGE_NOT_SUPPORTED} when the type cannot merge
     */
    public static void requireMerge(TargetKind kind, ExceptionStoreType type) throws TableException {
        if (!type.supportsMerge()) {
            throw TableException.kernel(kind, KernelMessages.MERGE_NOT_SUPPORTED);
        }
    }

    /**
     * Reads the store's metadata ({@code read_metadata} with {@code dm_add_exception}), then checks
     * the chunk size. The store is closed when this throws.
     *
     * @param kind the target being constructed
     * @param store the store from {@link #createStore}
     * @param sink where the exceptions go (the snapshot's table); a {@link RuntimeException} from it
     *     aborts the load, as a failed {@code dm_add_exception} does
     * @param log where {@value KernelMessages#MARKED_INVALID} goes
     * @return whether the snapshot is valid: {@code false} when the store was invalidated
     * @throws TableException {@value KernelMessages#READ_METADATA_FAILED} with the store's errno and
     *     failure as the cause (ENOMEM when {@code sink} failed), or
     *     {@value KernelMessages#CHUNK_SIZE_NOT_SET}
     */
    public static boolean readMetadata(TargetKind kind, ExceptionStore store, ExceptionSink sink, KernelLog log)
            throws TableException {
        MetadataState state;
        try {
            state = store.readMetadata(sink);
        } catch (StoreException e) {
            store.close();
            throw TableException.kernel(kind, KernelMessages.READ_METADATA_FAILED, e.errno(), e);
        } catch (RuntimeException e) {
            store.close();
            throw TableException.kernel(kind, KernelMessages.READ_METADATA_FAILED, Errno.ENOMEM, e);
        }
        boolean valid = state != MetadataState.INVALIDATED;
        if (!valid) {
            log.dm(KernelMessages.LOG_PREFIX, KernelMessages.MARKED_INVALID);
        }
        try {
            requireChunkSize(kind, store);
        } catch (TableException e) {
            store.close();
            throw e;
        }
        return valid;
    }

    /**
     * The check after {@code read_metadata}: a store must know its chunk size by then (a persistent
     * store took it from its header or its default; a transient store asked for 0 has none).
     *
     * @param kind the target being constructed
     * @param store the store, its metadata read
     * @throws TableException {@value KernelMessages#CHUNK_SIZE_NOT_SET}
     */
    public static void requireChunkSize(TargetKind kind, ExceptionStore store) throws TableException {
        if (store.chunkSize() == 0) {
            throw TableException.kernel(kind, KernelMessages.CHUNK_SIZE_NOT_SET);
        }
    }
}
