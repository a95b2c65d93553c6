/**
 * The userspace snapshot engine, after drivers/md/dm-snap.c.
 *
 * <p>An {@link dev.snapstore.engine.Origin} wraps the origin device and holds its snapshots; a
 * {@link dev.snapstore.engine.Snapshot} is the kernel's {@code snapshot} target (and, once merging,
 * its {@code snapshot-merge} target) over one exception store from the SPI. Both are
 * {@link dev.snapstore.spi.BlockDevice}s addressed in 512-byte sectors. The in-memory exception
 * table is {@link dev.snapstore.engine.ExceptionTable}.
 */
package dev.snapstore.engine;
