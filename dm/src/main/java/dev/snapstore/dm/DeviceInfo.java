package dev.snapstore.dm;

import java.util.Objects;

/**
 * What {@code dmsetup info NAME} says about one device: whether it is suspended, which tables it
 * has, how often it is open and its device number.
 *
 * @param name the device name
 * @param suspended {@code true} when the device is suspended (I/O is queued)
 * @param liveTable {@code true} when a table is live
 * @param inactiveTable {@code true} when a table is loaded but not yet resumed
 * @param openCount how many times the device is open
 * @param major the device's major number
 * @param minor the device's minor number
 * @param targetCount the number of lines (targets) of the live table
 * @since 0.1
 */
public record DeviceInfo(
        String name,
        boolean suspended,
        boolean liveTable,
        boolean inactiveTable,
        int openCount,
        int major,
        int minor,
        int targetCount) {

    /**
     * Checks the arguments.
     *
     * @param name the device name
     * @param suspended suspended
     * @param liveTable live table present
     * @param inactiveTable inactive table present
     * @param openCount open count
     * @param major major number
     * @param minor minor number
     * @param targetCount live targets
     */
    public DeviceInfo {
        Objects.requireNonNull(name, "name");
    }

    /**
     * The {@code major:minor} name the kernel uses in tables and status, e.g. {@code "254:0"}.
     *
     * @return the device number as text
     */
    public String devno() {
        return major + ":" + minor;
    }

    /**
     * Parses the output of {@code dmsetup info NAME} (the default, multi-line format):
     * <pre>
     * Name:              snap
     * State:             ACTIVE
     * Read Ahead:        256
     * Tables present:    LIVE &amp; INACTIVE
     * Open count:        0
     * Event number:      0
     * Major, minor:      254, 1
     * Number of targets: 1
     * </pre>
     *
     * @param text the output
     * @return the information
     * @throws DeviceMapperException when a field is missing or malformed
     */
    public static DeviceInfo parse(String text) throws DeviceMapperException {
        Objects.requireNonNull(text, "text");
        String name = null;
        String state = null;
        String tables = null;
        Integer open = null;
        Integer targets = null;
        int major = -1;
        int minor = -1;
        for (String line : text.split("\n")) {
            int colon = line.indexOf(':');
            if (colon < 0) {
                continue;
            }
            String key = line.substring(0, colon).strip();
            String value = line.substring(colon + 1).strip();
            try {
                switch (key) {
                    case "Name" -> name = value;
                    case "State" -> state = value;
                    case "Tables present" -> tables = value;
                    case "Open count" -> open = Integer.parseInt(value);
                    case "Number of targets" -> targets = Integer.parseInt(value);
                    case "Major, minor" -> {
                        String[] mm = value.split(",");
                        major = Integer.parseInt(mm[0].strip());
                        minor = Integer.parseInt(mm[1].strip());
                    }
                    default -> {
                        // Read Ahead, Event number, UUID: not needed here.
                    }
                }
            } catch (NumberFormatException | ArrayIndexOutOfBoundsException e) {
                throw new DeviceMapperException("unreadable dmsetup info field \"" + line.strip() + "\"", e);
            }
        }
        if (name == null || state == null || tables == null || open == null || major < 0) {
            throw new DeviceMapperException("not the output of dmsetup info (needs Name, State, Tables present, "
                    + "Open count, Major, minor): \"" + text.strip().replace('\n', ' ') + "\"");
        }
        return new DeviceInfo(
                name,
                state.startsWith("SUSPENDED"),
                tables.contains("LIVE"),
                tables.contains("INACTIVE"),
                open,
                major,
                minor,
                targets == null ? 0 : targets);
    }
}
