/**
 * Test support for snapstore's modules: the kernel fixtures in the top-level fixtures/ folder, the sector
 * pattern the fixtures were written with, test devices, and the real external tools (NBD clients, qemu). Used only in test scope.
 */
module dev.snapstore.testkit {
    requires transitive dev.snapstore.spi;
    requires org.tukaani.xz;
    // ExternalTools fails or skips a test by opentest4j's exceptions, which JUnit understands; JUnit's
    // API itself stays out (a testkit reading org.junit.jupiter.api broke Surefire's module path).
    requires org.opentest4j;

    exports dev.snapstore.testkit;
}
