package dev.snapstore.dm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.snapstore.spi.Usage;
import java.util.Optional;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** dmsetup status lines of snapshot targets, and the TABLE and IMA status texts (spec §5.9). */
class StatusLineTest {

    @Test
    void parsesAndFormats() throws StatusException {
        StatusLine line = StatusLine.parse("0 8192 snapshot 24/64 16");
        assertEquals(new StatusLine(0, 8192, TargetKind.SNAPSHOT, SnapshotStatus.of(new Usage(64, 24, 16))), line);
        assertEquals("0 8192 snapshot 24/64 16", line.format());
        assertEquals(
                "0 8192 snapshot-merge Merge failed",
                StatusLine.parse("0 8192 snapshot-merge Merge failed").format());
    }

    @Test
    void keepsTheDeviceName() throws StatusException {
        Named<StatusLine> named = StatusLine.parseNamed("vg-snap: 0 32768 snapshot Invalid\n");
        assertEquals(Optional.of("vg-snap"), named.deviceName());
        assertEquals(SnapshotStatus.INVALID, named.line().status());
        assertEquals("vg-snap: 0 32768 snapshot Invalid", named.format());
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "",
                "0 8192 snapshot",
                "0 8192 snapshot ",
                "0 8192 snapshot  24/64 16",
                "0 8192 snapshot 24/64",
                "vg-lv: 0 32768 snapshot-origin ",
                "0 8192 linear 254:0 0",
                "0 8192 snapshot 254:0 254:16 P 8",
                "a b snapshot Invalid"
            })
    void rejected(String text) {
        assertThrows(StatusException.class, () -> StatusLine.parse(text));
    }

    @Test
    void imaStatusAsTheKernelPrintsIt() {
        assertEquals(
                "target_name=snapshot,target_version=1.16.0,snap_origin_name=254:0,snap_cow_name=254:16,"
                        + "snap_valid=y,snap_merge_failed=n,snapshot_overflowed=y;",
                StatusLine.imaStatus(
                        TargetKind.SNAPSHOT, new TargetVersion(1, 16, 0), "254:0", "254:16", true, false, true));
        assertEquals(
                "target_name=snapshot-merge,target_version=1.5.0,snap_origin_name=a,snap_cow_name=b,"
                        + "snap_valid=n,snap_merge_failed=y,snapshot_overflowed=n;",
                StatusLine.imaStatus(
                        TargetKind.SNAPSHOT_MERGE, new TargetVersion(1, 5, 0), "a", "b", false, true, false));
    }

    @Property(tries = 300)
    void formatThenParseIsIdentity(@ForAll("lines") StatusLine line) throws StatusException {
        assertEquals(line, StatusLine.parse(line.format()));
        assertEquals(line, StatusLine.parse("some-dev: " + line.format()));
    }

    @Provide
    Arbitrary<StatusLine> lines() {
        Arbitrary<SnapshotStatus> status = Arbitraries.oneOf(
                Arbitraries.longs()
                        .between(0, 1L << 40)
                        .list()
                        .ofSize(3)
                        .map(l -> SnapshotStatus.of(new Usage(l.get(0), l.get(1), l.get(2)))),
                Arbitraries.of(
                        SnapshotStatus.INVALID,
                        SnapshotStatus.MERGE_FAILED,
                        SnapshotStatus.OVERFLOW,
                        SnapshotStatus.UNKNOWN));
        return Combinators.combine(
                        Arbitraries.longs().between(0, Long.MAX_VALUE),
                        Arbitraries.longs().between(0, Long.MAX_VALUE),
                        Arbitraries.of(TargetKind.class),
                        status)
                .as(StatusLine::new);
    }
}
