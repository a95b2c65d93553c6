package dev.snapstore.dm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.snapstore.spi.Usage;
import java.util.Optional;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Snapshot INFO status: spec §5.9, Android dm_test.cpp ParseStatusText, lvm2 dm_get_status_snapshot. */
class SnapshotStatusTest {

    /** Android's bad inputs, all of them. */
    @ParameterizedTest(name = "\"{0}\"")
    @ValueSource(
            strings = {
                "",
                "X",
                "123",
                "123/456",
                "123 456",
                "123 456 789",
                "123 456/789",
                "123/456/789",
                "123 / 456 789"
            })
    void androidsBadInputsAreRejected(String text) {
        StatusException e = assertThrows(StatusException.class, () -> SnapshotStatus.parse(text));
        assertFalse(e.getMessage().isEmpty());
    }

    @Test
    void androidsGoodInputs() throws StatusException {
        SnapshotStatus s = SnapshotStatus.parse("123/456 789");
        assertEquals(SnapshotStatus.Kind.USAGE, s.kind());
        assertEquals(new Usage(456, 123, 789), s.usage());
        assertTrue(s.hasMetadataSectors());
        assertEquals(SnapshotStatus.INVALID, SnapshotStatus.parse("Invalid"));
        assertEquals(SnapshotStatus.MERGE_FAILED, SnapshotStatus.parse("Merge failed"));
        assertEquals(SnapshotStatus.OVERFLOW, SnapshotStatus.parse("Overflow"));
    }

    @Test
    void unknownIsWhatTheKernelPrintsWithoutAUsageMethod() throws StatusException {
        assertEquals(SnapshotStatus.UNKNOWN, SnapshotStatus.parse("Unknown"));
        assertEquals(Optional.empty(), SnapshotStatus.UNKNOWN.findUsage());
    }

    @Test
    void messagesSayWhatWasExpected() {
        assertEquals(
                "empty snapshot status (expected \"<allocated>/<total> <metadata>\", \"Invalid\", \"Merge failed\","
                        + " \"Overflow\" or \"Unknown\")",
                assertThrows(StatusException.class, () -> SnapshotStatus.parse(""))
                        .getMessage());
        assertEquals(
                "\"X\" is not a snapshot status (expected \"<allocated>/<total> <metadata>\", \"Invalid\", \"Merge failed\","
                        + " \"Overflow\" or \"Unknown\")",
                assertThrows(StatusException.class, () -> SnapshotStatus.parse("X"))
                        .getMessage());
        assertEquals(
                "snapshot status \"123/456\" has no metadata count: only snapshot targets before 1.8.0 print"
                        + " \"<allocated>/<total>\"",
                assertThrows(StatusException.class, () -> SnapshotStatus.parse("123/456"))
                        .getMessage());
        assertEquals(
                "snapshot status \"1/18446744073709551616 0\": 18446744073709551616 does not fit in 64 bits",
                assertThrows(StatusException.class, () -> SnapshotStatus.parse("1/18446744073709551616 0"))
                        .getMessage());
    }

    /** Forms glibc's sscanf lets through in Android and lvm2, but no kernel prints. */
    @ParameterizedTest(name = "\"{0}\"")
    @ValueSource(
            strings = {
                " 1/2 3",
                "1/ 2 3",
                "1/2  3",
                "1/2 3 ",
                "1/2 3 junk",
                "-1/2 3",
                "+1/2 3",
                "invalid",
                "Merge  failed",
                "Invalid ",
                "\u0661/2 3",
                "1/2\t3"
            })
    void sloppyFormsAreRejected(String text) {
        assertThrows(StatusException.class, () -> SnapshotStatus.parse(text));
        assertThrows(StatusException.class, () -> SnapshotStatus.parseLegacy(text));
    }

    @Test
    void legacyTwoFieldFormAsLvm2AcceptsIt() throws StatusException {
        SnapshotStatus old = SnapshotStatus.parseLegacy("123/456");
        assertEquals(new Usage(456, 123, 0), old.usage());
        assertFalse(old.hasMetadataSectors());
        assertEquals("123/456", old.format());
        assertFalse(old.isMergeFinished());
        assertEquals(SnapshotStatus.parse("123/456 789"), SnapshotStatus.parseLegacy("123/456 789"));
    }

    @Test
    void leadingZerosAreReadAsLvm2sScanfReadsThem() throws StatusException {
        assertEquals(SnapshotStatus.parse("7/16 8"), SnapshotStatus.parse("007/016 08"));
        assertEquals("7/16 8", SnapshotStatus.parse("007/016 08").format());
        assertEquals("0/0", SnapshotStatus.parseLegacy("00/0").format());
    }

    @Test
    void fullRangeOfUnsigned64() throws StatusException {
        SnapshotStatus s = SnapshotStatus.parse("18446744073709551615/18446744073709551615 0");
        assertEquals(-1L, s.usage().allocatedSectors());
        assertEquals("18446744073709551615/18446744073709551615 0", s.format());
    }

    @ParameterizedTest(name = "valid={0} mergeFailed={1} overflowed={2} -> {3}")
    @CsvSource({
        "false, true,  true,  Invalid",
        "false, false, false, Invalid",
        "true,  true,  true,  Merge failed",
        "true,  false, true,  Overflow",
        "true,  false, false, 24/64 16",
    })
    void priority(boolean valid, boolean mergeFailed, boolean overflowed, String expected) {
        assertEquals(
                expected,
                SnapshotStatus.of(valid, mergeFailed, overflowed, new Usage(64, 24, 16))
                        .format());
    }

    @Test
    void noUsageMethodMeansUnknown() {
        assertEquals(SnapshotStatus.UNKNOWN, SnapshotStatus.of(true, false, false, null));
        assertEquals(SnapshotStatus.INVALID, SnapshotStatus.of(false, false, false, null));
    }

    @Test
    void mergeIsFinishedWhenOnlyMetadataIsLeft() throws StatusException {
        assertTrue(SnapshotStatus.parse("16/2097152 16").isMergeFinished());
        assertFalse(SnapshotStatus.parse("281688/2097152 1104").isMergeFinished());
        assertFalse(SnapshotStatus.OVERFLOW.isMergeFinished());
    }

    @Test
    void constructorKeepsTheFormsApart() {
        assertThrows(IllegalArgumentException.class, () -> new SnapshotStatus(SnapshotStatus.Kind.USAGE, null, true));
        assertThrows(
                IllegalArgumentException.class,
                () -> new SnapshotStatus(SnapshotStatus.Kind.INVALID, new Usage(1, 1, 1), false));
        assertThrows(
                IllegalArgumentException.class,
                () -> new SnapshotStatus(SnapshotStatus.Kind.USAGE, new Usage(1, 1, 1), false));
    }

    @Property(tries = 500)
    void formatThenParseIsIdentity(@ForAll("statuses") SnapshotStatus status) throws StatusException {
        assertEquals(status, SnapshotStatus.parse(status.format()));
        assertEquals(status, SnapshotStatus.parseLegacy(status.format()));
    }

    @Property(tries = 500)
    void randomTextOnlyEverThrowsStatusException(@ForAll("noise") String text) {
        try {
            SnapshotStatus s = SnapshotStatus.parseLegacy(text);
            // Numbers are read as lvm2's sscanf("%llu") reads them, leading zeros too ("00/0" is 0/0);
            // the kernel prints none, so the rendering is the text without them.
            assertEquals(text.replaceAll("(?<!\\d)0+(?=\\d)", ""), s.format());
        } catch (StatusException expected) {
            assertFalse(expected.getMessage().isEmpty());
        }
    }

    @Provide
    Arbitrary<SnapshotStatus> statuses() {
        Arbitrary<Long> sectors =
                Arbitraries.oneOf(Arbitraries.longs(), Arbitraries.longs().between(0, 1 << 20));
        Arbitrary<SnapshotStatus> usage =
                sectors.list().ofSize(3).map(l -> SnapshotStatus.of(new Usage(l.get(0), l.get(1), l.get(2))));
        return Arbitraries.oneOf(
                usage,
                Arbitraries.of(
                        SnapshotStatus.INVALID,
                        SnapshotStatus.MERGE_FAILED,
                        SnapshotStatus.OVERFLOW,
                        SnapshotStatus.UNKNOWN));
    }

    @Provide
    Arbitrary<String> noise() {
        return Arbitraries.oneOf(
                Arbitraries.strings().ofMaxLength(30),
                Arbitraries.strings().withChars("0123456789/ -+Invalid").ofMaxLength(30));
    }
}
