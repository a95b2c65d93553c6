package dev.snapstore.spi;

/**
 * The kernel error numbers that snapshot targets and exception stores return, named as the kernel
 * prints them in {@code "... (-EINVAL)"}.
 *
 * @since 0.1
 */
public enum Errno {
    /** I/O error. */
    EIO(5),
    /** No such device or address: a COW header with a bad magic. */
    ENXIO(6),
    /** Out of memory. */
    ENOMEM(12),
    /**
     * Device or resource busy: the image is in use by another holder, as the kernel refuses a device
     * that someone else opened exclusively.
     *
     * @since 0.3
     */
    EBUSY(16),
    /** No such device. */
    ENODEV(19),
    /** Invalid argument. */
    EINVAL(22),
    /** No space left on device: the store is full. */
    ENOSPC(28);

    private final int number;

    Errno(int number) {
        this.number = number;
    }

    /**
     * The positive error number, as in {@code errno.h}.
     *
     * @return e.g. 22 for {@link #EINVAL}
     */
    public int number() {
        return number;
    }

    /**
     * The form the kernel prints after a target error.
     *
     * @return e.g. {@code "-EINVAL"}
     */
    public String negated() {
        return "-" + name();
    }
}
