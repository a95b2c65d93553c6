/**
 * An example third-party exception store type, {@code Z}: what an outside author writes to add a
 * store type to snapstore. No built-in module depends on it; dropping its jar on the module path or
 * the class path is all it takes. See module-info-notes/adding-a-store-type.md.
 *
 * @provides dev.snapstore.spi.ExceptionStoreType as the type {@code Z}
 */
module com.example.snapstore.zero {
    requires dev.snapstore.spi;

    provides dev.snapstore.spi.ExceptionStoreType with
            com.example.snapstore.zero.ZeroStoreType;
}
