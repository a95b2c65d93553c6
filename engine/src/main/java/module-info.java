/**
 * The userspace snapshot engine: an origin device with any number of snapshots, copy-on-write
 * before the origin changes, snapshot reads and writes, full-COW handling and snapshot-merge, with
 * the semantics of the kernel's drivers/md/dm-snap.c. Exception stores come from the SPI's lookup.
 */
module dev.snapstore.engine {
    // Snapshot and Origin take BlockDevice, KernelLog and StoreTypes in their signatures.
    requires transitive dev.snapstore.spi;
    // Activation reads a COW's header (is it new?) with the format library, not by hand.
    requires dev.snapstore.cow;
    // The kernel's rules live in dm (snapshot_ctr, the status value Snapshot.status() returns, messages).
    requires transitive dev.snapstore.dm;

    exports dev.snapstore.engine;
}
