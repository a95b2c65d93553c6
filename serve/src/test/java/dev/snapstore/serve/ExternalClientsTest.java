package dev.snapstore.serve;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.opentest4j.AssertionFailedError;
import org.opentest4j.TestAbortedException;

/** A missing client fails the build on CI and only skips elsewhere. */
class ExternalClientsTest {

    @Test
    void aMissingClientFailsOnCiNamingThePackage() {
        AssertionFailedError e = assertThrows(
                AssertionFailedError.class,
                () -> ExternalClients.require(
                        "no-such-nbd-client", "libnbd-bin", Map.of("CI", "true", "PATH", "/nonexistent")));
        assertTrue(e.getMessage().contains("install the Debian package libnbd-bin"), e.getMessage());
    }

    @Test
    void aMissingClientSkipsLocally() {
        assertThrows(
                TestAbortedException.class,
                () -> ExternalClients.require("no-such-nbd-client", "libnbd-bin", Map.of("PATH", "/nonexistent")));
    }
}
