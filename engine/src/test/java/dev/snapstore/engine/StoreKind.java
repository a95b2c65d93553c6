package dev.snapstore.engine;

import dev.snapstore.spi.StoreTypes;

/**
 * The exception stores the engine's tests run against: the real transient store N, the real
 * persistent store P/PO found through ServiceLoader, and the in-memory persistent test double.
 */
enum StoreKind {
    N("N", false, false),
    P("P", true, false),
    PO("PO", true, false),
    SIM_P("P", true, true),
    SIM_PO("PO", true, true);

    final String typeWord;
    final boolean persistent;
    final boolean simulated;

    StoreKind(String typeWord, boolean persistent, boolean simulated) {
        this.typeWord = typeWord;
        this.persistent = persistent;
        this.simulated = simulated;
    }

    /** Whether a reload (close, then a new snapshot from the same COW) keeps the exceptions. */
    boolean survivesReload() {
        return persistent;
    }

    boolean supportsMerge() {
        return persistent;
    }

    boolean overflows() {
        return typeWord.equals("PO");
    }

    /** The registry to create snapshots from; the test double replaces P, the rest is real. */
    StoreTypes types(SimPersistentStoreType sim) {
        if (!simulated) {
            return StoreTypes.load();
        }
        return StoreTypes.of(sim, StoreTypes.load().find("N").orElseThrow());
    }

    boolean isReal() {
        return !simulated;
    }
}
