/**
 * NBD exports over the userspace snapshot engine: {@link dev.snapstore.serve.engine.EngineExport}
 * serves an {@link dev.snapstore.engine.Origin} or a {@link dev.snapstore.engine.Snapshot} with the
 * kernel's semantics through {@link dev.snapstore.serve.NbdServer}.
 */
package dev.snapstore.serve.engine;
