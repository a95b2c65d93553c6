package dev.snapstore.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.snapstore.testkit.ModuleFacts;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Pins the engine's module descriptor: it exports its API, reaches stores only through the SPI, takes
 * the kernel's rules from dm and reads a COW header with the format library.
 */
class ModuleDescriptorTest {

    @Test
    void exportsTheEngineAndRequiresTheSpiDmAndTheCowFormat() {
        assertEquals(
                new ModuleFacts(
                        "dev.snapstore.engine",
                        Set.of("java.base", "dev.snapstore.spi", "dev.snapstore.dm", "dev.snapstore.cow"),
                        Set.of("dev.snapstore.engine"),
                        Set.of(),
                        Set.of(),
                        Map.of()),
                ModuleFacts.of(Origin.class.getModule()));
    }
}
