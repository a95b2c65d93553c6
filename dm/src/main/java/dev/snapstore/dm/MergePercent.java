package dev.snapstore.dm;

import dev.snapstore.spi.Usage;
import java.util.OptionalDouble;

/**
 * How far a {@code snapshot-merge} has got, in percent, as Android computes it
 * ({@code DmTargetSnapshot::MergePercent}, {@code fs_mgr/libdm/dm_target.cpp}).
 *
 * <p>With {@code s} = allocated sectors, {@code t} = total sectors, {@code m} = metadata sectors
 * and {@code i} = the allocated sectors when the merge started (or {@code t} when that is not
 * known, given as 0), all unsigned:
 * <ul>
 * <li>{@code t <= s} or {@code i <= s}: 0 (nothing merged yet, or numbers that make no sense such as
 *     allocated &gt; total or total = 0);
 * <li>else {@code s == 0} or {@code s <= m}: 100 (only metadata left: the merge is done);
 * <li>else {@code 100 / (i - m) * (i - s)}: the share of the data sectors merged since the start.
 *     Here {@code i > s > m}, so the divisor is never 0.
 * </ul>
 * The result is never NaN and is clamped to 0..100 against rounding.
 *
 * @since 0.1
 */
public final class MergePercent {

    private MergePercent() {}

    /**
     * The progress from a usage, the start unknown (Android's default {@code sectors_initial = 0}).
     *
     * @param usage the usage from the status
     * @return 0 to 100
     */
    public static double of(Usage usage) {
        return of(usage, 0);
    }

    /**
     * The progress from a usage and the allocated sectors noted when the merge started.
     *
     * @param usage the usage from the status
     * @param sectorsInitial allocated sectors at the start of the merge (unsigned), or 0 when unknown
     * @return 0 to 100
     */
    public static double of(Usage usage, long sectorsInitial) {
        long s = usage.allocatedSectors();
        long t = usage.totalSectors();
        long m = usage.metadataSectors();
        long i = sectorsInitial == 0 ? t : sectorsInitial;
        if (Long.compareUnsigned(t, s) <= 0 || Long.compareUnsigned(i, s) <= 0) {
            return 0.0;
        }
        if (s == 0 || t == 0 || Long.compareUnsigned(s, m) <= 0) {
            return 100.0;
        }
        double percent = 100.0 / unsigned(i - m) * unsigned(i - s);
        return Math.max(0.0, Math.min(100.0, percent));
    }

    /**
     * The progress from a status; only a usage has one.
     *
     * @param status the status
     * @param sectorsInitial allocated sectors at the start of the merge, or 0 when unknown
     * @return 0 to 100, or empty for {@code Invalid}, {@code Merge failed}, {@code Overflow} and
     *     {@code Unknown}
     */
    public static OptionalDouble of(SnapshotStatus status, long sectorsInitial) {
        return status.findUsage()
                .map(u -> OptionalDouble.of(of(u, sectorsInitial)))
                .orElse(OptionalDouble.empty());
    }

    static double unsigned(long value) {
        return value >= 0 ? value : ((value >>> 1) | (value & 1)) * 2.0;
    }
}
