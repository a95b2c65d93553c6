/**
 * The NBD protocol (doc/proto.md of the NetworkBlockDevice project) served over {@link NbdExport}s:
 * {@link NbdServer} speaks the protocol, an export supplies bytes, allocation and durability.
 * {@link MemoryExport} and {@link FileExport} are small exports for tests, benchmarks and tools.
 */
package dev.snapstore.serve;
