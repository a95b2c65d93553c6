package dev.snapstore.dm;

import java.util.List;
import java.util.Optional;

/**
 * The device-mapper operations a snapshot manager needs, by device name, as {@code dmsetup} offers
 * them. A table is a list of lines {@code "<start> <length> <target> <arguments>"} (one per
 * target, in sector order), e.g. {@code "0 8192 snapshot-origin /dev/vda"}.
 *
 * <p>{@link #dmsetup()} runs the real {@code dmsetup}; {@link RecordingDeviceMapper} is an
 * in-memory fake for tests. The interface leaves room for an implementation that talks to
 * {@code /dev/mapper/control} with ioctls directly. Implementations are safe for use by several
 * threads, but the kernel's state is shared: callers order their own operations.
 *
 * @since 0.1
 */
public interface DeviceMapper {

    /**
     * Creates a device. With {@code suspended} the table is loaded as the inactive table only and
     * the device has no live table until {@link #resume}; otherwise the table is live at once.
     *
     * @param name the new device's name
     * @param table the table lines, at least one
     * @param suspended {@code true} to leave the table inactive
     * @throws DeviceMapperException when the name is taken or the kernel refuses the table (then no
     *     device is left behind)
     */
    void create(String name, List<String> table, boolean suspended) throws DeviceMapperException;

    /**
     * Loads a table as the device's inactive table; {@link #resume} makes it live.
     *
     * @param name the device
     * @param table the table lines, at least one
     * @throws DeviceMapperException when the device does not exist or the kernel refuses the table
     */
    void load(String name, List<String> table) throws DeviceMapperException;

    /**
     * Drops the device's inactive table, if it has one ({@code dmsetup clear}), so that a later
     * {@link #resume} keeps the live table; the devices the dropped table named are released.
     *
     * @param name the device
     * @throws DeviceMapperException when the device does not exist
     */
    void clear(String name) throws DeviceMapperException;

    /**
     * Suspends the device: new I/O is queued, in-flight I/O is completed (a "flush" suspend).
     *
     * @param name the device
     * @throws DeviceMapperException when the device does not exist
     */
    void suspend(String name) throws DeviceMapperException;

    /**
     * Resumes the device, making an inactive table live first if there is one.
     *
     * @param name the device
     * @throws DeviceMapperException when the device does not exist or the kernel refuses to resume
     */
    void resume(String name) throws DeviceMapperException;

    /**
     * Removes the device.
     *
     * @param name the device
     * @throws DeviceMapperException when the device does not exist or is busy (open, or used by another device)
     */
    void remove(String name) throws DeviceMapperException;

    /**
     * The live table, as the kernel prints it (devices as {@code major:minor}).
     *
     * @param name the device
     * @return the table lines; empty when there is no live table
     * @throws DeviceMapperException when the device does not exist
     */
    List<String> table(String name) throws DeviceMapperException;

    /**
     * The status of the live table, one line per target, e.g. {@code "0 8192 snapshot 16/2048 16"};
     * {@link StatusLine#parse} reads a snapshot line.
     *
     * @param name the device
     * @return the status lines; empty when there is no live table
     * @throws DeviceMapperException when the device does not exist
     */
    List<String> status(String name) throws DeviceMapperException;

    /**
     * Information about a device.
     *
     * @param name the device
     * @return the information, or empty when there is no such device
     * @throws DeviceMapperException when the question cannot be asked
     */
    Optional<DeviceInfo> info(String name) throws DeviceMapperException;

    /**
     * Whether a device exists.
     *
     * @param name the device
     * @return {@code true} when it exists
     * @throws DeviceMapperException when the question cannot be asked
     */
    default boolean exists(String name) throws DeviceMapperException {
        return info(name).isPresent();
    }

    /**
     * The names of all devices.
     *
     * @return the names, sorted
     * @throws DeviceMapperException when the question cannot be asked
     */
    List<String> list() throws DeviceMapperException;

    /**
     * The targets the running kernel has loaded, with their versions ({@code dmsetup targets}), for
     * {@link Negotiator#negotiate}.
     *
     * @return the versions
     * @throws DeviceMapperException when the question cannot be asked
     */
    TargetVersions targets() throws DeviceMapperException;

    /**
     * The real {@code dmsetup} from {@code PATH}, with {@link DmsetupDeviceMapper#DEFAULT_TIMEOUT}
     * per command and udev synchronisation only when udev runs.
     *
     * @return the client
     */
    static DeviceMapper dmsetup() {
        return DmsetupDeviceMapper.create();
    }
}
