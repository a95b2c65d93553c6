package dev.snapstore.spi;

/**
 * A kind of exception store, found with {@link java.util.ServiceLoader} and chosen by the first
 * letter of a table's type word, as {@code dm_exception_store_create} does with {@code P} and
 * {@code N}.
 *
 * <p>A provider names itself with {@link #name()}, like {@code ToolProvider.name()}. The rest of
 * the type word after the first letter is handed to {@link #create} as options: {@code "PO"} is the
 * persistent type with options {@code "O"}.
 *
 * <p>Implementations must have a public no-argument constructor (or a {@code provider()} method),
 * be immutable and be safe to use from any thread. They are declared with {@code provides} in their
 * module and, for class-path users, in {@code META-INF/services/dev.snapstore.spi.ExceptionStoreType}.
 *
 * @since 0.1
 */
public interface ExceptionStoreType {

    /**
     * The letter that selects this type: one ASCII upper-case letter, {@code "P"} for persistent and
     * {@code "N"} for transient. Type words are matched case-insensitively on their first letter.
     *
     * @return the type's letter, never {@code null}
     */
    String name();

    /**
     * The long name the kernel registers the type under as well ({@code "persistent"},
     * {@code "transient"}); shown in listings only.
     *
     * @return a lower-case word, never {@code null}
     */
    String longName();

    /**
     * One line that tells an operator what the type does.
     *
     * @return a sentence, never {@code null}
     */
    String description();

    /**
     * A short text for listings that says which options this type takes after its letter, for
     * example {@code "O = overflow support"}; empty when options are ignored.
     *
     * @return a description, never {@code null}
     */
    default String optionsHelp() {
        return "";
    }

    /**
     * Whether stores of this type implement {@link ExceptionStore#prepareMerge()} and
     * {@link ExceptionStore#commitMerge(int)}, so that they can serve a {@code snapshot-merge} table.
     *
     * @return {@code true} when merging is supported
     */
    default boolean supportsMerge() {
        return false;
    }

    /**
     * Whether a store of this type, given chunk size {@code 0}, takes its chunk size from the COW
     * when it reads its metadata, as the kernel's persistent store does (the header's, or the
     * default on a blank COW). A table with chunk size {@code 0} is refused with {@code "Chunk size
     * not set"} for a type that does not; the table's validation asks this instead of building a
     * store.
     *
     * @return {@code true} when chunk size {@code 0} is resolved from the COW
     * @since 0.2
     */
    default boolean takesChunkSizeFromCow() {
        return false;
    }

    /**
     * Builds a store, as the kernel's {@code type->ctr(store, options)}. The chunk size in the
     * context has already been validated; this method must not do I/O: the metadata is read by
     * {@link ExceptionStore#readMetadata}.
     *
     * @param context the COW device, chunk size and log of the snapshot, never {@code null}
     * @param options the type word after its first letter; {@code null} when the word is one letter
     *     long, exactly as the kernel passes them
     * @return a new store, never {@code null}
     * @throws StoreException when the options are not acceptable; the message is the kernel's
     *     (for example {@code "Unsupported persistent store option: X"})
     */
    ExceptionStore create(StoreContext context, String options) throws StoreException;
}
