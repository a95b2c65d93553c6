package dev.snapstore.serve;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.snapstore.testkit.ExternalTools;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The server against the clients people use: libnbd's nbdinfo and nbdcopy, qemu-img, qemu-io and
 * fio's nbd engine, each checked against a byte model of what the export must hold. The clients come
 * from the Debian packages libnbd-bin, qemu-utils and fio; on CI a missing one fails the test.
 */
@Timeout(180)
class RealClientsTest {
    static final long SIZE = 8 << 20;
    static final int CHUNK = 64 * 1024;

    @TempDir
    Path dir;

    final List<String> log = new CopyOnWriteArrayList<>();
    MemoryExport disk;
    NbdServer server;
    /** What the disk export must hold. */
    byte[] model = new byte[(int) SIZE];

    @BeforeEach
    void start() throws IOException {
        disk = new MemoryExport("disk", SIZE, 512, CHUNK);
        MemoryExport rom = new MemoryExport("rom", 1 << 20, 512, 4096);
        rom.write(0, ByteBuffer.wrap(NbdServerProtocolTest.filled(4096, 1)), false);
        server = NbdServer.builder()
                .export(disk)
                .export(rom.readOnlyView())
                .unixSocket(dir.resolve("s.sock"))
                .log(log::add)
                .start();
    }

    @AfterEach
    void stop() {
        server.close();
        assertTrue(log.isEmpty(), () -> "the server logged: " + log);
    }

    String uri(String export) {
        return "nbd+unix:///" + export + "?socket=" + dir.resolve("s.sock");
    }

    /** Writes through the export and the model alike. */
    void put(long offset, byte[] data) throws NbdException {
        disk.write(offset, ByteBuffer.wrap(data), false);
        System.arraycopy(data, 0, model, (int) offset, data.length);
    }

    byte[] contents() throws NbdException {
        return NbdServerProtocolTest.bytes(disk, 0, (int) SIZE);
    }

    static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    @Test
    void nbdinfoListsEveryExportWithSizesFlagsAndBlockSizes() throws Exception {
        Path nbdinfo = ExternalTools.require("nbdinfo", "libnbd-bin");
        String out =
                ExternalTools.run(dir, nbdinfo.toString(), "--list", uri("")).output();
        assertTrue(out.contains("newstyle-fixed"), out);
        assertTrue(out.contains("using structured packets"), out);
        String diskPart = out.substring(out.indexOf("export=\"disk\""), out.indexOf("export=\"rom\""));
        String romPart = out.substring(out.indexOf("export=\"rom\""));
        for (String line : List.of(
                "export-size: 8388608",
                "base:allocation",
                "is_read_only: false",
                "can_flush: true",
                "can_fua: true",
                "can_multi_conn: true",
                "can_trim: true",
                "can_zero: true",
                "block_size_minimum: 512",
                "block_size_preferred: 65536",
                "block_size_maximum: 33554432")) {
            assertTrue(diskPart.contains(line), line + " in\n" + diskPart);
        }
        for (String line : List.of(
                "export-size: 1048576", "is_read_only: true", "can_zero: false", "block_size_preferred: 4096")) {
            assertTrue(romPart.contains(line), line + " in\n" + romPart);
        }
    }

    @Test
    void nbdinfoMapShowsDataWhereWrittenAndHolesElsewhere() throws Exception {
        Path nbdinfo = ExternalTools.require("nbdinfo", "libnbd-bin");
        put(CHUNK, random(CHUNK, 1));
        put(5L * CHUNK + 512, random(1024, 2)); // part of a chunk allocates it whole
        put(100L * CHUNK, random(3 * CHUNK, 3));
        String out =
                ExternalTools.run(dir, nbdinfo.toString(), "--map", uri("disk")).output();
        List<long[]> expected = List.of(
                new long[] {0, CHUNK, 3},
                new long[] {CHUNK, CHUNK, 0},
                new long[] {2L * CHUNK, 3L * CHUNK, 3},
                new long[] {5L * CHUNK, CHUNK, 0},
                new long[] {6L * CHUNK, 94L * CHUNK, 3},
                new long[] {100L * CHUNK, 3L * CHUNK, 0},
                new long[] {103L * CHUNK, SIZE - 103L * CHUNK, 3});
        List<long[]> actual = parseMap(out);
        assertEquals(expected.size(), actual.size(), out);
        for (int i = 0; i < expected.size(); i++) {
            assertArrayEquals(expected.get(i), actual.get(i), out);
        }
        // "hole,zero" is true: those bytes read as zero
        for (long[] e : actual) {
            if (e[2] == 3) {
                assertArrayEquals(new byte[(int) e[1]], Arrays.copyOfRange(model, (int) e[0], (int) (e[0] + e[1])));
            }
        }
    }

    /** nbdinfo --map lines ("offset length type description"), adjacent runs of one type merged. */
    static List<long[]> parseMap(String out) {
        List<long[]> extents = new ArrayList<>();
        for (String line : out.strip().split("\n")) {
            String[] f = line.trim().split("\\s+");
            long[] e = {Long.parseLong(f[0]), Long.parseLong(f[1]), Long.parseLong(f[2])};
            long[] last = extents.isEmpty() ? null : extents.get(extents.size() - 1);
            if (last != null && last[2] == e[2] && last[0] + last[1] == e[0]) {
                last[1] += e[1];
            } else {
                extents.add(e);
            }
        }
        return extents;
    }

    @Test
    void qemuImgConvertsFromTheExport() throws Exception {
        Path qemuImg = ExternalTools.require("qemu-img", "qemu-utils");
        put(0, random(3 * CHUNK + 4096, 4));
        put(SIZE - CHUNK, random(CHUNK, 5));
        Path out = dir.resolve("out.raw");
        ExternalTools.run(dir, qemuImg.toString(), "convert", "-f", "raw", "-O", "raw", uri("disk"), out.toString());
        assertArrayEquals(model, Files.readAllBytes(out));
    }

    @Test
    void qemuImgConvertsIntoTheExport() throws Exception {
        Path qemuImg = ExternalTools.require("qemu-img", "qemu-utils");
        put(2L * CHUNK, random(CHUNK, 6)); // overwritten by the zeroes of the source
        byte[] source = new byte[(int) SIZE];
        System.arraycopy(random(5 * CHUNK + 512, 7), 0, source, 7 * CHUNK, 5 * CHUNK + 512);
        System.arraycopy(random(CHUNK, 8), 0, source, (int) SIZE - CHUNK, CHUNK);
        Path in = dir.resolve("in.raw");
        Files.write(in, source);
        ExternalTools.run(
                dir, qemuImg.toString(), "convert", "-n", "-f", "raw", "-O", "raw", in.toString(), uri("disk"));
        assertArrayEquals(source, contents());
    }

    @Test
    void nbdcopyCopiesBothWaysOverFourConnections() throws Exception {
        Path nbdcopy = ExternalTools.require("nbdcopy", "libnbd-bin");
        byte[] source = random((int) SIZE, 9);
        Arrays.fill(source, 3 * CHUNK, 9 * CHUNK, (byte) 0); // a zero run the copy may write as zeroes
        Path in = dir.resolve("in.raw");
        Files.write(in, source);
        int before = server.acceptedConnections();
        ExternalTools.run(
                dir, nbdcopy.toString(), "--connections=4", "--threads=4", "--flush", in.toString(), uri("disk"));
        // nbdcopy opens one connection per thread (at most one per CPU unless told) when the server allows multi-conn
        assertTrue(server.acceptedConnections() - before >= 4, "nbdcopy used CAN_MULTI_CONN");
        assertArrayEquals(source, contents());
        put(CHUNK, random(CHUNK, 10));
        Path out = dir.resolve("out.raw");
        before = server.acceptedConnections();
        ExternalTools.run(dir, nbdcopy.toString(), "--connections=4", "--threads=4", uri("disk"), out.toString());
        assertTrue(server.acceptedConnections() - before >= 4, "nbdcopy used CAN_MULTI_CONN");
        assertArrayEquals(expectedAfterCopy(source), Files.readAllBytes(out));
    }

    private byte[] expectedAfterCopy(byte[] source) {
        byte[] expected = source.clone();
        System.arraycopy(model, CHUNK, expected, CHUNK, CHUNK);
        return expected;
    }

    @Test
    void qemuIoWritesAtUnalignedOffsets() throws Exception {
        Path qemuIo = ExternalTools.require("qemu-io", "qemu-utils");
        put(0, random(CHUNK, 11)); // qemu reads around the unaligned edges and must keep these bytes
        ExternalTools.Result r = ExternalTools.run(
                dir,
                qemuIo.toString(),
                "-f",
                "raw",
                uri("disk"),
                "-c",
                "write -P 0x41 1000 3000",
                "-c",
                "write -P 0x42 70001 99",
                "-c",
                "write -z 200000 5000",
                "-c",
                "read -P 0x41 1000 3000",
                "-c",
                "read -P 0x42 70001 99");
        assertTrue(r.output().contains("wrote 3000/3000 bytes at offset 1000"), r.output());
        assertTrue(r.output().contains("read 99/99 bytes at offset 70001"), r.output());
        Arrays.fill(model, 1000, 4000, (byte) 0x41);
        Arrays.fill(model, 70001, 70100, (byte) 0x42);
        Arrays.fill(model, 200000, 205000, (byte) 0);
        assertArrayEquals(model, contents());
    }

    @Test
    void fioRandomWritesAtQueueDepth32() throws Exception {
        Path fio = ExternalTools.require("fio", "fio");
        String engines = ExternalTools.run(dir, fio.toString(), "--enghelp").output();
        if (!engines.contains("nbd")) { // Debian's fio has it; a build without libnbd does not
            ExternalTools.require("fio-with-the-nbd-engine", "fio (built with libnbd)");
        }
        put(0, random(CHUNK, 12));
        ExternalTools.run(
                dir,
                fio.toString(),
                "--name=randwrite",
                "--ioengine=nbd",
                "--uri=" + uri("disk"),
                "--rw=randwrite",
                "--bs=4k",
                "--iodepth=32",
                "--offset=1M",
                "--size=4M",
                "--buffer_pattern=0x5a",
                "--output-format=terse");
        Arrays.fill(model, 1 << 20, 5 << 20, (byte) 0x5a); // a random map visits every block once
        assertArrayEquals(model, contents());
        ExternalTools.run(
                dir,
                fio.toString(),
                "--name=verify",
                "--ioengine=nbd",
                "--uri=" + uri("disk"),
                "--rw=randread",
                "--bs=64k",
                "--iodepth=8",
                "--offset=1M",
                "--size=4M",
                "--verify=pattern",
                "--verify_pattern=0x5a",
                "--verify_only=1",
                "--output-format=terse");
    }

    @Test
    void readOnlyExportRefusesQemuIoWrites() throws Exception {
        Path qemuIo = ExternalTools.require("qemu-io", "qemu-utils");
        ExternalTools.Result r =
                ExternalTools.run(dir, qemuIo.toString(), "-r", "-f", "raw", uri("rom"), "-c", "read -P 0 4096 4096");
        assertTrue(r.output().contains("read 4096/4096"), r.output());
    }
}
