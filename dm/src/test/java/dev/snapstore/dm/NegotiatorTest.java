package dev.snapstore.dm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.snapstore.testkit.Fixtures;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** P/PO/N negotiation: spec §5.13, userspace-anchors §2.1 (Android ReportsOverflow). */
class NegotiatorTest {

    private static TargetVersions versions(String snapshot, String merge) throws TargetException {
        Map<String, TargetVersion> map = new LinkedHashMap<>();
        if (snapshot != null) {
            map.put("snapshot", TargetVersion.parse(snapshot));
        }
        if (merge != null) {
            map.put("snapshot-merge", TargetVersion.parse(merge));
        }
        return TargetVersions.of(map);
    }

    @Test
    void realKernelGetsPO() throws TargetException {
        TargetVersions real = TargetVersions.parse(Fixtures.read("s1-version-targets/targets.txt"));
        Negotiation n = Negotiator.negotiate(real, false, false);
        assertEquals("PO", n.typeWord());
        assertEquals("snapshot", n.target());
        assertEquals(TargetKind.SNAPSHOT, n.kind());
        assertEquals(new TargetVersion(1, 16, 0), n.version());
        assertEquals("snapshot target v1.16.0 >= 1.15.0: overflow supported, asking for PO", n.reason());
        assertEquals(EnumSet.of(Feature.OVERFLOW, Feature.DISCARD), n.features());

        Negotiation merge = Negotiator.negotiate(real, true, false);
        assertEquals("PO", merge.typeWord());
        assertEquals("snapshot-merge", merge.target());
        assertEquals("snapshot-merge target v1.5.0 >= 1.4.0: overflow supported, asking for PO", merge.reason());
        assertEquals(EnumSet.of(Feature.OVERFLOW, Feature.DISCARD), merge.features());

        Negotiation transientStore = Negotiator.negotiate(real, false, true);
        assertEquals("N", transientStore.typeWord());
        assertEquals(EnumSet.of(Feature.DISCARD), transientStore.features());
    }

    @Test
    void beforeModprobeTheSnapshotTargetIsMissing() throws TargetException {
        TargetVersions before = TargetVersions.parse(Fixtures.read("s1-version-targets/targets-before-modprobe.txt"));
        assertEquals(
                "target \"snapshot\" not found in dmsetup targets (is dm-snapshot loaded?)",
                assertThrows(TargetException.class, () -> Negotiator.negotiate(before, false, false))
                        .getMessage());
        assertEquals(
                "target \"snapshot-merge\" not found in dmsetup targets (is dm-snapshot loaded?)",
                assertThrows(TargetException.class, () -> Negotiator.negotiate(before, true, false))
                        .getMessage());
        assertThrows(TargetException.class, () -> Negotiator.negotiate(before, false, true));
    }

    @ParameterizedTest(name = "snapshot {0}, merge={1} -> {2}")
    @CsvSource({
        "1.14.0, false, P",
        "1.14.9, false, P",
        "1.15.0, false, PO",
        "1.16.0, false, PO",
        "2.0.0,  false, PO",
        "1.3.0,  true,  P",
        "1.4.0,  true,  PO",
        "1.5.0,  true,  PO",
    })
    void versionGates(String version, boolean merge, String expected) throws TargetException {
        TargetVersions v = merge ? versions(null, version) : versions(version, null);
        assertEquals(expected, Negotiator.negotiate(v, merge, false).typeWord());
    }

    @Test
    void olderKernelReason() throws TargetException {
        Negotiation n = Negotiator.negotiate(versions("1.14.0", "1.3.0"), false, false);
        assertEquals(
                "snapshot target v1.14.0 < 1.15.0: no overflow support, asking for P (a full COW will invalidate the snapshot)",
                n.reason());
        assertEquals(Set.of(), n.features());
        assertEquals(
                Set.of(Feature.OVERFLOW),
                Negotiator.negotiate(versions("1.15.0", null), false, false).features());
    }

    @Test
    void transientCannotMerge() throws TargetException {
        TargetException e = assertThrows(
                TargetException.class, () -> Negotiator.negotiate(versions("1.16.0", "1.5.0"), true, true));
        assertEquals(
                "a transient (N) store cannot be merged: the kernel refuses snapshot-merge with N"
                        + " (\"Snapshot exception store does not support snapshot-merge.\")",
                e.getMessage());
    }

    @Test
    void gateConstants() {
        assertEquals(new TargetVersion(1, 15, 0), Negotiator.SNAPSHOT_OVERFLOW);
        assertEquals(new TargetVersion(1, 4, 0), Negotiator.SNAPSHOT_MERGE_OVERFLOW);
        assertEquals(new TargetVersion(1, 16, 0), Negotiator.SNAPSHOT_DISCARD);
        assertEquals(new TargetVersion(1, 5, 0), Negotiator.SNAPSHOT_MERGE_DISCARD);
    }

    /** A reference rule written out the long way, against random versions. */
    @Property(tries = 300)
    void matchesTheReferenceRule(
            @ForAll @IntRange(max = 3) int major,
            @ForAll @IntRange(max = 20) int minor,
            @ForAll @IntRange(max = 3) int patch,
            @ForAll boolean merge,
            @ForAll boolean transientStore)
            throws TargetException {
        TargetVersion v = new TargetVersion(major, minor, patch);
        TargetVersions listing =
                merge ? TargetVersions.of(Map.of("snapshot-merge", v)) : TargetVersions.of(Map.of("snapshot", v));
        if (merge && transientStore) {
            assertThrows(TargetException.class, () -> Negotiator.negotiate(listing, true, true));
            return;
        }
        int overflowMinor = merge ? 4 : 15;
        int discardMinor = merge ? 5 : 16;
        boolean overflow = major > 1 || (major == 1 && minor >= overflowMinor);
        boolean discard = major > 1 || (major == 1 && minor >= discardMinor);
        String expectedWord = transientStore ? "N" : overflow ? "PO" : "P";
        Set<Feature> expectedFeatures = EnumSet.noneOf(Feature.class);
        if (overflow && !transientStore) {
            expectedFeatures.add(Feature.OVERFLOW);
        }
        if (discard) {
            expectedFeatures.add(Feature.DISCARD);
        }
        Negotiation n = Negotiator.negotiate(listing, merge, transientStore);
        assertEquals(expectedWord, n.typeWord());
        assertEquals(expectedFeatures, n.features());
        assertEquals(merge ? "snapshot-merge" : "snapshot", n.target());
        assertEquals(v, n.version());
    }
}
