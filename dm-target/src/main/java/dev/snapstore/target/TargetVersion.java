package dev.snapstore.target;

/**
 * A device-mapper target's version, {@code major.minor.patchlevel}, as {@code dmsetup targets}
 * prints it after a {@code v}.
 *
 * @param major the major number
 * @param minor the minor number
 * @param patchlevel the patch level
 */
public record TargetVersion(int major, int minor, int patchlevel) implements Comparable<TargetVersion> {

    @Override
    public int compareTo(TargetVersion other) {
        int c = Integer.compare(major, other.major);
        if (c == 0) {
            c = Integer.compare(minor, other.minor);
        }
        return c != 0 ? c : Integer.compare(patchlevel, other.patchlevel);
    }

    /**
     * Whether this version is {@code other} or later.
     *
     * @param other the version to compare with
     * @return {@code true} when at least {@code other}
     */
    public boolean atLeast(TargetVersion other) {
        return compareTo(other) >= 0;
    }

    @Override
    public String toString() {
        return major + "." + minor + "." + patchlevel;
    }
}
