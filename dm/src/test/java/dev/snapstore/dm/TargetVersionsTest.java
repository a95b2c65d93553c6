package dev.snapstore.dm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.snapstore.testkit.Fixtures;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** dmsetup targets listings: fixture s1-version-targets, spec userspace-anchors §1.6. */
class TargetVersionsTest {

    @Test
    void realListingAfterModprobe() throws TargetException {
        TargetVersions v = TargetVersions.parse(Fixtures.read("s1-version-targets/targets.txt"));
        assertEquals(new TargetVersion(1, 16, 0), v.require("snapshot"));
        assertEquals(new TargetVersion(1, 5, 0), v.require("snapshot-merge"));
        assertEquals(new TargetVersion(1, 9, 0), v.require("snapshot-origin"));
        assertEquals(
                List.of("snapshot-merge", "snapshot-origin", "snapshot", "striped", "linear", "error"),
                List.copyOf(v.asMap().keySet()));
    }

    @ParameterizedTest
    @ValueSource(strings = {"s1-version-targets/targets.txt", "s1-version-targets/targets-before-modprobe.txt"})
    void formatGivesTheFixtureBackByteForByte(String file) throws TargetException {
        String text = Fixtures.read(file);
        assertEquals(text, TargetVersions.parse(text).format());
    }

    @Test
    void missingSnapshotTargetIsNamed() throws TargetException {
        TargetVersions v = TargetVersions.parse(Fixtures.read("s1-version-targets/targets-before-modprobe.txt"));
        assertTrue(v.find("snapshot").isEmpty());
        TargetException e = assertThrows(TargetException.class, () -> v.require("snapshot"));
        assertEquals("target \"snapshot\" not found in dmsetup targets (is dm-snapshot loaded?)", e.getMessage());
        assertEquals(
                "target \"thin\" not found in dmsetup targets (is its kernel module loaded?)",
                assertThrows(TargetException.class, () -> v.require("thin")).getMessage());
    }

    @Test
    void toleratesBlankLinesCarriageReturnsAndOtherTargets() throws TargetException {
        TargetVersions v = TargetVersions.parse("\n\nthin-pool        v1.23.0\r\n   \nsnapshot         v1.16.0\n\n");
        assertEquals(new TargetVersion(1, 23, 0), v.require("thin-pool"));
        assertEquals("thin-pool        v1.23.0\nsnapshot         v1.16.0\n", v.format());
    }

    @Test
    void longNamesAreFollowedByOneSpace() throws TargetException {
        TargetVersions v = TargetVersions.parse("a-very-long-target-name v2.0.1\n");
        assertEquals(new TargetVersion(2, 0, 1), v.require("a-very-long-target-name"));
        assertEquals("a-very-long-target-name v2.0.1\n", v.format());
        assertEquals(
                "sixteen-chars-xx v1.0.0\n",
                TargetVersions.parse("sixteen-chars-xx v1.0.0").format());
    }

    @Test
    void emptyListingHasNoTargets() throws TargetException {
        assertTrue(TargetVersions.parse("").asMap().isEmpty());
        assertEquals("", TargetVersions.parse("\n").format());
    }

    @Test
    void garbageLineIsQuotedWithItsNumber() {
        TargetException e = assertThrows(
                TargetException.class, () -> TargetVersions.parse("snapshot         v1.16.0\nthis is garbage\n"));
        assertEquals(
                "line 2 of dmsetup targets: \"this is garbage\" is not \"<target> v<major>.<minor>.<patch>\"",
                e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "snapshot 1.16.0",
                "snapshot v1.16",
                "snapshot v1.16.0.1",
                "snapshot v1.x.0",
                "snapshot v-1.16.0",
                "snapshot v1.16.0 extra",
                "v1.16.0",
                "snapshot v99999999999.0.0",
                "snapshot v"
            })
    void badLinesAreRejected(String line) {
        TargetException e = assertThrows(TargetException.class, () -> TargetVersions.parse(line + "\n"));
        assertTrue(e.getMessage().startsWith("line 1 of dmsetup targets: \"" + line + "\""), e.getMessage());
    }

    @Test
    void aTargetListedTwiceIsRejected() {
        TargetException e = assertThrows(
                TargetException.class,
                () -> TargetVersions.parse("snapshot         v1.16.0\nsnapshot         v1.15.0\n"));
        assertEquals(
                "line 2 of dmsetup targets: \"snapshot         v1.15.0\" lists target \"snapshot\" again (first on line 1)",
                e.getMessage());
    }

    @Test
    void targetVersionParsesAndCompares() throws TargetException {
        assertEquals(new TargetVersion(1, 16, 0), TargetVersion.parse("1.16.0"));
        assertEquals(new TargetVersion(1, 16, 0), TargetVersion.parse("v1.16.0"));
        assertEquals("1.16.0", new TargetVersion(1, 16, 0).toString());
        assertTrue(new TargetVersion(1, 16, 0).isAtLeast(new TargetVersion(1, 15, 9)));
        assertTrue(new TargetVersion(2, 0, 0).isAtLeast(new TargetVersion(1, 99, 99)));
        assertFalse(new TargetVersion(1, 14, 99).isAtLeast(new TargetVersion(1, 15, 0)));
        assertThrows(TargetException.class, () -> TargetVersion.parse("1.16"));
        assertThrows(TargetException.class, () -> TargetVersion.parse("1..0"));
        assertThrows(TargetException.class, () -> TargetVersion.parse("+1.0.0"));
        assertThrows(IllegalArgumentException.class, () -> new TargetVersion(-1, 0, 0));
    }

    @Property(tries = 300)
    void formatThenParseGivesTheSameListing(@ForAll("listings") Map<String, TargetVersion> listing)
            throws TargetException {
        TargetVersions v = TargetVersions.of(listing);
        TargetVersions again = TargetVersions.parse(v.format());
        assertEquals(v, again);
        assertEquals(v.format(), again.format());
    }

    @Property(tries = 500)
    void randomTextNeverThrowsAnythingButTargetException(@ForAll("noise") String text) {
        try {
            TargetVersions.parse(text);
        } catch (TargetException expected) {
            assertFalse(expected.getMessage().isEmpty());
        }
    }

    @Property(tries = 200)
    void versionOrderIsLexicographic(
            @ForAll @IntRange(max = 20) int a1,
            @ForAll @IntRange(max = 20) int b1,
            @ForAll @IntRange(max = 20) int c1,
            @ForAll @IntRange(max = 20) int a2,
            @ForAll @IntRange(max = 20) int b2,
            @ForAll @IntRange(max = 20) int c2) {
        int reference =
                a1 != a2 ? Integer.compare(a1, a2) : b1 != b2 ? Integer.compare(b1, b2) : Integer.compare(c1, c2);
        assertEquals(
                Integer.signum(reference),
                Integer.signum(new TargetVersion(a1, b1, c1).compareTo(new TargetVersion(a2, b2, c2))));
    }

    @Provide
    Arbitrary<Map<String, TargetVersion>> listings() {
        Arbitrary<String> names = Arbitraries.strings()
                .withChars("abcdefghijklmnopqrstuvwxyz-_0123456789")
                .ofMinLength(1)
                .ofMaxLength(24);
        Arbitrary<TargetVersion> versions = Arbitraries.integers()
                .between(0, Integer.MAX_VALUE)
                .list()
                .ofSize(3)
                .map(l -> new TargetVersion(l.get(0), l.get(1), l.get(2)));
        return Arbitraries.maps(names, versions).ofMaxSize(8).map(LinkedHashMap::new);
    }

    @Provide
    Arbitrary<String> noise() {
        return Arbitraries.oneOf(
                Arbitraries.strings().ofMaxLength(60),
                Arbitraries.strings().withChars("snapshot v.0123456789\n\r\t -").ofMaxLength(60));
    }
}
