package dev.snapstore.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.module.ModuleDescriptor;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** Pins the spi module's descriptor: a dropped uses or an extra export fails here. */
class ModuleDescriptorTest {

    private final ModuleDescriptor descriptor =
            ExceptionStoreType.class.getModule().getDescriptor();

    @Test
    void exportsOnlyTheSpiPackageAndUsesTheStoreType() {
        assertEquals("dev.snapstore.spi", descriptor.name());
        assertEquals(
                Set.of("dev.snapstore.spi"),
                descriptor.exports().stream()
                        .map(ModuleDescriptor.Exports::source)
                        .collect(Collectors.toSet()));
        assertEquals(Set.of("dev.snapstore.spi.ExceptionStoreType"), descriptor.uses());
        assertEquals(Set.of(), descriptor.provides());
        assertEquals(Set.of(), descriptor.opens());
        assertEquals(
                Set.of("java.base"),
                descriptor.requires().stream()
                        .map(ModuleDescriptor.Requires::name)
                        .collect(Collectors.toSet()));
    }
}
