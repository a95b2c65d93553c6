package dev.snapstore.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.snapstore.spi.BlockDevice;
import dev.snapstore.spi.MemoryBlockDevice;
import dev.snapstore.testkit.CapturingLog;
import dev.snapstore.testkit.FixtureWrite;
import dev.snapstore.testkit.Fixtures;
import dev.snapstore.testkit.Hashes;
import dev.snapstore.testkit.SectorPattern;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Replays the writes of the kernel fixtures (captured from Linux 6.1) through the engine and compares
 * what the kernel printed and hashed: status and table lines, the sha256 of the snapshot and origin
 * devices, the kernel log, and for N (whose COW layout the engine alone decides) the raw COW.
 *
 * <p>Rows run with the real persistent store (P, PO) and with the in-memory persistent double
 * (SIM_P, SIM_PO), whose raw COW bytes are not the kernel's.
 */
class FixtureReplayTest {

    private static final long ORIGIN_SECTORS = 65536;
    private static final long COW_SECTORS = 16384;
    private static byte[] patternImage;

    @ParameterizedTest(name = "{0} with {1}")
    @CsvSource({
        "s3-transient-N-cs8, N",
        "s3-transient-N-cs16, N",
        "s2-persistent-P-cs8, SIM_P",
        "s2-persistent-P-cs16, SIM_P",
        "s2-persistent-PO-cs8, SIM_PO",
        "s2-persistent-P-cs8, P",
        "s2-persistent-P-cs16, P",
        "s2-persistent-PO-cs8, PO",
    })
    void writesGiveTheKernelsStatusAndHashes(String fixture, StoreKind kind) throws Exception {
        Scenario scenario = new Scenario(fixture);
        int cs = scenario.chunkSize();
        MemoryBlockDevice originDevice = patternOrigin(ORIGIN_SECTORS);
        MemoryBlockDevice cowDevice = new MemoryBlockDevice("cow", COW_SECTORS);
        CapturingLog log = new CapturingLog();
        SimPersistentStoreType sim = new SimPersistentStoreType();
        Origin origin = new Origin(originDevice, log);
        Snapshot snap =
                origin.createSnapshot(kind.types(sim), kind.typeWord, String.valueOf(cs), cowDevice, ORIGIN_SECTORS);
        snap.activate();
        assertEquals(scenario.status(0), snap.status().format());
        assertEquals(scenario.table(0), snap.tableStatus("254:0", "254:16"));
        assertEquals(scenario.value("snap sha256 initial"), Hashes.sha256(snap));

        for (FixtureWrite w : FixtureWrite.of(fixture)) {
            for (int done = 0; done < w.count(); done += w.pieceSectors()) {
                int n = Math.min(w.pieceSectors(), w.count() - done);
                ByteBuffer data = ByteBuffer.wrap(SectorPattern.sectors(w.tag(), w.sector() + done, n));
                (w.toOrigin() ? origin : snap).write(w.sector() + done, data);
            }
        }

        assertEquals(scenario.status(1), snap.status().format());
        assertEquals(scenario.table(1), snap.tableStatus("254:0", "254:16"));
        assertEquals(scenario.value("snap sha256"), Hashes.sha256(snap));
        assertEquals(scenario.value("orig sha256"), Hashes.sha256(origin));
        assertEquals(scenario.value("orig sha256"), Hashes.sha256(originDevice));
        assertEquals(Fixtures.expected(fixture, "expected snap sha256"), Hashes.sha256(snap));
        assertEquals(List.of(), log.lines(), "the kernel logged nothing");
        origin.close();

        if (kind == StoreKind.N) {
            // The transient store hands out COW chunks linearly from 0: the engine's copy-out order
            // and short copies decide every byte, and they match the kernel's.
            assertEquals(scenario.value("cow raw sha256 after remove"), Hashes.sha256(cowDevice));
            return;
        }
        if (kind.isReal()) {
            assertEquals(scenario.value("cow raw sha256 after remove"), Hashes.sha256(cowDevice));
        }
        // Re-create the snapshot from the same COW: same status, same content, nothing written.
        String cowBefore = Hashes.sha256(cowDevice);
        Origin again = new Origin(originDevice, log);
        Snapshot reloaded =
                again.createSnapshot(kind.types(sim), kind.typeWord, String.valueOf(cs), cowDevice, ORIGIN_SECTORS);
        reloaded.activate();
        assertEquals(scenario.status(1), reloaded.status().format());
        assertEquals(scenario.value("snap sha256 after reload"), Hashes.sha256(reloaded));
        assertEquals(scenario.value("orig sha256 after reload"), Hashes.sha256(again));
        again.close();
        assertEquals(cowBefore, Hashes.sha256(cowDevice));
    }

    /** s4: full-chunk snapshot writes into a 64-sector COW until it is full: PO overflows, P invalidates. */
    @ParameterizedTest(name = "{0} with {1}")
    @CsvSource({
        "s4-overflow-a-PO-snap-writes, SIM_PO",
        "s4-overflow-b-P-snap-writes, SIM_P",
        "s4-overflow-a-PO-snap-writes, PO",
        "s4-overflow-b-P-snap-writes, P",
    })
    void overflowMatrix(String fixture, StoreKind kind) throws Exception {
        List<String> text = Fixtures.lines(fixture, "scenario.txt");
        MemoryBlockDevice originDevice = patternOrigin(8192);
        MemoryBlockDevice cowDevice = new MemoryBlockDevice("cow", 64);
        CapturingLog log = new CapturingLog();
        SimPersistentStoreType sim = new SimPersistentStoreType();
        Origin origin = new Origin(originDevice, log);
        Snapshot snap = origin.createSnapshot(kind.types(sim), kind.typeWord, "8", cowDevice, 8192);
        snap.activate();
        assertEquals("16/64 16", snap.status().format());

        Pattern write = Pattern.compile(
                "W(\\d+) dev=snap chunk=(\\d+) sector=(\\d+) count=(\\d+) rc=(\\d) status_after='0 8192 snapshot (.*)'");
        int writes = 0;
        for (String line : text) {
            Matcher m = write.matcher(line.trim());
            if (!m.matches()) {
                continue;
            }
            writes++;
            long sector = Long.parseLong(m.group(3));
            int count = Integer.parseInt(m.group(4));
            ByteBuffer data = ByteBuffer.wrap(SectorPattern.sectors("W" + m.group(1) + ":snap", sector, count));
            if (m.group(5).equals("0")) {
                snap.write(sector, data);
            } else {
                assertThrows(SnapshotIOException.class, () -> snap.write(sector, data));
            }
            assertEquals(m.group(6), snap.status().format(), line);
        }
        assertEquals(9, writes);
        assertEquals(List.of(after(text, "=== kernel log ===")), log.lines());
        assertEquals(kind.typeWord + " 8", snap.tableStatus("254:0", "254:16").substring(13));

        Pattern read = Pattern.compile("read /dev/mapper/snap chunk (\\d+): (.*)");
        for (String line : section(text, "=== reads through the snapshot ===", "sha256 /dev/mapper/snap")) {
            Matcher m = read.matcher(line.trim());
            if (m.matches()) {
                expectRead(snap, Long.parseLong(m.group(1)) * 8, m.group(2));
            }
        }
        expectHash(snap, valueAfter(text, "sha256 /dev/mapper/snap: "));
        assertEquals(valueAfter(text, "sha256 /dev/mapper/orig: "), Hashes.sha256(origin));

        // A write to a chunk that already has an exception fails too, on both.
        assertThrows(SnapshotIOException.class, () -> snap.write(8, ByteBuffer.wrap(SectorPattern.sector("X", 8))));
        String stuck = kind.overflows() ? "Overflow" : "Invalid";
        assertEquals(stuck, snap.status().format());
        origin.close();
        if (kind.isReal()) {
            assertArrayEquals(headerBytes(text), readBytes(cowDevice, 0, 16));
        }

        log.clear();
        Origin again = new Origin(originDevice, log);
        Snapshot reloaded = again.createSnapshot(kind.types(sim), kind.typeWord, "8", cowDevice, 8192);
        reloaded.activate();
        List<String> reload = section(text, "=== reload from COW ===", "cow raw sha256 after reload+remove");
        String reloadStatus = valueAfter(reload, "0 8192 snapshot ");
        assertEquals(reloadStatus, reloaded.status().format());
        for (String line : reload) {
            Matcher m = read.matcher(line.trim());
            if (m.matches()) {
                expectRead(reloaded, Long.parseLong(m.group(1)) * 8, m.group(2));
            }
        }
        expectHash(reloaded, valueAfter(reload, "sha256 /dev/mapper/snap: "));
        again.close();
        List<String> lastLog = section(text, "cow raw sha256 after reload+remove", "Host decode");
        List<String> expectedLog = new ArrayList<>();
        for (String line : lastLog) {
            if (line.trim().startsWith("device-mapper:")) {
                expectedLog.add(line.trim());
            }
        }
        assertEquals(expectedLog, log.lines());
        if (kind.isReal()) {
            assertEquals(valueAfter(text, "cow raw sha256 after reload+remove: "), Hashes.sha256(cowDevice));
        }
    }

    /** s5: merge the s2 writes (with chunks 1000, 1002, ... 1498) back into the origin. */
    @ParameterizedTest(name = "s5 merge with {0}")
    @CsvSource({"SIM_P", "P"})
    void mergeGivesTheKernelsOriginAndStatuses(StoreKind kind) throws Exception {
        String fixture = "s5-merge-handover-P-cs8";
        List<String> text = Fixtures.lines(fixture, "scenario.txt");
        MemoryBlockDevice originDevice = patternOrigin(ORIGIN_SECTORS);
        MemoryBlockDevice cowDevice = new MemoryBlockDevice("cow", COW_SECTORS);
        CapturingLog log = new CapturingLog();
        SimPersistentStoreType sim = new SimPersistentStoreType();
        Origin origin = new Origin(originDevice, log);
        Snapshot snap = origin.createSnapshot(kind.types(sim), "P", "8", cowDevice, ORIGIN_SECTORS);
        snap.activate();
        for (FixtureWrite w : FixtureWrite.of(fixture)) {
            for (int done = 0; done < w.count(); done += w.pieceSectors()) {
                int n = Math.min(w.pieceSectors(), w.count() - done);
                ByteBuffer data = ByteBuffer.wrap(SectorPattern.sectors(w.tag(), w.sector() + done, n));
                (w.toOrigin() ? origin : snap).write(w.sector() + done, data);
            }
        }
        String before = text.stream()
                .map(String::trim)
                .filter(t -> t.startsWith("snap: 0 65536 snapshot ") && !t.contains("254:"))
                .findFirst()
                .orElseThrow();
        assertEquals(
                before.substring("snap: 0 65536 snapshot ".length()),
                snap.status().format());
        String snapHash = valueAfter(text, "snap sha256 before merge: ");
        assertEquals(snapHash, Hashes.sha256(snap));
        assertEquals(valueAfter(text, "orig sha256 before merge: "), Hashes.sha256(origin));

        snap.startMerge();
        // The merging origin shows the snapshot's content before a single chunk is merged.
        assertEquals(snapHash, Hashes.sha256(origin));
        assertThrows(SnapshotIOException.class, () -> snap.read(0, ByteBuffer.allocate(512)));

        Set<String> statuses = new LinkedHashSet<>();
        statuses.add(snap.status().format());
        int step;
        while ((step = snap.mergeStep()) > 0) {
            assertTrue(step <= 256);
            statuses.add(snap.status().format());
        }
        assertTrue(snap.isMergeFinished());
        // Every status the kernel's poll saw is one our steps pass through: the same runs, in order.
        Pattern poll = Pattern.compile("merge status \\(poll \\d+, uptime [\\d.]+\\): 0 65536 snapshot-merge (.*)");
        List<String> polled = new ArrayList<>();
        for (String line : text) {
            Matcher m = poll.matcher(line.trim());
            if (m.matches()) {
                polled.add(m.group(1));
            }
        }
        assertEquals(10, polled.size());
        List<String> ours = new ArrayList<>(statuses);
        int at = -1;
        for (String p : polled) {
            int i = ours.indexOf(p);
            assertTrue(i > at, p + " not among " + ours + " after position " + at);
            at = i;
        }
        assertEquals("16/16384 16", snap.status().format());
        assertEquals(snapHash, Hashes.sha256(originDevice));
        assertEquals(snapHash, Hashes.sha256(origin));
        assertEquals(List.of(), log.lines());
        origin.close();
        if (kind.isReal()) {
            assertEquals(valueAfter(text, "cow raw sha256 after remove: "), Hashes.sha256(cowDevice));
        }

        // Reload the merged COW as a plain snapshot: empty, showing the merged origin.
        Origin again = new Origin(originDevice, log);
        Snapshot reloaded = again.createSnapshot(kind.types(sim), "P", "8", cowDevice, ORIGIN_SECTORS);
        reloaded.activate();
        assertEquals("16/16384 16", reloaded.status().format());
        assertEquals(snapHash, Hashes.sha256(reloaded));
        again.close();
    }

    // --- helpers -----------------------------------------------------------------------------

    /** A device of the given size filled with the ORIGIN pattern (made once, then copied). */
    static synchronized MemoryBlockDevice patternOrigin(long sectors) throws IOException {
        if (patternImage == null || patternImage.length < sectors * 512) {
            MemoryBlockDevice d = new MemoryBlockDevice("pattern", ORIGIN_SECTORS);
            SectorPattern.fill(d, "ORIGIN");
            patternImage = readBytes(d, 0, (int) (ORIGIN_SECTORS * 512));
        }
        MemoryBlockDevice device = new MemoryBlockDevice("origin", sectors);
        device.write(0, ByteBuffer.wrap(patternImage, 0, (int) (sectors * 512)));
        return device;
    }

    static byte[] readBytes(BlockDevice device, long sector, int bytes) throws IOException {
        ByteBuffer b = ByteBuffer.allocate((bytes + 511) / 512 * 512);
        device.read(sector, b);
        byte[] out = new byte[bytes];
        System.arraycopy(b.array(), 0, out, 0, bytes);
        return out;
    }

    private static void expectRead(BlockDevice snap, long sector, String expected) throws IOException {
        if (expected.startsWith("ERROR")) {
            assertThrows(SnapshotIOException.class, () -> snap.read(sector, ByteBuffer.allocate(512)));
        } else {
            String got = new String(readBytes(snap, sector, 20), StandardCharsets.US_ASCII);
            assertEquals(expected, "'" + got + "'");
        }
    }

    private static void expectHash(BlockDevice snap, String expected) throws IOException {
        if (expected.contains("READ-ERROR")) {
            assertThrows(SnapshotIOException.class, () -> Hashes.sha256(snap));
        } else {
            assertEquals(expected, Hashes.sha256(snap));
        }
    }

    private static byte[] headerBytes(List<String> text) {
        String line = after(text, "cow header (first 16 bytes):");
        String hex =
                line.substring(line.indexOf("  ") + 2, line.indexOf("|")).trim().replaceAll("\\s+", "");
        byte[] out = new byte[16];
        for (int i = 0; i < 16; i++) {
            out[i] = (byte) Integer.parseInt(hex.substring(2 * i, 2 * i + 2), 16);
        }
        return out;
    }

    static String after(List<String> text, String marker) {
        for (int i = 0; i < text.size() - 1; i++) {
            if (text.get(i).trim().equals(marker)) {
                return text.get(i + 1).trim();
            }
        }
        throw new IllegalStateException("no " + marker);
    }

    static String valueAfter(List<String> text, String prefix) {
        for (String line : text) {
            String t = line.trim();
            if (t.startsWith(prefix)) {
                return t.substring(prefix.length());
            }
        }
        throw new IllegalStateException("no " + prefix);
    }

    static List<String> section(List<String> text, String from, String to) {
        List<String> out = new ArrayList<>();
        boolean in = false;
        for (String line : text) {
            if (line.trim().startsWith(from)) {
                in = true;
            } else if (in && line.trim().startsWith(to)) {
                break;
            } else if (in) {
                out.add(line);
            }
        }
        return out;
    }

    /** The captured lines of an s2/s3 scenario. */
    private static final class Scenario {
        private final List<String> text;
        private final List<String> statuses = new ArrayList<>();
        private final List<String> tables = new ArrayList<>();

        Scenario(String fixture) {
            text = Fixtures.lines(fixture, "scenario.txt");
            for (String line : text) {
                String t = line.trim();
                if (t.startsWith("snap: 0 65536 snapshot ")) {
                    String rest = t.substring("snap: 0 65536 snapshot ".length());
                    (rest.startsWith("254:") ? tables : statuses).add(rest);
                }
            }
        }

        int chunkSize() {
            String table = tables.get(0);
            return Integer.parseInt(table.substring(table.lastIndexOf(' ') + 1));
        }

        String status(int i) {
            return statuses.get(i);
        }

        String table(int i) {
            return tables.get(i);
        }

        String value(String key) {
            return valueAfter(text, key + ": ");
        }
    }
}
