package dev.snapstore.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.io.IOException;
import org.junit.jupiter.api.Test;

/** One checked base for the library's kernel errors, carrying the errno. */
class SnapstoreExceptionTest {

    @Test
    void aStoreExceptionIsASnapstoreExceptionWithItsErrno() {
        IOException cause = new IOException("disk gone");
        SnapstoreException e = new StoreException(Errno.ENXIO, "Invalid or corrupt snapshot", cause);
        assertEquals(Errno.ENXIO, e.errno());
        assertEquals("Invalid or corrupt snapshot", e.getMessage());
        assertSame(cause, e.getCause());
        IOException asIo = e;
        assertSame(e, asIo);
    }
}
