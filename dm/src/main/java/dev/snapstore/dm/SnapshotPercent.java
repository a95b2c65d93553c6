package dev.snapstore.dm;

import java.util.OptionalDouble;

/**
 * How full a snapshot is, in percent, as lvm2 reports it ({@code lvs -o data_percent}):
 * {@code lib/metadata/lv.c} and {@code lib/snapshot/snapshot.c:_snap_target_percent} on top of
 * libdm's {@code dm_make_percent()}.
 *
 * <ul>
 * <li>{@code Invalid}: 100 ("Shown as 100% full"); {@code Overflow}: 100 as well (lvm2's parser
 *     reads it as used = total = 0, and {@code dm_make_percent} answers 100 for a zero
 *     denominator); {@code Merge failed} and {@code Unknown}: no percent;
 * <li>a three-field usage with allocated == metadata: 0 (only metadata: empty, or a merge done);
 * <li>allocated == total: 100; otherwise {@code dm_make_percent(allocated, total)}.
 * </ul>
 *
 * <p>{@code dm_make_percent} works in millionths of a percent, truncates, and never answers exactly
 * 0 or 100 for a partial share: it nudges such a value one millionth inwards. This class returns the
 * same value as a {@code double} (the millionths divided by a million).
 *
 * @since 0.1
 */
public final class SnapshotPercent {

    /** {@code DM_PERCENT_1}: libdm's percent unit, a millionth of a percent. */
    static final int DM_PERCENT_1 = 1_000_000;
    /** {@code DM_PERCENT_100}. */
    static final int DM_PERCENT_100 = 100 * DM_PERCENT_1;

    private SnapshotPercent() {}

    /**
     * The percent lvm2 shows for a snapshot's status.
     *
     * @param status the status
     * @return 0 to 100, or empty for {@code Merge failed} and {@code Unknown}
     */
    public static OptionalDouble of(SnapshotStatus status) {
        switch (status.kind()) {
            case INVALID, OVERFLOW:
                return OptionalDouble.of(100.0);
            case MERGE_FAILED, UNKNOWN:
                return OptionalDouble.empty();
            default:
                break;
        }
        long used = status.usage().allocatedSectors();
        long total = status.usage().totalSectors();
        if (status.hasMetadataSectors() && used == status.usage().metadataSectors()) {
            return OptionalDouble.of(0.0);
        }
        return OptionalDouble.of(makePercent(used, total) / (double) DM_PERCENT_1);
    }

    /**
     * libdm's {@code dm_make_percent()}, in millionths of a percent.
     *
     * @param numerator the part (unsigned)
     * @param denominator the whole (unsigned)
     * @return 0 to {@link #DM_PERCENT_100}
     */
    static int makePercent(long numerator, long denominator) {
        if (denominator == 0) {
            return DM_PERCENT_100; // libdm: "FIXME?"
        }
        if (numerator == 0) {
            return 0;
        }
        if (numerator == denominator) {
            return DM_PERCENT_100;
        }
        int percent = (int) (DM_PERCENT_100 * (MergePercent.unsigned(numerator) / MergePercent.unsigned(denominator)));
        if (percent == DM_PERCENT_100) {
            return DM_PERCENT_100 - 1;
        }
        if (percent == 0) {
            return 1;
        }
        return percent;
    }
}
