package dev.snapstore.engine;

import dev.snapstore.spi.Errno;
import dev.snapstore.spi.SnapstoreException;

/**
 * An I/O request on a snapshot, an origin or a merging snapshot that the kernel would end with
 * {@code -EIO}: the snapshot is invalid, it overflowed and the request is a write, its store is full,
 * its copy-on-write could not be stored, or a merge step it waited for failed.
 *
 * @since 0.1
 */
public class SnapshotIOException extends SnapstoreException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what failed, for people
     */
    public SnapshotIOException(String message) {
        super(message);
    }

    /**
     * Creates the exception with the device error underneath.
     *
     * @param message what failed, for people
     * @param cause the device's error
     */
    public SnapshotIOException(String message, Throwable cause) {
        super(message, cause);
    }

    /**
     * The kernel's error number for this failure.
     *
     * @return always {@link Errno#EIO}
     */
    public Errno errno() {
        return Errno.EIO;
    }
}
