package dev.snapstore.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.extension.AnnotatedElementContext;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.io.TempDirFactory;

/**
 * Temporary folders in /dev/shm where Linux has it: the commands fsync after every commit, as the
 * kernel flushes, and on a busy disk that costs tens of milliseconds a time without telling these
 * tests anything (crash safety is tested on fault-injecting devices).
 */
final class MemoryTempDir implements TempDirFactory {

    @Override
    public Path createTempDirectory(AnnotatedElementContext element, ExtensionContext extension) throws IOException {
        Path shm = Path.of("/dev/shm");
        return Files.isDirectory(shm) && Files.isWritable(shm)
                ? Files.createTempDirectory(shm, "snapstore-test-")
                : Files.createTempDirectory("snapstore-test-");
    }
}
