package dev.snapstore.engine;

import dev.snapstore.dm.TableException;
import dev.snapstore.spi.Errno;
import dev.snapstore.spi.SnapstoreException;
import java.util.Objects;

/**
 * A snapshot could not be set up: the kernel's {@code ti->error} from {@code snapshot_ctr}, such as
 * {@code "Couldn't create exception store"}, {@code "Failed to read snapshot metadata"} or
 * {@code "Chunk size not set"}, or a refused merge, {@code "Snapshot exception store does not support
 * snapshot-merge."}. The message is the kernel's text exactly; the store's own reason, which the
 * kernel only logs or loses, is kept as the cause and in {@link #innerMessage()}.
 *
 * @since 0.1
 */
public class SnapshotTargetException extends SnapstoreException {

    private static final long serialVersionUID = 1L;

    private final Errno errno;

    /**
     * Creates the exception.
     *
     * @param errno the kernel's error number
     * @param message the kernel's {@code ti->error} text
     */
    public SnapshotTargetException(Errno errno, String message) {
        super(Objects.requireNonNull(message, "message"));
        this.errno = Objects.requireNonNull(errno, "errno");
    }

    /**
     * Creates the exception with the reason underneath.
     *
     * @param errno the kernel's error number
     * @param message the kernel's {@code ti->error} text
     * @param cause the store's failure, usually a {@link dev.snapstore.spi.StoreException}
     */
    public SnapshotTargetException(Errno errno, String message, Throwable cause) {
        super(Objects.requireNonNull(message, "message"), cause);
        this.errno = Objects.requireNonNull(errno, "errno");
    }

    /**
     * The engine's form of a refusal by dm's {@code snapshot_ctr} rules: the same kernel message,
     * error number and cause.
     *
     * @param e the refusal
     * @return the exception
     */
    static SnapshotTargetException of(TableException e) {
        return e.getCause() == null
                ? new SnapshotTargetException(e.errno(), e.kernelMessage())
                : new SnapshotTargetException(e.errno(), e.kernelMessage(), e.getCause());
    }

    /**
     * The kernel's error number, printed as {@code (-EINVAL)} after the message.
     *
     * @return the error number, never {@code null}
     */
    public Errno errno() {
        return errno;
    }

    /**
     * The reason under the kernel's message, e.g. {@code "Chunk size is not a power of 2"} under
     * {@code "Couldn't create exception store"}.
     *
     * @return the cause's message, or {@code null} when there is none
     */
    public String innerMessage() {
        return getCause() == null ? null : getCause().getMessage();
    }
}
