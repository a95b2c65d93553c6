package dev.snapstore.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Pins the testkit's module descriptor. */
class ModuleDescriptorTest {

    @Test
    void exportsItsPackageAndReadsXzImagesAndOpentest4j() {
        assertEquals(
                new ModuleFacts(
                        "dev.snapstore.testkit",
                        Set.of("java.base", "dev.snapstore.spi", "org.tukaani.xz", "org.opentest4j"),
                        Set.of("dev.snapstore.testkit"),
                        Set.of(),
                        Set.of(),
                        Map.of()),
                ModuleFacts.of(Fixtures.class.getModule()));
    }
}
