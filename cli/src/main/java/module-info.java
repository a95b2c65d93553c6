/**
 * The {@code snapstore} command line. Exports nothing: it is a program, not a library.
 */
module dev.snapstore.cli {
    requires dev.snapstore.spi;
    requires dev.snapstore.target;
    requires dev.snapstore.engine;
    requires org.apache.commons.cli;
}
