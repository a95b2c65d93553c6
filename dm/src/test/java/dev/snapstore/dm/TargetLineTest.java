package dev.snapstore.dm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.snapstore.dm.TargetLine.ErrorTarget;
import dev.snapstore.dm.TargetLine.LinearTarget;
import dev.snapstore.dm.TargetLine.OriginTarget;
import dev.snapstore.dm.TargetLine.OtherTarget;
import dev.snapstore.testkit.Fixtures;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The table model beyond snapshot lines: snapshot-origin, linear, error, others; whole tables and statuses. */
class TargetLineTest {

    /** The blocks of output after each {@code $ dmsetup <command>} in a fixture's output.txt. */
    private static List<String> blocks(String command) {
        List<String> lines = Fixtures.lines("s7-lvm2", "output.txt");
        List<String> found = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).equals("$ dmsetup " + command)) {
                for (int j = i + 1; j < lines.size() && !lines.get(j).startsWith("[rc="); j++) {
                    found.add(lines.get(j));
                }
            }
        }
        return found;
    }

    @Test
    void everyTableLineLvm2LeftInTheKernelPrintsBackUnchanged() throws TableException {
        List<String> lines = blocks("table");
        // dmsetup's words once lvm2 removed the last device.
        assertTrue(lines.remove("No devices found"), lines.toString());
        assertEquals(9, lines.size(), lines.toString());
        int linear = 0;
        int origin = 0;
        int snapshot = 0;
        for (String line : lines) {
            String name = line.substring(0, line.indexOf(": "));
            TargetLine parsed = TargetLine.parse(line);
            assertEquals(line, name + ": " + parsed.line());
            assertEquals(parsed, DeviceTable.parse(line).lines().get(0));
            linear += parsed instanceof LinearTarget ? 1 : 0;
            origin += parsed instanceof OriginTarget ? 1 : 0;
            snapshot += parsed instanceof TableLine ? 1 : 0;
        }
        assertEquals(5, linear);
        assertEquals(2, origin);
        assertEquals(2, snapshot);
    }

    @Test
    void everyStatusLineLvm2LeftInTheKernelPrintsBackUnchanged() throws StatusException {
        List<String> lines = blocks("status");
        lines.remove("No devices found");
        assertEquals(9, lines.size(), lines.toString());
        List<String> snapshots = new ArrayList<>();
        for (String line : lines) {
            String name = line.substring(0, line.indexOf(": "));
            DeviceStatus status = DeviceStatus.parse(line);
            assertEquals(1, status.lines().size());
            assertEquals(line, name + ": " + status.lines().get(0).format());
            status.snapshotStatus().ifPresent(s -> snapshots.add(s.format()));
        }
        // The linear and snapshot-origin targets print no status: a trailing space, passed through.
        assertEquals(List.of("16/8192 16", "160/8192 64"), snapshots);
    }

    @Test
    void theLvm2StackAsOneParse() throws TableException {
        TargetLine origin = TargetLine.parse("vg-lv: 0 32768 snapshot-origin 253:1");
        assertEquals(new OriginTarget(0, 32768, "253:1"), origin);
        assertEquals(new LinearTarget(0, 32768, "254:0", 2048), TargetLine.parse("0 32768 linear 254:0 2048"));
        assertEquals(new ErrorTarget(0, 100), TargetLine.parse("0 100 error"));
        assertEquals("0 100 error ", new ErrorTarget(0, 100).line());
        TargetLine striped = TargetLine.parse("0 200 striped 2 8 8:1 0 8:2 0");
        assertEquals(new OtherTarget(0, 200, "striped", "2 8 8:1 0 8:2 0"), striped);
        assertInstanceOf(TableLine.class, TargetLine.parse("0 32768 snapshot 253:1 253:2 P 8"));
    }

    @ParameterizedTest
    @CsvSource({
        "'0 10 linear 8:1', 'linear: Invalid argument count'",
        "'0 10 linear 8:1 0 x', 'linear: Invalid argument count'",
        "'0 10 linear 8:1 x', 'linear: Invalid device sector'",
        "'0 10 linear 8:1 -1', 'linear: Invalid device sector'",
        "'0 10 linear 8:1 12x', 'linear: Invalid device sector'",
        "'0 10 snapshot-origin', 'snapshot-origin: origin: incorrect number of arguments'",
        "'0 10 snapshot-origin a b', 'snapshot-origin: origin: incorrect number of arguments'",
        "'0 10 snapshot a b P', 'requires 4 or more arguments'",
    })
    void constructorRefusalsInTheKernelsWords(String line, String message) {
        TableException e = assertThrows(TableException.class, () -> TargetLine.parse(line));
        assertEquals(message, e.getMessage());
    }

    @Test
    void aTableMustStartAtZeroAndHaveNoGapsNorEmptyTargets() throws TableException {
        DeviceTable joined = DeviceTable.parse("0 100 linear 8:1 0\n100 50 linear 8:2 0\n150 10 error\n");
        assertEquals(160, joined.length());
        assertEquals("0 100 linear 8:1 0\n100 50 linear 8:2 0\n150 10 error \n", joined.format());
        assertEquals(joined, DeviceTable.parse(joined.format()));
        assertFalse(joined.snapshot().isPresent());

        assertEquals(
                "error: Gap in table",
                assertThrows(TableException.class, () -> DeviceTable.parse("0 100 linear 8:1 0\n101 5 error"))
                        .getMessage());
        assertEquals(
                "error: Gap in table",
                assertThrows(TableException.class, () -> DeviceTable.parse("8 100 error"))
                        .getMessage());
        assertEquals(
                "error: zero-length target",
                assertThrows(TableException.class, () -> DeviceTable.parse("0 0 error"))
                        .getMessage());
        assertThrows(TableException.class, () -> DeviceTable.parse("\n"));
        assertThrows(IllegalArgumentException.class, () -> new DeviceTable(List.of(new ErrorTarget(5, 1))));
    }

    @Test
    void aSnapshotDevicesTable() throws TableException, StatusException {
        DeviceTable table = DeviceTable.parse("vg-snap: 0 32768 snapshot 253:1 253:2 P 8\n");
        assertEquals("P 8", StoreTableStatus.of(table.snapshot().orElseThrow()).format());
    }

    @ParameterizedTest
    @CsvSource({"P 8, P, 8, false", "PO 8, PO, 8, true", "N 16, N, 16, false"})
    void theStoresTableStatus(String text, String type, long chunk, boolean overflow) throws StatusException {
        StoreTableStatus status = StoreTableStatus.parse(text);
        assertEquals(type, status.typeWord());
        assertEquals(chunk, status.chunkSize());
        assertEquals(overflow, status.overflow());
        assertEquals(text, status.format());
    }

    @ParameterizedTest
    @CsvSource({"po 8", "P", "P 8 1", "X 8", "P -8", "P 99999999999"})
    void notAStoresTableStatus(String text) {
        assertThrows(StatusException.class, () -> StoreTableStatus.parse(text));
    }

    @Test
    void aTableIsCheckedAgainstTheLiveKernelsTargets() throws Exception {
        TargetVersions linux61 = TargetVersions.parse(Fixtures.text("s1-version-targets", "targets.txt"));
        TableLine po = TableLine.parse("0 8192 snapshot 254:0 254:16 PO 8 1 discard_zeroes_cow");
        assertEquals(po, po.requireSupport(linux61));

        TargetVersions old = TargetVersions.parse("snapshot-origin  v1.8.1\nsnapshot         v1.14.0\n");
        TableException overflow = assertThrows(TableException.class, () -> TableLine.parse("0 8 snapshot a b PO 8")
                .requireSupport(old));
        assertEquals(
                "snapshot: type PO needs snapshot 1.15.0 or newer for overflow; this kernel has 1.14.0: ask for P",
                overflow.getMessage());
        TableException features =
                assertThrows(TableException.class, () -> TableLine.parse("0 8 snapshot a b P 8 1 discard_zeroes_cow")
                        .requireSupport(old));
        assertEquals("requires exactly 4 arguments", features.kernelMessage());
        assertEquals(
                TableLine.parse("0 8 snapshot a b p 8"),
                TableLine.parse("0 8 snapshot a b p 8").requireSupport(old));

        TargetVersions noSnapshot =
                TargetVersions.parse(Fixtures.text("s1-version-targets", "targets-before-modprobe.txt"));
        TableException missing = assertThrows(TableException.class, () -> TableLine.parse("0 8 snapshot a b P 8")
                .requireSupport(noSnapshot));
        assertEquals("unknown target type", missing.kernelMessage().substring(0, "unknown target type".length()));
    }
}
