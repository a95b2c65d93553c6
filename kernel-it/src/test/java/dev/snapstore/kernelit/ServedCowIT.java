package dev.snapstore.kernelit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.snapstore.dm.DeviceMapper;
import dev.snapstore.dm.SnapshotStatus;
import dev.snapstore.dm.StatusLine;
import dev.snapstore.spi.Usage;
import dev.snapstore.testkit.ExternalTools;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Issue 14's end-to-end check: {@code snapstore serve} runs in the guest, real NBD clients
 * ({@code qemu-io}, {@code nbdcopy}) write the origin and a snapshot through it, and after SIGTERM the
 * kernel's own dm-snapshot activates the COW it wrote, on loop devices, with exactly the snapshot's
 * bytes of a byte model.
 */
class ServedCowIT {

    private static final int ORIGIN_SECTORS = 32768; // 16 MiB
    private static final int CHUNK = 8;
    private static final int CHUNK_BYTES = CHUNK * Guest.SECTOR;
    private static final long COW_BYTES = 4 << 20;
    private static final String SNAP = "kit-served-snap";

    private final DeviceMapper dm = DeviceMapper.dmsetup();
    private final List<String> loops = new ArrayList<>();
    private Path dir;
    private Process serve;

    /** A write of the test: a qemu-io command and what it does to the bytes of its export. */
    private record Write(long offset, int length, int pattern) {
        String command() {
            return pattern < 0
                    ? "write -z " + offset + " " + length
                    : "write -P 0x" + Integer.toHexString(pattern) + " " + offset + " " + length;
        }

        void apply(byte[] model) {
            Arrays.fill(model, (int) offset, (int) offset + length, pattern < 0 ? 0 : (byte) pattern);
        }

        void chunks(TreeSet<Long> into) {
            for (long c = offset / CHUNK_BYTES; c <= (offset + length - 1) / CHUNK_BYTES; c++) {
                into.add(c);
            }
        }
    }

    @BeforeEach
    void folder() throws IOException {
        Guest.requireKernel();
        // The guest's /tmp is a tmpfs of its own.
        dir = Files.createTempDirectory("served-cow");
    }

    @AfterEach
    void cleanUp() throws Exception {
        try {
            Guest.removeAll(dm, SNAP);
        } finally {
            for (String loop : loops) {
                // Not inheritIO: the fork's stdout is Surefire's channel.
                new ProcessBuilder("losetup", "-d", loop)
                        .redirectErrorStream(true)
                        .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                        .start()
                        .waitFor();
            }
            if (serve != null) {
                serve.destroyForcibly().waitFor();
            }
            if (dir != null) {
                try (Stream<Path> files = Files.list(dir)) {
                    for (Path f : (Iterable<Path>) files::iterator) {
                        Files.delete(f);
                    }
                }
                Files.delete(dir);
            }
        }
    }

    @Test
    void theServedCowActivatesInTheKernelWithTheSnapshotsBytes() throws Exception {
        String qemuIo = ExternalTools.require("qemu-io", "qemu-utils").toString();
        String nbdcopy = ExternalTools.require("nbdcopy", "libnbd-bin").toString();
        byte[] origin0 = Guest.pattern("ORIGIN", 0, ORIGIN_SECTORS);
        Path origin = Files.write(dir.resolve("origin.img"), origin0);
        Path cow = dir.resolve("s.cow");
        try (RandomAccessFile f = new RandomAccessFile(cow.toFile(), "rw")) {
            f.setLength(COW_BYTES); // empty: serve writes the header as the kernel's first activation would
        }
        Path socket = dir.resolve("nbd.sock");
        Path log = dir.resolve("serve.log");
        serve = ServeLauncher.start(
                log,
                "--origin",
                origin.toString(),
                "--cow",
                "s=" + cow,
                "--chunk-size",
                "8",
                "--socket",
                socket.toString());
        String originUri = "nbd+unix:///origin?socket=" + socket;
        String snapUri = "nbd+unix:///s?socket=" + socket;

        // Origin writes across chunk boundaries (copied out first), snapshot writes at unaligned
        // offsets, some in chunks the other side wrote before or after.
        List<Write> originFirst = List.of(new Write(4000, 200, 0xa5), new Write(20480, 100, 0x21));
        List<Write> snapWrites = List.of(
                new Write(1000, 3000, 0x5a),
                new Write(12188, 300, 0x6c),
                new Write(20500, 100, 0x42),
                new Write(70001, 99, 0x33),
                new Write(200000, 5000, -1));
        List<Write> originThen = List.of(
                new Write(1048000, 10000, 0x77),
                new Write(70050, 20, 0xc3),
                new Write(ORIGIN_SECTORS * (long) Guest.SECTOR - 216, 216, 0x11));
        qemuIo(qemuIo, originUri, originFirst);
        qemuIo(qemuIo, snapUri, snapWrites);
        qemuIo(qemuIo, originUri, originThen);

        byte[] originModel = origin0.clone();
        byte[] snapModel = origin0.clone();
        TreeSet<Long> chunks = new TreeSet<>();
        for (Write w : Stream.concat(originFirst.stream(), originThen.stream()).toList()) {
            w.apply(originModel);
            w.chunks(chunks);
        }
        for (Write w : snapWrites) {
            w.apply(snapModel);
            w.chunks(chunks);
        }

        // What the server shows before it stops: the model.
        Path snapCopy = dir.resolve("s.raw");
        run(nbdcopy, snapUri, snapCopy.toString());
        assertArrayEquals(snapModel, Files.readAllBytes(snapCopy), "snapshot export");
        Files.delete(snapCopy);

        ServeLauncher.stop(serve, log);
        assertArrayEquals(originModel, Files.readAllBytes(origin), "origin file");

        // The kernel's dm-snapshot on the files serve wrote.
        String originLoop = losetup(origin);
        String cowLoop = losetup(cow);
        dm.create(
                SNAP,
                List.of("0 " + ORIGIN_SECTORS + " snapshot " + originLoop + " " + cowLoop + " P " + CHUNK),
                false);
        assertArrayEquals(
                snapModel, Guest.read(Path.of("/dev/mapper/" + SNAP), 0, ORIGIN_SECTORS), "dm-snapshot's bytes");
        String status = dm.status(SNAP).get(0);
        SnapshotStatus parsed = StatusLine.parse(status).status();
        assertEquals(SnapshotStatus.Kind.USAGE, parsed.kind(), status);
        Usage usage = parsed.findUsage().orElseThrow();
        // The header chunk, one metadata area and one data chunk per chunk either side wrote.
        assertEquals(COW_BYTES / Guest.SECTOR, usage.totalSectors(), status);
        assertEquals((2L + chunks.size()) * CHUNK, usage.allocatedSectors(), status + " for chunks " + chunks);
        assertEquals(2L * CHUNK, usage.metadataSectors(), status);
    }

    private String losetup(Path file) throws Exception {
        String loop = run("losetup", "--find", "--show", file.toString()).strip();
        loops.add(loop);
        return loop;
    }

    private void qemuIo(String qemuIo, String uri, List<Write> writes) throws Exception {
        List<String> command = new ArrayList<>(List.of(qemuIo, "-f", "raw"));
        for (Write w : writes) {
            command.add("-c");
            command.add(w.command());
        }
        command.add(uri);
        String out = run(command.toArray(String[]::new));
        for (Write w : writes) {
            assertTrue(out.contains(w.length + "/" + w.length + " bytes at offset " + w.offset), out);
        }
    }

    /** Runs a command, failing unless it exits 0 within three minutes; its stdout and stderr. */
    private String run(String... command) throws Exception {
        return ExternalTools.run(dir, Duration.ofMinutes(3), command).output();
    }
}
