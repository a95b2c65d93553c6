package dev.snapstore.cow.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.snapstore.testkit.ModuleFacts;
import java.lang.module.ModuleDescriptor;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Pins the descriptor: exports the tools package, requires the format (transitively) and Jackson. */
class ModuleDescriptorTest {

    @Test
    void exportsTheToolsAndRequiresTheFormatAndJackson() {
        Module module = CowCheck.class.getModule();
        assertEquals(
                new ModuleFacts(
                        "dev.snapstore.cow.tools",
                        Set.of("java.base", "dev.snapstore.cow", "com.fasterxml.jackson.databind"),
                        Set.of("dev.snapstore.cow.tools"),
                        Set.of(),
                        Set.of(),
                        Map.of()),
                ModuleFacts.of(module));
        assertTrue(module.getDescriptor().requires().stream()
                .anyMatch(r -> r.name().equals("dev.snapstore.cow")
                        && r.modifiers().contains(ModuleDescriptor.Requires.Modifier.TRANSITIVE)));
    }
}
