package dev.snapstore.dm;

import dev.snapstore.spi.Usage;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The INFO status of a {@code snapshot}/{@code snapshot-merge} target ({@code snapshot_status} in
 * dm-snap.c, spec §5.9): {@code Invalid}, {@code Merge failed}, {@code Overflow}, or the usage
 * {@code "%llu/%llu %llu"} (allocated/total metadata sectors), or {@code Unknown} for a store
 * without a usage method.
 *
 * <p><b>What {@link #parse} accepts, and why.</b> Exactly what the kernel prints: the four words,
 * and three unsigned 64-bit decimal numbers as {@code a/t m} with single separators. This matches
 * every case of Android's {@code ParseStatusText} test ({@code fs_mgr/libdm/dm_test.cpp}): it
 * rejects {@code ""}, {@code "X"}, {@code "123"}, {@code "123/456"}, {@code "123 456"},
 * {@code "123 456 789"}, {@code "123 456/789"}, {@code "123/456/789"} and {@code "123 / 456 789"},
 * and accepts {@code "123/456 789"}, {@code Invalid}, {@code Merge failed} and {@code Overflow}.
 * The sources disagree at the edges and the kernel is the arbiter here:
 * <ul>
 * <li>Android's {@code DmTargetSnapshot::ParseStatusText} ({@code fs_mgr/libdm/dm_target.cpp})
 *     needs {@code sscanf("%lu/%lu %lu") == 3}, so with glibc it also takes {@code " 1/ 2 3"},
 *     {@code "1/2 3 junk"} or {@code "-1/2 3"}, and it rejects {@code Unknown}. We reject the
 *     sloppy forms (no kernel prints them) and accept {@code Unknown} (the kernel prints it).
 * <li>lvm2's {@code dm_get_status_snapshot} ({@code libdm/libdms.c}) uses the same
 *     {@code sscanf} but accepts 2 fields too: {@code <used>/<total>} is the format of snapshot
 *     targets up to 1.7.0 ({@code libdevmapper.h}: "&lt;= 1.7.0: &lt;used_sectors&gt;/&lt;total_sectors&gt;").
 *     Since Android's test rejects {@code "123/456"}, {@link #parse} does too; {@link #parseLegacy}
 *     accepts it for old kernels, with {@link #hasMetadataSectors()} {@code false}.
 * </ul>
 *
 * @param kind which of the forms
 * @param usage the sectors for {@link Kind#USAGE}, {@code null} for every other kind
 * @param hasMetadataSectors {@code false} only for the two-field form of old kernels, whose
 *     metadata count is then 0
 * @since 0.1
 */
public record SnapshotStatus(Kind kind, Usage usage, boolean hasMetadataSectors) {

    /** The forms of the status. */
    public enum Kind {
        /** {@code allocated/total metadata}. */
        USAGE(null),
        /** {@code Invalid}: the snapshot was invalidated. */
        INVALID("Invalid"),
        /** {@code Merge failed}: a snapshot-merge stopped on an error. */
        MERGE_FAILED("Merge failed"),
        /** {@code Overflow}: a {@code PO} snapshot ran out of space on a snapshot write. */
        OVERFLOW("Overflow"),
        /** {@code Unknown}: the store has no usage method (no built-in store). */
        UNKNOWN("Unknown");

        private final String word;

        Kind(String word) {
            this.word = word;
        }

        /**
         * The word the kernel prints for this kind.
         *
         * @return e.g. {@code "Merge failed"}, or {@code null} for {@link #USAGE}
         */
        public String word() {
            return word;
        }
    }

    /** {@code Invalid}. */
    public static final SnapshotStatus INVALID = new SnapshotStatus(Kind.INVALID, null, false);
    /** {@code Merge failed}. */
    public static final SnapshotStatus MERGE_FAILED = new SnapshotStatus(Kind.MERGE_FAILED, null, false);
    /** {@code Overflow}. */
    public static final SnapshotStatus OVERFLOW = new SnapshotStatus(Kind.OVERFLOW, null, false);
    /** {@code Unknown}. */
    public static final SnapshotStatus UNKNOWN = new SnapshotStatus(Kind.UNKNOWN, null, false);

    private static final Pattern NUMBERS3 = Pattern.compile("(\\d+)/(\\d+) (\\d+)");
    private static final Pattern NUMBERS2 = Pattern.compile("(\\d+)/(\\d+)");
    private static final String EXPECTED =
            "expected \"<allocated>/<total> <metadata>\", \"Invalid\", \"Merge failed\", \"Overflow\" or \"Unknown\"";

    /**
     * Checks that usage is given exactly for {@link Kind#USAGE}.
     *
     * @param kind the form
     * @param usage the sectors, only for {@link Kind#USAGE}
     * @param hasMetadataSectors whether the metadata count was printed
     */
    public SnapshotStatus {
        Objects.requireNonNull(kind, "kind");
        if ((kind == Kind.USAGE) != (usage != null)) {
            throw new IllegalArgumentException("usage must be given for USAGE and only for it");
        }
        if (kind != Kind.USAGE && hasMetadataSectors) {
            throw new IllegalArgumentException(kind + " has no metadata sectors");
        }
        if (kind == Kind.USAGE && !hasMetadataSectors && usage.metadataSectors() != 0) {
            throw new IllegalArgumentException("the two-field form has no metadata count");
        }
    }

    /**
     * The usage form.
     *
     * @param usage the sectors
     * @return the status
     */
    public static SnapshotStatus of(Usage usage) {
        return new SnapshotStatus(Kind.USAGE, Objects.requireNonNull(usage, "usage"), true);
    }

    /**
     * The status the kernel reports, with its priority: {@code Invalid} &gt; {@code Merge failed}
     * &gt; {@code Overflow} &gt; usage ({@code Unknown} without one).
     *
     * @param valid whether the snapshot is valid
     * @param mergeFailed whether a merge failed
     * @param overflowed whether a {@code PO} snapshot overflowed
     * @param usage the store's usage, or {@code null} for a store without a usage method
     * @return the status
     */
    public static SnapshotStatus of(boolean valid, boolean mergeFailed, boolean overflowed, Usage usage) {
        if (!valid) {
            return INVALID;
        }
        if (mergeFailed) {
            return MERGE_FAILED;
        }
        if (overflowed) {
            return OVERFLOW;
        }
        return usage == null ? UNKNOWN : of(usage);
    }

    /**
     * Parses the INFO status text of a current kernel (snapshot 1.8.0 and later).
     *
     * @param text the text after the target name in {@code dmsetup status}, e.g. {@code "24/64 16"}
     * @return the status
     * @throws StatusException quoting the text when it is not a status the kernel prints
     */
    public static SnapshotStatus parse(String text) throws StatusException {
        return parse(text, false);
    }

    /**
     * Parses as {@link #parse} does and also accepts the two-field {@code allocated/total} form of
     * snapshot targets up to 1.7.0, as lvm2 does.
     *
     * @param text the status text
     * @return the status
     * @throws StatusException quoting the text when it is not a status any kernel prints
     */
    public static SnapshotStatus parseLegacy(String text) throws StatusException {
        return parse(text, true);
    }

    private static SnapshotStatus parse(String text, boolean legacy) throws StatusException {
        Objects.requireNonNull(text, "text");
        if (text.isEmpty()) {
            throw new StatusException("empty snapshot status (" + EXPECTED + ")");
        }
        for (Kind kind : Kind.values()) {
            if (text.equals(kind.word)) {
                return new SnapshotStatus(kind, null, false);
            }
        }
        Matcher three = NUMBERS3.matcher(text);
        if (three.matches()) {
            return of(new Usage(
                    number(three.group(2), text), number(three.group(1), text), number(three.group(3), text)));
        }
        Matcher two = NUMBERS2.matcher(text);
        if (two.matches()) {
            if (legacy) {
                return new SnapshotStatus(
                        Kind.USAGE, new Usage(number(two.group(2), text), number(two.group(1), text), 0), false);
            }
            throw new StatusException("snapshot status \"" + text
                    + "\" has no metadata count: only snapshot targets before 1.8.0 print \"<allocated>/<total>\"");
        }
        throw new StatusException("\"" + text + "\" is not a snapshot status (" + EXPECTED + ")");
    }

    private static long number(String digits, String text) throws StatusException {
        try {
            return Long.parseUnsignedLong(digits);
        } catch (NumberFormatException e) {
            throw new StatusException("snapshot status \"" + text + "\": " + digits + " does not fit in 64 bits");
        }
    }

    /**
     * The usage, when this is the usage form.
     *
     * @return the sectors, or empty
     */
    public Optional<Usage> findUsage() {
        return Optional.ofNullable(usage);
    }

    /**
     * Whether a merge has finished: "Merging has finished when the number of sectors holding data is
     * zero, in other words {@code <sectors_allocated> == <metadata_sectors>}" (snapshot.rst).
     *
     * @return {@code true} for a three-field usage with allocated == metadata
     */
    public boolean isMergeFinished() {
        return kind == Kind.USAGE && hasMetadataSectors && usage.allocatedSectors() == usage.metadataSectors();
    }

    /**
     * The text exactly as the kernel prints it.
     *
     * @return e.g. {@code "24/64 16"} or {@code "Invalid"}
     */
    public String format() {
        if (kind != Kind.USAGE) {
            return kind.word;
        }
        String text =
                Long.toUnsignedString(usage.allocatedSectors()) + "/" + Long.toUnsignedString(usage.totalSectors());
        // "%llu/%llu %llu" since snapshot 1.8.0; "%llu/%llu" before.
        return hasMetadataSectors ? text + " " + Long.toUnsignedString(usage.metadataSectors()) : text;
    }

    /**
     * The same as {@link #format()}.
     *
     * @return the text
     */
    @Override
    public String toString() {
        return format();
    }
}
