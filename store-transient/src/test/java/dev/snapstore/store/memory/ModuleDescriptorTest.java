package dev.snapstore.store.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.snapstore.testkit.ModuleFacts;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Pins the module descriptor, and checks that the class-path services file names the same provider. */
class ModuleDescriptorTest {

    private static final String SERVICE = "dev.snapstore.spi.ExceptionStoreType";
    private final Module module = TransientStoreType.class.getModule();

    @Test
    void exportsNothingAndProvidesTheStoreType() {
        assertEquals(
                new ModuleFacts(
                        "dev.snapstore.store.memory",
                        Set.of("java.base", "dev.snapstore.spi"),
                        Set.of(),
                        Set.of(),
                        Set.of(),
                        Map.of(SERVICE, List.of("dev.snapstore.store.memory.TransientStoreType"))),
                ModuleFacts.of(module));
    }

    @Test
    void servicesFileListsWhatModuleInfoProvides() {
        assertEquals(ModuleFacts.of(module).provides().get(SERVICE), ModuleFacts.servicesFile(module, SERVICE));
    }
}
