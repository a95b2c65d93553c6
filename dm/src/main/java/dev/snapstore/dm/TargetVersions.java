package dev.snapstore.dm;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The kernel's loaded device-mapper targets and their versions, as {@code dmsetup targets} lists
 * them: one {@code printf("%-16s v%d.%d.%d\n", name, major, minor, patch)} line per target
 * (lvm2 {@code libdm/dm-tools/dmsetup.c}), the name left-justified in 16 columns, or followed by
 * one space when it is longer.
 *
 * <p>Parsing is tolerant where the text may have passed through other hands (blank lines, spaces
 * around a line, a {@code \r} before the newline, any number of spaces between name and version,
 * any targets besides the snapshot ones) and strict about everything else: a line that is not a
 * name and a version is rejected, naming the line. {@link #format()} prints the listing back
 * exactly as {@code dmsetup} does, in the order read.
 *
 * <p>Instances are immutable.
 *
 * @since 0.1
 */
public final class TargetVersions {

    /** The {@code snapshot} target's name. */
    public static final String SNAPSHOT = "snapshot";
    /** The {@code snapshot-merge} target's name. */
    public static final String SNAPSHOT_MERGE = "snapshot-merge";
    /** The {@code snapshot-origin} target's name. */
    public static final String SNAPSHOT_ORIGIN = "snapshot-origin";

    private static final Pattern LINE = Pattern.compile("(\\S+)[ \\t]+v(\\S*)");

    private final Map<String, TargetVersion> versions;

    private TargetVersions(Map<String, TargetVersion> versions) {
        this.versions = Collections.unmodifiableMap(versions);
    }

    /**
     * Parses the output of {@code dmsetup targets}.
     *
     * @param text the whole listing, never {@code null}; may be empty (no targets)
     * @return the targets in the order listed
     * @throws TargetException naming the line number and quoting the line when a line is neither
     *     blank nor {@code <name> v<major>.<minor>.<patch>}, or when a target is listed twice
     */
    public static TargetVersions parse(String text) throws TargetException {
        Objects.requireNonNull(text, "text");
        Map<String, TargetVersion> map = new LinkedHashMap<>();
        Map<String, Integer> lineOf = new LinkedHashMap<>();
        String[] lines = text.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            int number = i + 1;
            String line = lines[i].strip();
            if (line.isEmpty()) {
                continue;
            }
            Matcher m = LINE.matcher(line);
            if (!m.matches()) {
                throw new TargetException("line " + number + " of dmsetup targets: \"" + lines[i]
                        + "\" is not \"<target> v<major>.<minor>.<patch>\"");
            }
            TargetVersion version;
            try {
                version = TargetVersion.parse(m.group(2));
            } catch (TargetException e) {
                throw new TargetException(
                        "line " + number + " of dmsetup targets: \"" + lines[i] + "\" has a bad version: "
                                + e.getMessage(),
                        e);
            }
            String name = m.group(1);
            Integer earlier = lineOf.putIfAbsent(name, number);
            if (earlier != null) {
                throw new TargetException("line " + number + " of dmsetup targets: \"" + lines[i] + "\" lists target \""
                        + name + "\" again (first on line " + earlier + ")");
            }
            map.put(name, version);
        }
        return new TargetVersions(map);
    }

    /**
     * A listing built from known versions, e.g. for tests or for a version read elsewhere.
     *
     * @param versions target name to version, in listing order; names must be non-empty and free
     *     of whitespace
     * @return the listing
     */
    public static TargetVersions of(Map<String, TargetVersion> versions) {
        Map<String, TargetVersion> copy = new LinkedHashMap<>();
        versions.forEach((name, version) -> {
            if (name.isEmpty() || name.chars().anyMatch(Character::isWhitespace)) {
                throw new IllegalArgumentException("bad target name \"" + name + "\"");
            }
            copy.put(name, Objects.requireNonNull(version, "version"));
        });
        return new TargetVersions(copy);
    }

    /**
     * The version of a target, if it is loaded.
     *
     * @param target the target name, e.g. {@code "snapshot"}
     * @return its version, or empty when it is not listed
     */
    public Optional<TargetVersion> find(String target) {
        return Optional.ofNullable(versions.get(target));
    }

    /**
     * The version of a target that must be loaded.
     *
     * @param target the target name, e.g. {@code "snapshot"}
     * @return its version
     * @throws TargetException naming the target when it is not listed, e.g.
     *     {@code target "snapshot" not found in dmsetup targets (is dm-snapshot loaded?)}
     */
    public TargetVersion require(String target) throws TargetException {
        TargetVersion version = versions.get(target);
        if (version == null) {
            throw new TargetException(
                    "target \"" + target + "\" not found in dmsetup targets (" + moduleHint(target) + ")");
        }
        return version;
    }

    private static String moduleHint(String target) {
        // snapshot, snapshot-origin and snapshot-merge all live in the dm-snapshot module.
        if (target.startsWith(SNAPSHOT)) {
            return "is dm-snapshot loaded?";
        }
        return "is its kernel module loaded?";
    }

    /**
     * Every listed target with its version.
     *
     * @return an unmodifiable map in listing order
     */
    public Map<String, TargetVersion> asMap() {
        return versions;
    }

    /**
     * The listing exactly as {@code dmsetup targets} prints it: {@code "%-16s v%d.%d.%d\n"} per target.
     *
     * @return the text, empty when there are no targets
     */
    public String format() {
        StringBuilder out = new StringBuilder();
        versions.forEach((name, version) ->
                out.append(String.format("%-16s v%s", name, version)).append('\n'));
        return out.toString();
    }

    @Override
    public boolean equals(Object o) {
        // Order is part of the listing: format() must reproduce it.
        return o instanceof TargetVersions other
                && versions.equals(other.versions)
                && versions.keySet().stream()
                        .toList()
                        .equals(other.versions.keySet().stream().toList());
    }

    @Override
    public int hashCode() {
        return versions.hashCode();
    }

    @Override
    public String toString() {
        return "TargetVersions" + versions;
    }
}
