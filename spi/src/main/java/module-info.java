/**
 * The snapstore service-provider interface: what a third-party exception store type compiles
 * against, and the lookup that finds store types by their type word.
 *
 * @uses dev.snapstore.spi.ExceptionStoreType the store types; the lookup in {@link dev.snapstore.spi.StoreTypes} calls {@code ServiceLoader}
 */
module dev.snapstore.spi {
    exports dev.snapstore.spi;

    // StoreTypes.load() calls ServiceLoader here, so the uses clause must be in this module.
    uses dev.snapstore.spi.ExceptionStoreType;
}
