package dev.snapstore.engine;

import dev.snapstore.spi.ExceptionStore;
import dev.snapstore.spi.KernelLog;
import dev.snapstore.spi.MemoryBlockDevice;
import dev.snapstore.spi.StoreTypes;

/**
 * The exception stores the engine's tests run against: the real transient store N, the real
 * persistent store P/PO found through ServiceLoader (only when it works, see
 * {@link #persistentStoreAvailable()}), and the in-memory persistent test double.
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
        return StoreTypes.of(sim, StoreTypes.load().find("N"));
    }

    boolean isReal() {
        return !simulated;
    }

    private static volatile Boolean persistentWorks;

    /**
     * Whether the real persistent store on the module path works: it must initialise a blank COW
     * and allocate an exception. On the engine branch the store is a placeholder that fails
     * readMetadata, so every test of the real P/PO is skipped with an assumption; once the
     * persistent branch is merged they run. (Remove the gate then.)
     */
    static boolean persistentStoreAvailable() {
        Boolean works = persistentWorks;
        if (works == null) {
            try (ExceptionStore store = StoreTypes.load().create("P", "8", new MemoryBlockDevice("probe", 1024),
                    512, KernelLog.DISCARD)) {
                store.readMetadata((o, n) -> { });
                works = store.prepareException(1) != ExceptionStore.NO_SPACE;
            } catch (Exception | LinkageError e) {
                works = false;
            }
            persistentWorks = works;
        }
        return works;
    }
}
