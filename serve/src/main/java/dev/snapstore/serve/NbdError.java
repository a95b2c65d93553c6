package dev.snapstore.serve;

/**
 * The error values the NBD protocol allows in a reply, and the mapping from a system errno to them.
 *
 * <p>The protocol restricts errors to this set; any other errno is mapped by {@link #fromErrno(int)}
 * the way the specification and nbdkit do ({@code EDQUOT} and {@code EFBIG} are {@link #ENOSPC},
 * {@code EROFS} and {@code EACCES} are {@link #EPERM}, anything unknown is {@link #EIO}).
 *
 * @since 0.1
 */
public enum NbdError {
    /** Operation not permitted: a write to a read-only export. */
    EPERM(1),
    /** Input/output error. */
    EIO(5),
    /** Cannot allocate memory; the protocol asks servers to avoid it. */
    ENOMEM(12),
    /** Invalid argument: past the end, unaligned, unknown command or flag. */
    EINVAL(22),
    /** No space left on device: a write past the end, or a full store. */
    ENOSPC(28),
    /** Value too large. */
    EOVERFLOW(75),
    /** Operation not supported. */
    ENOTSUP(95),
    /** The server is shutting down. */
    ESHUTDOWN(108);

    private final int value;

    NbdError(int value) {
        this.value = value;
    }

    /**
     * The number sent on the wire.
     *
     * @return e.g. 22 for {@link #EINVAL}
     */
    public int value() {
        return value;
    }

    /**
     * Maps a Linux errno number (positive, as in {@code errno.h}) to the error the protocol allows.
     *
     * @param errno a positive errno such as 28 ({@code ENOSPC}) or 122 ({@code EDQUOT})
     * @return the NBD error for it; {@link #EIO} when the protocol has no better one
     */
    public static NbdError fromErrno(int errno) {
        switch (errno) {
            case 1: // EPERM
            case 13: // EACCES
            case 30: // EROFS
                return EPERM;
            case 12:
                return ENOMEM;
            case 22:
                return EINVAL;
            case 27: // EFBIG
            case 28: // ENOSPC
            case 122: // EDQUOT
                return ENOSPC;
            case 75:
                return EOVERFLOW;
            case 95:
                return ENOTSUP;
            case 108:
                return ESHUTDOWN;
            default:
                return EIO;
        }
    }
}
