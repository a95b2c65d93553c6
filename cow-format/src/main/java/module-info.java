/**
 * The on-disk format of the kernel's persistent exception store (dm-snap-persistent.c): constants,
 * the header and record codec, the layout arithmetic and an area-by-area reader. Pure format, no
 * store behaviour: shared by the store {@code P} and by the command line's offline tools.
 */
module dev.snapstore.cow {
    // The reader works on the SPI's BlockDevice, which appears in its API.
    requires transitive dev.snapstore.spi;

    exports dev.snapstore.cow;
}
