package dev.snapstore.spi;

import java.io.IOException;

/**
 * An I/O that reaches past the end of a device; the kernel's "attempt to access beyond end of
 * device".
 *
 * @since 0.1
 */
public class BeyondEndOfDeviceException extends IOException {

    private static final long serialVersionUID = 1L;

    private final long sector;
    private final long count;
    private final long limit;

    /**
     * Creates the exception.
     *
     * @param device the device's name
     * @param sector the first sector of the transfer
     * @param count the transfer's length in sectors
     * @param limit the device's size in sectors
     */
    public BeyondEndOfDeviceException(String device, long sector, long count, long limit) {
        super(device + ": attempt to access beyond end of device: sector=" + sector + ", nr_sectors = " + count
                + " limit=" + limit);
        this.sector = sector;
        this.count = count;
        this.limit = limit;
    }

    /** @return the first sector of the transfer */
    public long sector() {
        return sector;
    }

    /** @return the transfer's length in sectors */
    public long count() {
        return count;
    }

    /** @return the device's size in sectors */
    public long limit() {
        return limit;
    }
}
