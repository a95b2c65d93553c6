/**
 * The userspace snapshot engine, after drivers/md/dm-snap.c.
 *
 * <p>An {@link dev.snapstore.engine.Origin} wraps the origin device and holds its snapshots; a
 * {@link dev.snapstore.engine.Snapshot} is the kernel's {@code snapshot} target (and, once merging,
 * its {@code snapshot-merge} target) over one exception store from the SPI. Both are
 * {@link dev.snapstore.spi.BlockDevice}s addressed in 512-byte sectors. The in-memory exception
 * table is {@link dev.snapstore.engine.ExceptionTable}.
 *
 * <p>On image files, {@link dev.snapstore.engine.Activation#open} does all of it in one call, as
 * {@code dmsetup create} and {@code resume} would: both images checked and opened, the store loaded
 * once, the snapshot active; closing it removes the snapshot and closes the files. That is what the
 * CLI's image commands use, so a library user gets exactly what the CLI gets.
 */
package dev.snapstore.engine;
