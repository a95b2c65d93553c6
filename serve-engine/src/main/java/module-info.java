/**
 * The engine's origin and snapshots as NBD exports ({@link dev.snapstore.serve.engine.EngineExport}):
 * the adapter between the NBD server and the userspace snapshot engine, so that each of them stays
 * usable without the other.
 */
module dev.snapstore.serve.engine {
    // EngineExport is an NbdExport; callers hand it to an NbdServer.
    requires transitive dev.snapstore.serve;
    // EngineExport's factories take the engine's Origin and Snapshot.
    requires transitive dev.snapstore.engine;

    exports dev.snapstore.serve.engine;
}
