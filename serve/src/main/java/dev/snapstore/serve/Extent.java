package dev.snapstore.serve;

/**
 * A run of bytes with one {@code base:allocation} status, as {@link NbdExport#blockStatus} returns.
 *
 * <p>Flags: {@link #HOLE} means not allocated in the backing store; {@link #ZERO} means the bytes
 * certainly read as zero. {@code 0} (allocated, contents unknown) is always a safe answer; a wrong
 * {@link #ZERO} makes clients such as {@code nbdcopy} and {@code qemu-img} skip data, so an export
 * sets it only when it knows.
 *
 * @param length the number of bytes, positive
 * @param flags a combination of {@link #HOLE} and {@link #ZERO}
 * @since 0.1
 */
public record Extent(long length, int flags) {
    /** {@code NBD_STATE_HOLE}: the extent is not allocated. */
    public static final int HOLE = 1;
    /** {@code NBD_STATE_ZERO}: the extent reads as zeroes. */
    public static final int ZERO = 2;

    /**
     * Checks the fields.
     *
     * @param length the number of bytes, positive
     * @param flags a combination of {@link #HOLE} and {@link #ZERO}
     */
    public Extent {
        if (length <= 0) {
            throw new IllegalArgumentException("extent length must be positive: " + length);
        }
        if ((flags & ~(HOLE | ZERO)) != 0) {
            throw new IllegalArgumentException("unknown base:allocation flags: " + flags);
        }
    }

    /**
     * An allocated extent whose contents the export does not describe: always correct.
     *
     * @param length the number of bytes, positive
     * @return an extent with flags 0
     */
    public static Extent data(long length) {
        return new Extent(length, 0);
    }
}
