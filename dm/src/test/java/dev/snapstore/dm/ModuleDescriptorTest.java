package dev.snapstore.dm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.module.ModuleDescriptor;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** Pins the module descriptor, so that a dropped export or a new dependency is a decision, not an accident. */
class ModuleDescriptorTest {

    @Test
    void exportsOnlyItsPackageAndRequiresTheSpiTransitively() {
        ModuleDescriptor d = TableLine.class.getModule().getDescriptor();
        assertEquals("dev.snapstore.dm", d.name());
        assertEquals(
                Set.of("dev.snapstore.dm"),
                d.exports().stream().map(ModuleDescriptor.Exports::source).collect(Collectors.toSet()));
        assertTrue(d.exports().stream().noneMatch(ModuleDescriptor.Exports::isQualified));
        Set<String> requires =
                d.requires().stream().map(ModuleDescriptor.Requires::name).collect(Collectors.toSet());
        assertEquals(Set.of("java.base", "dev.snapstore.spi"), requires);
        assertTrue(d.requires().stream()
                .anyMatch(r -> r.name().equals("dev.snapstore.spi")
                        && r.modifiers().contains(ModuleDescriptor.Requires.Modifier.TRANSITIVE)));
        assertTrue(d.uses().isEmpty());
        assertTrue(d.provides().isEmpty());
    }
}
