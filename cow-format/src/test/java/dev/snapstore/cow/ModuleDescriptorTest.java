package dev.snapstore.cow;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.snapstore.testkit.ModuleFacts;
import java.lang.module.ModuleDescriptor;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Pins the descriptor: exports the format package, requires only the SPI (transitively). */
class ModuleDescriptorTest {

    @Test
    void exportsTheFormatAndRequiresOnlyTheSpi() {
        assertEquals(
                new ModuleFacts(
                        "dev.snapstore.cow",
                        Set.of("java.base", "dev.snapstore.spi"),
                        Set.of("dev.snapstore.cow"),
                        Set.of(),
                        Set.of(),
                        Map.of()),
                ModuleFacts.of(CowFormat.class.getModule()));
        assertEquals(
                true,
                CowFormat.class.getModule().getDescriptor().requires().stream()
                        .anyMatch(r -> r.name().equals("dev.snapstore.spi")
                                && r.modifiers().contains(ModuleDescriptor.Requires.Modifier.TRANSITIVE)));
    }
}
