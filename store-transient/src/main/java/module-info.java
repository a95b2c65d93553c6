/**
 * The transient exception store {@code N}: exceptions live in memory only, COW chunks are handed
 * out linearly from chunk 0. Exports nothing; found through {@code ServiceLoader}.
 *
 * <p>The name is {@code memory} because {@code transient} is a Java keyword and cannot be part of a
 * module or package name.
 *
 * @provides dev.snapstore.spi.ExceptionStoreType as the type {@code N}
 */
module dev.snapstore.store.memory {
    requires dev.snapstore.spi;

    provides dev.snapstore.spi.ExceptionStoreType with
            dev.snapstore.store.memory.TransientStoreType;
}
