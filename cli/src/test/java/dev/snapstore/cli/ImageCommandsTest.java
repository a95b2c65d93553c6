package dev.snapstore.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.snapstore.engine.Origin;
import dev.snapstore.engine.Snapshot;
import dev.snapstore.engine.SnapshotTargetException;
import dev.snapstore.spi.FileBlockDevice;
import dev.snapstore.spi.KernelLog;
import dev.snapstore.spi.StoreTypes;
import dev.snapstore.testkit.FixtureWrite;
import dev.snapstore.testkit.Fixtures;
import dev.snapstore.testkit.SectorPattern;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * create, status, write, read, export and merge, replaying the kernel fixtures' scenarios one
 * command (one activation) at a time and comparing every status line and every image hash with what
 * the kernel printed and left.
 */
class ImageCommandsTest {

    @TempDir(factory = MemoryTempDir.class)
    Path dir;

    /** The snapshot's status lines in {@code output.txt}, in order (the table lines are left out). */
    static List<String> statuses(String fixture) {
        List<String> statuses = new ArrayList<>();
        Pattern status = Pattern.compile("snap: 0 \\d+ snapshot (.*)");
        for (String line : Fixtures.lines(fixture, "output.txt")) {
            Matcher m = status.matcher(line.trim());
            if (m.matches() && !m.group(1).startsWith("254:")) {
                statuses.add(m.group(1));
            }
        }
        return statuses;
    }

    /** The store's part of the snapshot's table line in {@code output.txt}, e.g. {@code P 8}. */
    static String tableStatus(String fixture) {
        for (String line : Fixtures.lines(fixture, "output.txt")) {
            if (line.trim().startsWith("snap: 0 ") && line.contains(" snapshot 254:0 254:16 ")) {
                return line.substring(line.indexOf(" 254:16 ") + 8).trim();
            }
        }
        throw new IllegalStateException("no table line in " + fixture);
    }

    static String value(String fixture, String key) {
        for (String line : Fixtures.lines(fixture, "output.txt")) {
            if (line.startsWith(key + ": ")) {
                return line.substring(key.length() + 2).trim();
            }
        }
        throw new IllegalStateException(key + " not in " + fixture);
    }

    private static String lastLine(CliRun run) {
        List<String> lines = run.lines();
        return lines.isEmpty() ? "" : lines.get(lines.size() - 1);
    }

    private CliRun write(Path origin, Path cow, String type, int cs, FixtureWrite w) throws IOException {
        Path input = dir.resolve("input");
        Files.write(input, SectorPattern.sectors(w.tag(), w.sector(), w.count()));
        return CliRun.of(TestImages.write(
                origin,
                cow,
                type,
                String.valueOf(cs),
                w.toOrigin() ? "origin" : "snapshot",
                (w.sector() * 512) + "",
                "--input",
                input.toString()));
    }

    /**
     * Joins the lines of one numbered write that continue each other (s5 lists W13 chunk by chunk):
     * the engine splits a write at chunk boundaries and handles the pieces in order, as the kernel
     * does, so one command gives the same bytes as many, in one activation instead of hundreds.
     */
    static List<FixtureWrite> coalesced(List<FixtureWrite> writes) {
        List<FixtureWrite> joined = new ArrayList<>();
        for (FixtureWrite w : writes) {
            FixtureWrite last = joined.isEmpty() ? null : joined.get(joined.size() - 1);
            if (last != null
                    && last.k() == w.k()
                    && last.device().equals(w.device())
                    && last.sector() + last.count() == w.sector()) {
                joined.set(
                        joined.size() - 1,
                        new FixtureWrite(w.k(), w.device(), last.sector(), last.count() + w.count(), w.pieceSectors()));
            } else {
                joined.add(w);
            }
        }
        return joined;
    }

    /** Creates the COW with the CLI and replays writes.txt, one write command (one activation) per line. */
    private void replay(String fixture, Path origin, Path cow, String type, int cs, String initialStatus)
            throws IOException {
        CliRun created = TestImages.create(cow, "16384s", String.valueOf(cs));
        assertEquals(ExitStatus.OK, created.status(), created::toString);
        assertEquals("status on activation: " + initialStatus, lastLine(created));
        for (FixtureWrite w : coalesced(FixtureWrite.of(fixture))) {
            CliRun run = write(origin, cow, type, cs, w);
            assertEquals(ExitStatus.OK, run.status(), () -> "W" + w.k() + ": " + run);
            assertEquals("", run.err(), run::toString);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"s2-persistent-P-cs8", "s2-persistent-P-cs16", "s2-persistent-PO-cs8"})
    void replayingTheKernelsWritesOneCommandAtATimeGivesItsStatusAndImages(String fixture) throws IOException {
        String table = tableStatus(fixture);
        String type = table.split(" ")[0];
        int cs = Integer.parseInt(table.split(" ")[1]);
        Path origin = TestImages.patternOrigin(dir.resolve("origin.img"), 65536);
        Path cow = dir.resolve("cow.img");
        replay(fixture, origin, cow, type, cs, statuses(fixture).get(0));

        String cowSha = TestImages.sha(cow);
        assertEquals(value(fixture, "cow raw sha256 after remove"), cowSha, "the COW, byte for byte");
        assertEquals(Fixtures.expected(fixture, "expected orig sha256"), TestImages.sha(origin));

        CliRun status = CliRun.of(TestImages.status(origin, cow, type));
        assertEquals(statuses(fixture).get(1) + "\n", status.out(), status::toString);
        CliRun tableRun = CliRun.of(TestImages.status(origin, cow, type, "--table"));
        assertEquals(table + "\n", tableRun.out());

        Path snap = dir.resolve("snap.img");
        CliRun export = CliRun.of(TestImages.export(origin, cow, snap.toString()));
        assertEquals(ExitStatus.OK, export.status(), export::toString);
        assertEquals("", export.err(), "no progress bar without a terminal");
        assertEquals(Fixtures.expected(fixture, "expected snap sha256"), TestImages.sha(snap));
        assertEquals(cowSha, TestImages.sha(cow), "status and export write nothing");
        assertEquals(Fixtures.expected(fixture, "expected orig sha256"), TestImages.sha(origin));
    }

    @Test
    void exportOfAKernelWrittenCowGivesTheKernelsSnapshot() throws IOException {
        String fixture = "s2-persistent-P-cs16";
        Path origin = Fixtures.unpack(fixture, "origin-final.img.xz", dir.resolve("origin.img"));
        Path cow = Fixtures.unpack(fixture, "cow-final.img.xz", dir.resolve("cow.img"));
        Path snap = dir.resolve("snap.img");
        // A stale, longer output file is truncated to the snapshot's length.
        Files.write(snap, new byte[40 << 20]);
        CliRun export = CliRun.of(TestImages.export(origin, cow, snap.toString()));
        assertEquals(ExitStatus.OK, export.status(), export::toString);
        assertEquals(Fixtures.expected(fixture, "expected snap sha256"), TestImages.sha(snap));
        assertEquals(Fixtures.imageSha256(fixture, "cow-final.img"), TestImages.sha(cow));
        assertEquals(Fixtures.imageSha256(fixture, "origin-final.img"), TestImages.sha(origin));
        // Unflushed by default, like cp; --fsync flushes before the rename and writes the same bytes.
        Path flushed = dir.resolve("flushed.img");
        CliRun fsync = CliRun.of(TestImages.export(origin, cow, flushed.toString(), "--fsync"));
        assertEquals(ExitStatus.OK, fsync.status(), fsync::toString);
        assertEquals(Fixtures.expected(fixture, "expected snap sha256"), TestImages.sha(flushed));
        CliRun help = CliRun.of("export", "--help");
        assertTrue(help.out().contains("--fsync"), help::toString);
    }

    /** s4: full-chunk snapshot writes into a 64-sector COW, one activation each: PO overflows, P invalidates. */
    @ParameterizedTest
    @ValueSource(strings = {"s4-overflow-a-PO-snap-writes", "s4-overflow-b-P-snap-writes"})
    void theOverflowMatrixOneActivationPerWrite(String fixture) throws IOException {
        String type = fixture.contains("-PO-") ? "PO" : "P";
        Path origin = TestImages.patternOrigin(dir.resolve("origin.img"), 8192);
        Path cow = dir.resolve("cow.img");
        CliRun created = TestImages.create(cow, "64s", "8");
        assertEquals("status on activation: 16/64 16", lastLine(created), created::toString);
        Pattern write = Pattern.compile(
                "W(\\d+) dev=snap chunk=(\\d+) sector=(\\d+) count=(\\d+) rc=(\\d) status_after='0 8192 snapshot (.*)'");
        int writes = 0;
        List<String> scenario = Fixtures.lines(fixture, "scenario.txt");
        List<String> trimmed = scenario.stream().map(String::trim).toList();
        String kernelLog = trimmed.get(trimmed.indexOf("=== kernel log ===") + 1);
        boolean failedBefore = false;
        for (String line : scenario) {
            Matcher m = write.matcher(line.trim());
            if (!m.matches()) {
                continue;
            }
            writes++;
            FixtureWrite w = new FixtureWrite(
                    Integer.parseInt(m.group(1)),
                    "snap",
                    Long.parseLong(m.group(3)),
                    Integer.parseInt(m.group(4)),
                    Integer.parseInt(m.group(4)));
            CliRun run = write(origin, cow, type, 8, w);
            assertEquals(m.group(6), lastLine(run), run::toString);
            if (m.group(5).equals("0")) {
                assertEquals(ExitStatus.OK, run.status(), run::toString);
            } else {
                assertEquals(ExitStatus.NO, run.status(), run::toString);
                List<String> err = run.err().lines().toList();
                assertTrue(
                        err.get(err.size() - 1)
                                .startsWith("snapstore: write: Input/output error writing the snapshot at byte "
                                        + w.sector() * 512 + " ("),
                        run::toString);
                if (!failedBefore) {
                    assertEquals("snapstore: kernel: " + kernelLog, err.get(0), "the kernel's log line");
                }
                failedBefore = true;
            }
        }
        assertEquals(9, writes);
        assertEquals(Fixtures.imageSha256(fixture, "cow-final.img"), TestImages.sha(cow), "the COW, byte for byte");

        Path snap = dir.resolve("snap.img");
        CliRun export = CliRun.of(TestImages.export(origin, cow, snap.toString(), "--type", type));
        String kernelSnap = Fixtures.lines(fixture, "scenario.txt").stream()
                .map(String::trim)
                .filter(l -> l.startsWith("sha256 /dev/mapper/snap: "))
                .findFirst()
                .orElseThrow()
                .substring(25);
        if (type.equals("PO")) {
            assertEquals(ExitStatus.OK, export.status(), export::toString);
            assertEquals(kernelSnap, TestImages.sha(snap));
        } else {
            assertEquals(ExitStatus.NO, export.status(), export::toString);
            // The kernel's log on reloading the invalidated COW: the scenario's second log section.
            String reloadLog = trimmed.get(trimmed.lastIndexOf("=== kernel log ===") + 1);
            assertEquals("device-mapper: snapshots: Snapshot is marked invalid.", reloadLog);
            assertEquals(
                    "snapstore: kernel: " + reloadLog + "\n"
                            + "snapstore: export: Input/output error: the snapshot in " + cow
                            + " is invalid, and the kernel fails every read of it\n",
                    export.err());
            assertFalse(Files.exists(snap), "no output for a snapshot that cannot be read");
            CliRun status = CliRun.of(TestImages.status(origin, cow, "P"));
            assertEquals("Invalid\n", status.out());
        }
    }

    /** s5: the kernel's merge of the s2 writes; the CLI replays the writes, then merges (also after an interruption). */
    @Test
    void mergeLeavesTheKernelsOriginAndCowAndResumesAfterAnInterruption() throws IOException {
        String fixture = "s5-merge-handover-P-cs8";
        Path origin = TestImages.patternOrigin(dir.resolve("origin.img"), 65536);
        Path cow = dir.resolve("cow.img");
        // s5 writes W13 chunk by chunk (250 writes): one activation through the engine replays
        // them; one command per write is the s2 test's job.
        TestImages.createCow(cow, "8M", "8");
        try (FileBlockDevice od = FileBlockDevice.open(origin, true);
                FileBlockDevice cd = FileBlockDevice.open(cow, true)) {
            Origin o = new Origin(od, KernelLog.DISCARD);
            Snapshot s = o.createSnapshot(StoreTypes.load(), "P", "8", cd, 65536);
            s.activate();
            for (FixtureWrite w : FixtureWrite.of(fixture)) {
                (w.toOrigin() ? o : s)
                        .write(w.sector(), ByteBuffer.wrap(SectorPattern.sectors(w.tag(), w.sector(), w.count())));
            }
            s.close();
        } catch (SnapshotTargetException e) {
            throw new AssertionError(e);
        }
        assertEquals(value(fixture, "orig sha256 before merge"), TestImages.sha(origin));
        Path originBefore = Files.copy(origin, dir.resolve("origin-before.img"));
        Path cowBefore = Files.copy(cow, dir.resolve("cow-before.img"));

        CliRun merge = CliRun.of("merge", "--origin", origin.toString(), "--cow", cow.toString());
        assertEquals(ExitStatus.OK, merge.status(), merge::toString);
        assertEquals("16/16384 16", lastLine(merge));
        String originAfter = value(fixture, "origin raw sha256 after remove");
        String cowAfter = value(fixture, "cow raw sha256 after remove");
        assertEquals(originAfter, TestImages.sha(origin), "the origin, byte for byte");
        assertEquals(cowAfter, TestImages.sha(cow), "the COW, byte for byte");

        CliRun again = CliRun.of("merge", "--origin", origin.toString(), "--cow", cow.toString(), "--json");
        assertEquals(ExitStatus.OK, again.status(), again::toString);
        assertTrue(again.out().contains("\"merged\" : 0"), again::toString);
        assertEquals(originAfter, TestImages.sha(origin));
        assertEquals(cowAfter, TestImages.sha(cow));

        // Interrupted after some merge steps (the process dies: nothing is closed), then run again.
        for (int steps : new int[] {1, 2, 97}) {
            Path o = Files.copy(originBefore, dir.resolve("o" + steps), StandardCopyOption.REPLACE_EXISTING);
            Path c = Files.copy(cowBefore, dir.resolve("c" + steps), StandardCopyOption.REPLACE_EXISTING);
            try (FileBlockDevice od = FileBlockDevice.open(o, true);
                    FileBlockDevice cd = FileBlockDevice.open(c, true)) {
                Snapshot s = new Origin(od, KernelLog.DISCARD).createSnapshot(StoreTypes.load(), "P", "0", cd, 65536);
                s.activate();
                s.startMerge();
                for (int i = 0; i < steps; i++) {
                    assertTrue(s.mergeStep() > 0);
                }
            } catch (SnapshotTargetException e) {
                throw new AssertionError(e);
            }
            CliRun resumed = CliRun.of("merge", "--origin", o.toString(), "--cow", c.toString());
            assertEquals(ExitStatus.OK, resumed.status(), resumed::toString);
            assertEquals(originAfter, TestImages.sha(o), "resumed after " + steps + " steps");
            assertEquals(cowAfter, TestImages.sha(c), "resumed after " + steps + " steps");
        }
    }

    @Test
    void readGivesTheBytesOfExportAndOriginAtAnyByteOffset() throws IOException {
        String fixture = "s2-persistent-P-cs8";
        Path origin = Fixtures.unpack(fixture, "origin-final.img.xz", dir.resolve("origin.img"));
        Path cow = Fixtures.unpack(fixture, "cow-final.img.xz", dir.resolve("cow.img"));
        Path snap = dir.resolve("snap.img");
        assertEquals(
                ExitStatus.OK,
                CliRun.of(TestImages.export(origin, cow, snap.toString())).status());
        byte[] snapBytes = Files.readAllBytes(snap);
        byte[] originBytes = Files.readAllBytes(origin);
        Random random = new Random(7);
        Path out = dir.resolve("out");
        for (int i = 0; i < 12; i++) {
            boolean fromSnap = i % 2 == 0;
            int length = i == 0 ? 0 : 1 + random.nextInt(i < 6 ? 700 : 3 << 20);
            int offset = random.nextInt(snapBytes.length - length + 1);
            CliRun run = CliRun.of(TestImages.read(
                    origin,
                    cow,
                    fromSnap ? "snapshot" : "origin",
                    String.valueOf(offset),
                    String.valueOf(length),
                    out.toString()));
            assertEquals(ExitStatus.OK, run.status(), run::toString);
            byte[] expected = Arrays.copyOfRange(fromSnap ? snapBytes : originBytes, offset, offset + length);
            assertArrayEquals(expected, Files.readAllBytes(out), "offset " + offset + " length " + length);
        }
        CliRun toStdout = CliRun.of(TestImages.read(origin, cow, "snapshot", "24s", "20", "-"));
        assertEquals(new String(snapBytes, 24 * 512, 20, StandardCharsets.ISO_8859_1), toStdout.out());
    }

    @Test
    void writesAreByteGranularAndAFillWritesItsByte() throws IOException {
        Path origin = TestImages.patternOrigin(dir.resolve("origin.img"), 256);
        Path cow = dir.resolve("cow.img");
        TestImages.createCow(cow, "64K", "8");
        // A transient store keeps data chunks on its COW from chunk 0: it gets a COW of its own.
        Path transientCow = Files.write(dir.resolve("n.img"), new byte[64 << 10]);
        byte[] before = Files.readAllBytes(origin);
        CliRun run = CliRun.of(TestImages.fillWrite(origin, transientCow, "N", "origin", "1000", "0x42", "5000"));
        assertEquals(ExitStatus.OK, run.status(), run::toString);
        assertEquals(
                List.of("wrote 5000 bytes to the origin at byte 1000", "16/128 0"),
                run.lines(),
                "an N store: two chunks copied out, no metadata");
        byte[] after = Files.readAllBytes(origin);
        for (int i = 0; i < after.length; i++) {
            byte expected = i >= 1000 && i < 6000 ? (byte) 0x42 : before[i];
            if (after[i] != expected) {
                throw new AssertionError("byte " + i + ": " + after[i] + " != " + expected);
            }
        }
        CliRun json = CliRun.of(
                TestImages.write(origin, cow, "P", "8", "snapshot", "3", "--fill", "Z", "--length", "1", "--json"));
        assertEquals(ExitStatus.OK, json.status(), json::toString);
        assertTrue(
                json.out().contains("\"written\" : 1,") && json.out().contains("\"status\" : \"24/128 16\""),
                json::toString);
        CliRun read = CliRun.of(TestImages.read(origin, cow, "snapshot", "0", "6", "-"));
        assertEquals("ORIZIN", read.out(), read::toString);
    }

    @Test
    void createWritesTheKernelsHeaderChunkAndNothingElse() throws IOException {
        for (String fixture : new String[] {"s2-persistent-P-cs8", "s2-persistent-P-cs16"}) {
            int cs = Integer.parseInt(tableStatus(fixture).split(" ")[1]);
            Path cow = dir.resolve("cow" + cs);
            TestImages.createCow(cow, "8M", String.valueOf(cs));
            byte[] created = Files.readAllBytes(cow);
            byte[] kernel = Fixtures.image(fixture, "cow-final.img.xz");
            assertEquals(kernel.length, created.length);
            int chunk = cs * 512;
            assertArrayEquals(Arrays.copyOf(kernel, chunk), Arrays.copyOf(created, chunk), "the header chunk");
            for (int i = chunk; i < created.length; i++) {
                if (created[i] != 0) {
                    throw new AssertionError("byte " + i + " is not zero");
                }
            }
        }
    }

    @Test
    void createRefusesToDestroyWithoutForce() throws IOException {
        Path cow = dir.resolve("cow.img");
        TestImages.createCow(cow, "1M", "8");
        assertEquals(
                ExitStatus.OK,
                CliRun.of(TestImages.fillWrite(
                                TestImages.patternOrigin(dir.resolve("o"), 64), cow, "P", "snapshot", "0", "1", "512"))
                        .status());
        String withException = TestImages.sha(cow);
        CliRun refused = TestImages.create(cow, "1M", "8");
        assertEquals(ExitStatus.USAGE, refused.status());
        assertEquals(
                "snapstore: create: " + cow + " already holds a snapshot header (valid=1, chunk size 8); use --force to"
                        + " overwrite it\n",
                refused.err());
        assertEquals(withException, TestImages.sha(cow));

        CliRun forced = TestImages.create(cow, "1M", "16", "--force");
        assertEquals(ExitStatus.OK, forced.status(), forced::toString);
        assertEquals("status on activation: 32/2048 32", lastLine(forced));
        CliRun dump = CliRun.of("dump", "--cow", cow.toString());
        assertTrue(dump.out().contains("chunk_size=16") && dump.out().contains("end exceptions=0"), dump::toString);

        Path data = dir.resolve("data.img");
        byte[] bytes = new byte[1 << 20];
        bytes[5000] = 1;
        Files.write(data, bytes);
        CliRun notEmpty = TestImages.create(data, "1M", "8");
        assertEquals(
                "snapstore: create: " + data + " holds data at byte 5000, which a new COW overwrites; use --force if it"
                        + " may go\n",
                notEmpty.err());
        Files.write(data, new byte[2 << 20]);
        CliRun shrink = TestImages.create(data, "1M", "8");
        assertEquals(
                "snapstore: create: " + data
                        + " is 2097152 bytes, larger than --size 1048576; use --force to shrink it\n",
                shrink.err());
        assertEquals(2 << 20, Files.size(data));
    }
}
