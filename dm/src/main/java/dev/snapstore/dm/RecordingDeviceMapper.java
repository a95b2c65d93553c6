package dev.snapstore.dm;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * An in-memory {@link DeviceMapper} for tests: it keeps devices with a live and an inactive table
 * and a suspended flag, with the kernel's rules for those (no create over an existing name, resume
 * swaps in the inactive table, a device is busy while another device's live or inactive table names it by
 * {@code /dev/mapper/NAME} or {@code major:minor}), records every call as one line such as
 * {@code "load snap"}, and fails a chosen call with a chosen message. Status lines are whatever the
 * test sets ({@link #setStatus}, or a sequence with {@link #scriptStatus}), by default none. Thread-safe (every method is synchronized).
 *
 * @since 0.1
 */
public final class RecordingDeviceMapper implements DeviceMapper {

    private static final class Device {
        final int minor;
        List<String> live = List.of();
        List<String> inactive;
        boolean suspended;
        List<String> status = List.of();
        final Deque<List<String>> script = new ArrayDeque<>();

        Device(int minor) {
            this.minor = minor;
        }
    }

    private final Map<String, Device> devices = new TreeMap<>();
    private final List<String> calls = new ArrayList<>();
    private final Map<String, String> failures = new HashMap<>();
    private final TargetVersions targets;
    private int nextMinor;

    /**
     * A fake whose kernel has the given targets.
     *
     * @param targets what {@link #targets()} returns
     */
    public RecordingDeviceMapper(TargetVersions targets) {
        this.targets = targets;
    }

    /**
     * The calls so far, one line each: {@code "create NAME"} (with {@code " suspended"}),
     * {@code "load NAME"}, {@code "clear NAME"}, {@code "suspend NAME"}, {@code "resume NAME"}, {@code "remove NAME"},
     * {@code "table NAME"}, {@code "status NAME"}, {@code "info NAME"}, {@code "list"}, {@code "targets"}.
     *
     * @return a copy of the calls in order
     */
    public synchronized List<String> calls() {
        return List.copyOf(calls);
    }

    /**
     * Makes the next call whose line equals {@code call} (e.g. {@code "load snap"}) fail with
     * {@code message}, changing nothing, as the kernel does when it refuses.
     *
     * @param call the call line
     * @param message the error message
     */
    public synchronized void failNext(String call, String message) {
        failures.put(call, message);
    }

    /**
     * Sets the status lines a device reports.
     *
     * @param name the device
     * @param lines the lines
     */
    public synchronized void setStatus(String name, List<String> lines) {
        device(name).ifPresent(d -> d.status = List.copyOf(lines));
    }

    /**
     * Scripts the status lines a device reports: each {@link #status} call answers the next reading,
     * and the last one stays, as a merge or a filling COW moves on between polls.
     *
     * @param name the device
     * @param readings the readings in order, each a list of lines
     * @since 0.2
     */
    public synchronized void scriptStatus(String name, List<List<String>> readings) {
        device(name).ifPresent(d -> {
            d.script.clear();
            readings.forEach(r -> d.script.addLast(List.copyOf(r)));
        });
    }

    /**
     * The inactive table of a device, for assertions.
     *
     * @param name the device
     * @return the inactive table, or empty when there is none (or no device)
     */
    public synchronized Optional<List<String>> inactiveTable(String name) {
        return device(name).map(d -> d.inactive);
    }

    @Override
    public synchronized void create(String name, List<String> table, boolean suspended) throws DeviceMapperException {
        call("create " + name + (suspended ? " suspended" : ""));
        if (devices.containsKey(name)) {
            throw new DeviceMapperException(
                    "dmsetup create " + name + " failed: device-mapper: create ioctl on " + name
                            + " failed: Device or resource busy",
                    1,
                    "",
                    null);
        }
        Device d = new Device(nextMinor++);
        if (suspended) {
            d.inactive = List.copyOf(table);
        } else {
            d.live = List.copyOf(table);
        }
        devices.put(name, d);
    }

    @Override
    public synchronized void load(String name, List<String> table) throws DeviceMapperException {
        call("load " + name);
        existing(name).inactive = List.copyOf(table);
    }

    @Override
    public synchronized void clear(String name) throws DeviceMapperException {
        call("clear " + name);
        existing(name).inactive = null;
    }

    @Override
    public synchronized void suspend(String name) throws DeviceMapperException {
        call("suspend " + name);
        existing(name).suspended = true;
    }

    @Override
    public synchronized void resume(String name) throws DeviceMapperException {
        call("resume " + name);
        Device d = existing(name);
        if (d.inactive != null) {
            d.live = d.inactive;
            d.inactive = null;
        }
        d.suspended = false;
    }

    @Override
    public synchronized void remove(String name) throws DeviceMapperException {
        call("remove " + name);
        Device d = existing(name);
        String byName = "/dev/mapper/" + name;
        String byNumber = "254:" + d.minor;
        for (Map.Entry<String, Device> other : devices.entrySet()) {
            // The kernel holds the devices of an inactive table open as well as those of the live one.
            List<String> lines = new ArrayList<>(other.getValue().live);
            if (other.getValue().inactive != null) {
                lines.addAll(other.getValue().inactive);
            }
            for (String line : lines) {
                for (String word : line.split(" ")) {
                    if (word.equals(byName) || word.equals(byNumber)) {
                        throw new DeviceMapperException(
                                "dmsetup remove " + name + " failed: device-mapper: remove ioctl on " + name
                                        + " failed: Device or resource busy (used by " + other.getKey() + ")",
                                1,
                                "",
                                null);
                    }
                }
            }
        }
        devices.remove(name);
    }

    @Override
    public synchronized List<String> table(String name) throws DeviceMapperException {
        call("table " + name);
        return existing(name).live;
    }

    @Override
    public synchronized List<String> status(String name) throws DeviceMapperException {
        call("status " + name);
        Device d = existing(name);
        if (!d.script.isEmpty()) {
            d.status = d.script.removeFirst();
        }
        return d.status;
    }

    @Override
    public synchronized Optional<DeviceInfo> info(String name) throws DeviceMapperException {
        call("info " + name);
        return device(name)
                .map(d -> new DeviceInfo(
                        name, d.suspended, !d.live.isEmpty(), d.inactive != null, 0, 254, d.minor, d.live.size()));
    }

    @Override
    public synchronized List<String> list() throws DeviceMapperException {
        call("list");
        return List.copyOf(devices.keySet());
    }

    @Override
    public synchronized TargetVersions targets() throws DeviceMapperException {
        call("targets");
        return targets;
    }

    private void call(String line) throws DeviceMapperException {
        calls.add(line);
        String message = failures.remove(line);
        if (message != null) {
            throw new DeviceMapperException(message, 1, message, null);
        }
    }

    private Optional<Device> device(String name) {
        return Optional.ofNullable(devices.get(name));
    }

    private Device existing(String name) throws DeviceMapperException {
        Device d = devices.get(name);
        if (d == null) {
            throw new DeviceMapperException(
                    "dmsetup: device " + name + " does not exist", 1, "Device does not exist.", null);
        }
        return d;
    }
}
