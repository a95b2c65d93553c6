package dev.snapstore.serve.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.snapstore.testkit.ModuleFacts;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Pins the adapter's module descriptor: it exports its package and requires only the server and the engine. */
class ModuleDescriptorTest {

    @Test
    void exportsTheAdapterAndRequiresTheServerAndTheEngine() {
        assertEquals(
                new ModuleFacts(
                        "dev.snapstore.serve.engine",
                        Set.of("java.base", "dev.snapstore.serve", "dev.snapstore.engine"),
                        Set.of("dev.snapstore.serve.engine"),
                        Set.of(),
                        Set.of(),
                        Map.of()),
                ModuleFacts.of(EngineExport.class.getModule()));
    }
}
