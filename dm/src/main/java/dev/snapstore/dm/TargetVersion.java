package dev.snapstore.dm;

import java.util.Comparator;

/**
 * A device-mapper target version, {@code major.minor.patch}, as {@code DM_LIST_VERSIONS} reports it
 * and {@code dmsetup targets} prints it. Ordered lexicographically, as Android's
 * {@code DmTargetTypeInfo::IsAtLeast} compares.
 *
 * <p>The kernel keeps each part as a {@code uint32_t} but {@code dmsetup} prints them with
 * {@code %d}; parts are therefore limited to {@code 0..Integer.MAX_VALUE}, the range that prints
 * the same either way.
 *
 * @param major the major version, at least 0
 * @param minor the minor version, at least 0
 * @param patch the patch level, at least 0
 * @since 0.1
 */
public record TargetVersion(int major, int minor, int patch) implements Comparable<TargetVersion> {

    private static final Comparator<TargetVersion> ORDER = Comparator.comparingInt(TargetVersion::major)
            .thenComparingInt(TargetVersion::minor)
            .thenComparingInt(TargetVersion::patch);

    /**
     * Checks that no part is negative.
     *
     * @param major the major version
     * @param minor the minor version
     * @param patch the patch level
     */
    public TargetVersion {
        if (major < 0 || minor < 0 || patch < 0) {
            throw new IllegalArgumentException("negative version part in " + major + "." + minor + "." + patch);
        }
    }

    /**
     * Parses {@code "1.16.0"}; a leading {@code v}, as {@code dmsetup targets} prints it, is accepted.
     *
     * @param text the version, never {@code null}
     * @return the version
     * @throws TargetException when the text is not three decimal numbers separated by dots
     */
    public static TargetVersion parse(String text) throws TargetException {
        String s = text.startsWith("v") ? text.substring(1) : text;
        String[] parts = s.split("\\.", -1);
        if (parts.length != 3) {
            throw new TargetException(
                    "\"" + text + "\" is not a target version (expected <major>.<minor>.<patch>, e.g. 1.16.0)");
        }
        int[] numbers = new int[3];
        for (int i = 0; i < 3; i++) {
            numbers[i] = parsePart(parts[i], text);
        }
        return new TargetVersion(numbers[0], numbers[1], numbers[2]);
    }

    private static int parsePart(String part, String text) throws TargetException {
        if (part.isEmpty() || part.length() > 10 || !part.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw new TargetException(
                    "\"" + text + "\" is not a target version (expected <major>.<minor>.<patch>, e.g. 1.16.0)");
        }
        long value = Long.parseLong(part);
        if (value > Integer.MAX_VALUE) {
            throw new TargetException("\"" + text + "\" is not a target version: " + part + " is too large");
        }
        return (int) value;
    }

    /**
     * Whether this version is the given one or newer.
     *
     * @param other the version to compare with
     * @return {@code true} when {@code this >= other}
     */
    public boolean isAtLeast(TargetVersion other) {
        return compareTo(other) >= 0;
    }

    @Override
    public int compareTo(TargetVersion other) {
        return ORDER.compare(this, other);
    }

    /**
     * The version as {@code dmsetup} prints it after its {@code v}.
     *
     * @return e.g. {@code "1.16.0"}
     */
    @Override
    public String toString() {
        return major + "." + minor + "." + patch;
    }
}
