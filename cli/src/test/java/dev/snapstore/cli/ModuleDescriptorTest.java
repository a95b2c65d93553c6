package dev.snapstore.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.snapstore.testkit.ModuleFacts;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Pins the CLI's module descriptor: a program that exports nothing and finds stores only through the SPI. */
class ModuleDescriptorTest {

    @Test
    void exportsNothingAndNeverRequiresAStoreModule() {
        assertEquals(
                new ModuleFacts(
                        "dev.snapstore.cli",
                        Set.of(
                                "java.base",
                                "dev.snapstore.spi",
                                "dev.snapstore.dm",
                                "dev.snapstore.engine",
                                "dev.snapstore.serve.engine",
                                "org.apache.commons.cli",
                                "dev.snapstore.cow",
                                "dev.snapstore.cow.tools",
                                "com.fasterxml.jackson.databind",
                                "me.tongfei.progressbar"),
                        Set.of(),
                        Set.of(),
                        Set.of(),
                        Map.of()),
                ModuleFacts.of(Main.class.getModule()));
    }
}
