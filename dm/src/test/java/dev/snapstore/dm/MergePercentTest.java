package dev.snapstore.dm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.snapstore.spi.Usage;
import java.util.OptionalDouble;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Merge progress: Android's DmSnapshotMergePercent cases (fs_mgr/libdm/dm_test.cpp), then robustness. */
class MergePercentTest {

    private static double percent(long allocated, long total, long metadata, long initial) {
        return MergePercent.of(new Usage(total, allocated, metadata), initial);
    }

    @ParameterizedTest(name = "s={0} t={1} m={2} i={3} -> [{4}, {5}]")
    @CsvSource({
        // Android: correct input
        "1000, 1000,    0,    0,   0,   1",
        " 500, 1000,    0,    0,  49,  51",
        "   0, 1000,    0,    0,  99, 100",
        " 500, 1000,  500,    0,  99, 100",
        " 500, 1000,    0,  500,   0,   1",
        " 500, 1000,    0, 1000,  49,  51",
        // Android: robustness
        "2000, 1000,    0,    0,   0,   0",
        "2000, 1000, 2000,    0,   0,   0",
        "2000,    0, 2000,    0,   0,   0",
        "1000,    0, 1000,    0,   0,   0",
    })
    void androidCases(long s, long t, long m, long i, double low, double high) {
        double p = percent(s, t, m, i);
        assertTrue(p >= low && p <= high, () -> p + " not in [" + low + ", " + high + "]");
    }

    @Test
    void exactValues() {
        assertEquals(50.0, percent(500, 1000, 0, 1000));
        assertEquals(100.0, percent(16, 2097152, 16, 0));
        // a quarter of the data sectors merged since the start: (1016 - 766) / (1016 - 16)
        assertEquals(25.0, percent(766, 2097152, 16, 1016));
    }

    @Test
    void onlyUsageHasProgress() {
        assertEquals(OptionalDouble.empty(), MergePercent.of(SnapshotStatus.OVERFLOW, 0));
        assertEquals(OptionalDouble.empty(), MergePercent.of(SnapshotStatus.INVALID, 0));
        assertEquals(OptionalDouble.of(100.0), MergePercent.of(SnapshotStatus.of(new Usage(64, 16, 16)), 0));
        assertEquals(MergePercent.of(new Usage(64, 32, 16)), MergePercent.of(new Usage(64, 32, 16), 0));
    }

    @Property(tries = 1000)
    void alwaysAFiniteNumberFrom0To100(@ForAll long s, @ForAll long t, @ForAll long m, @ForAll long i) {
        double p = percent(s, t, m, i);
        assertFalse(Double.isNaN(p) || Double.isInfinite(p));
        assertTrue(p >= 0 && p <= 100, () -> Double.toString(p));
    }
}
