package dev.snapstore.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.snapstore.spi.Errno;
import dev.snapstore.spi.SnapstoreException;
import org.junit.jupiter.api.Test;

/** The engine's failures share the SPI's checked base, so a caller reads errno() from one type. */
class ExceptionBaseTest {

    @Test
    void targetAndIoFailuresAreSnapstoreExceptions() {
        SnapstoreException target = new SnapshotTargetException(Errno.EINVAL, "Chunk size not set");
        SnapstoreException io = new SnapshotIOException("snapshot is invalid");
        assertEquals(Errno.EINVAL, target.errno());
        assertEquals(Errno.EIO, io.errno());
    }
}
