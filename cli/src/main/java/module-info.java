/**
 * The {@code snapstore} command line. Exports nothing: it is a program, not a library.
 */
module dev.snapstore.cli {
    requires dev.snapstore.spi;
    requires dev.snapstore.dm;
    requires dev.snapstore.engine;
    // serve: the NBD server (dev.snapstore.serve, transitive) over the engine's exports.
    requires dev.snapstore.serve.engine;
    requires org.apache.commons.cli;
    // The COW format's header and layout, read by the activation path (never the store's internals).
    requires dev.snapstore.cow;
    // dump, check, restore and create: the offline tools are library calls; the commands only print.
    requires dev.snapstore.cow.tools;
    // --json output, built as ObjectNode trees and JsonGenerator streams: nothing here is reflected on.
    requires com.fasterxml.jackson.databind;
    // Progress bars for export and merge on a terminal (it brings jline's terminal, an automatic module).
    requires me.tongfei.progressbar;
}
