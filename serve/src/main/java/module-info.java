/**
 * An NBD server: the fixed newstyle handshake, structured replies, {@code base:allocation} block
 * status and pipelined requests, over unix sockets and loopback TCP, written on the JDK's NIO.
 * Anything that implements {@link dev.snapstore.serve.NbdExport} can be served; the engine's origin
 * and snapshots are meant to be.
 */
module dev.snapstore.serve {
    exports dev.snapstore.serve;
}
