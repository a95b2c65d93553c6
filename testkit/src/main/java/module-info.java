/**
 * Test support for snapstore's modules: the kernel fixtures in the top-level fixtures/ folder, the sector
 * pattern the fixtures were written with, and test devices. Used only in test scope.
 */
module dev.snapstore.testkit {
    requires transitive dev.snapstore.spi;
    requires org.tukaani.xz;

    exports dev.snapstore.testkit;
}
