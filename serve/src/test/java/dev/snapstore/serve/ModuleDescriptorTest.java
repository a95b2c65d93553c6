package dev.snapstore.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.module.ModuleDescriptor;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** Pins the module descriptor: the server depends on nothing but java.base and exports one package. */
class ModuleDescriptorTest {

    @Test
    void exportsOnlyItsPackageAndRequiresOnlyJavaBase() {
        ModuleDescriptor d = NbdServer.class.getModule().getDescriptor();
        assertEquals("dev.snapstore.serve", d.name());
        assertEquals(
                Set.of("dev.snapstore.serve"),
                d.exports().stream().map(ModuleDescriptor.Exports::source).collect(Collectors.toSet()));
        assertTrue(d.exports().stream().noneMatch(ModuleDescriptor.Exports::isQualified));
        assertEquals(
                Set.of("java.base"),
                d.requires().stream().map(ModuleDescriptor.Requires::name).collect(Collectors.toSet()));
        assertTrue(d.uses().isEmpty());
        assertTrue(d.provides().isEmpty());
        assertTrue(d.opens().isEmpty());
    }
}
