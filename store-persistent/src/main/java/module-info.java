/**
 * The persistent exception store {@code P} (option {@code O}: overflow support): the kernel's
 * on-disk COW format of dm-snap-persistent.c, byte for byte. Exports nothing; found through
 * {@code ServiceLoader}.
 *
 * @provides dev.snapstore.spi.ExceptionStoreType as the type {@code P}
 */
module dev.snapstore.store.persistent {
    requires dev.snapstore.spi;
    // The format's constants, codec and layout arithmetic, shared with the CLI's offline tools.
    requires dev.snapstore.cow;

    provides dev.snapstore.spi.ExceptionStoreType with
            dev.snapstore.store.persistent.PersistentStoreType;
}
