package dev.snapstore.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.snapstore.testkit.ExternalTools;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code snapstore serve} as a real process on the engine, used by the real NBD clients (nbdinfo,
 * nbdcopy, qemu-img, qemu-io, fio), each checked against a byte model with snapshot semantics:
 * origin writes leave a snapshot's view alone, snapshot writes leave the origin alone. Then real
 * signals: SIGTERM exits 0 with clean COWs; SIGKILL under write load leaves COWs that load, with
 * every acknowledged FUA write present.
 */
class ServeClientsTest {

    private static final int SIZE = 8 << 20;

    @TempDir
    Path dir;

    private static byte[] random(long seed, int length) {
        byte[] b = new byte[length];
        new Random(seed).nextBytes(b);
        return b;
    }

    private Path file(String name, byte[] bytes) throws IOException {
        return Files.write(dir.resolve(name), bytes);
    }

    private byte[] readExport(ServeProcess serve, String export) throws Exception {
        Path out = dir.resolve("read-" + export + "-" + System.nanoTime() + ".raw");
        ExternalTools.run(dir, nbdcopy(), "--connections=4", "--threads=4", serve.uri(export), out.toString());
        byte[] bytes = Files.readAllBytes(out);
        Files.delete(out);
        return bytes;
    }

    private static String nbdcopy() {
        return ExternalTools.require("nbdcopy", "libnbd-bin").toString();
    }

    @Test
    void realClientsSeeSnapshotSemanticsAndTheCowsStayCleanAcrossARestart() throws Exception {
        String nbdinfo = ExternalTools.require("nbdinfo", "libnbd-bin").toString();
        String qemuImg = ExternalTools.require("qemu-img", "qemu-utils").toString();
        String qemuIo = ExternalTools.require("qemu-io", "qemu-utils").toString();
        String fio = ExternalTools.require("fio", "fio").toString();
        byte[] origin0 = random(1, SIZE);
        Path origin = file("origin.img", origin0);
        Path cowA = file("a.cow", new byte[12 << 20]);
        Path cowB = file("b.cow", new byte[12 << 20]);
        Path socket = dir.resolve("nbd.sock");
        String[] args = {"--origin", origin.toString(), "--cow", "a=" + cowA, "--cow", "b=" + cowB, "--chunk-size", "8"
        };

        byte[] originModel;
        byte[] aModel = origin0.clone();
        byte[] bModel = origin0.clone();
        try (ServeProcess serve = ServeProcess.start(dir, socket, args)) {
            String list = ExternalTools.run(dir, nbdinfo, "--list", "nbd+unix:///?socket=" + socket)
                    .output();
            for (String export : List.of("origin", "a", "b")) {
                assertTrue(list.contains("export=\"" + export + "\""), list);
            }
            assertTrue(list.contains("block_size_preferred: 4096"), list);

            // qemu-img writes the whole origin: every chunk is copied out to both snapshots first.
            originModel = random(2, SIZE);
            Path newOrigin = file("new-origin.raw", originModel);
            ExternalTools.run(
                    dir, qemuImg, "convert", "-n", "-f", "raw", "-O", "raw", newOrigin.toString(), serve.uri("origin"));

            // nbdcopy with four connections into snapshot a, half of it zeroes (sent as zero-writes).
            aModel = random(3, SIZE);
            Arrays.fill(aModel, SIZE / 2, SIZE / 2 + (1 << 20), (byte) 0);
            Path newA = file("new-a.raw", aModel);
            ExternalTools.run(
                    dir, nbdcopy(), "--connections=4", "--threads=4", "--flush", newA.toString(), serve.uri("a"));

            // qemu-io at unaligned offsets into snapshot b: qemu reads, modifies and writes around them.
            ExternalTools.run(
                    dir,
                    qemuIo,
                    "-f",
                    "raw",
                    "-c",
                    "write -P 0x5a 1000 3000",
                    "-c",
                    "write -f -P 0x33 70001 99",
                    "-c",
                    "write -z 200000 5000",
                    serve.uri("b"));
            Arrays.fill(bModel, 1000, 4000, (byte) 0x5a);
            Arrays.fill(bModel, 70001, 70100, (byte) 0x33);
            Arrays.fill(bModel, 200000, 205000, (byte) 0);

            // fio's nbd engine: random 4 KiB writes at queue depth 32 on b, verified by fio itself.
            ExternalTools.run(
                    dir,
                    fio,
                    "--name=randwrite",
                    "--ioengine=nbd",
                    "--uri=" + serve.uri("b"),
                    "--rw=randwrite",
                    "--bs=4k",
                    "--iodepth=32",
                    "--offset=1M",
                    "--size=2M",
                    "--verify=crc32c",
                    "--do_verify=1",
                    "--randrepeat=1");

            assertArrayEquals(originModel, readExport(serve, "origin"));
            assertArrayEquals(aModel, readExport(serve, "a"));
            byte[] b = readExport(serve, "b");
            // fio's bytes are fio's to check; everything else of b is the model.
            System.arraycopy(b, 1 << 20, bModel, 1 << 20, 2 << 20);
            assertArrayEquals(bModel, b);
            Path fromQemu = dir.resolve("from-qemu.raw");
            ExternalTools.run(dir, qemuImg, "convert", "-f", "raw", "-O", "raw", serve.uri("a"), fromQemu.toString());
            assertArrayEquals(aModel, Files.readAllBytes(fromQemu));

            String map =
                    ExternalTools.run(dir, nbdinfo, "--map", serve.uri("a")).output();
            assertFalse(map.contains("zero"), "never a wrong zero: " + map);

            long start = System.nanoTime();
            assertEquals(0, serve.terminate(20), serve::log);
            assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(10), "stopped within seconds");
            assertFalse(Files.exists(socket), "the socket is removed");
        }
        for (Path cow : List.of(cowA, cowB)) {
            CliRun check = CliRun.of("check", "--cow", cow.toString());
            assertEquals(ExitStatus.OK, check.status(), check.out() + check.err());
        }
        assertArrayEquals(originModel, Files.readAllBytes(origin));

        // Served again, the COWs are loaded from their headers, with the same content.
        try (ServeProcess serve = ServeProcess.start(dir, socket, args)) {
            assertArrayEquals(originModel, readExport(serve, "origin"));
            assertArrayEquals(aModel, readExport(serve, "a"));
            assertArrayEquals(bModel, readExport(serve, "b"));
            assertEquals(0, serve.terminate(20), serve::log);
        }
    }

    @Test
    void readOnlyExportsRefuseWrites() throws Exception {
        String qemuIo = ExternalTools.require("qemu-io", "qemu-utils").toString();
        String nbdinfo = ExternalTools.require("nbdinfo", "libnbd-bin").toString();
        byte[] origin0 = random(4, 1 << 20);
        Path origin = file("origin.img", origin0);
        Path cow = file("s.cow", new byte[2 << 20]);
        Path socket = dir.resolve("ro.sock");
        try (ServeProcess serve = ServeProcess.start(
                dir,
                socket,
                "--origin",
                origin.toString(),
                "--cow",
                "s=" + cow,
                "--chunk-size",
                "16",
                "--read-only",
                "origin",
                "s")) {
            String info = ExternalTools.run(dir, nbdinfo, serve.uri("s")).output();
            assertTrue(info.contains("is_read_only: true"), info);
            Process p = new ProcessBuilder(qemuIo, "-f", "raw", "-c", "write 0 512", serve.uri("origin"))
                    .redirectErrorStream(true)
                    .start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            p.waitFor();
            assertTrue(!out.contains("wrote 512/512"), out);
            assertArrayEquals(origin0, readExport(serve, "s"));
            assertEquals(0, serve.terminate(20), serve::log);
        }
        assertArrayEquals(origin0, Files.readAllBytes(origin));
        assertArrayEquals(new byte[2 << 20], Files.readAllBytes(cow), "all read-only: nothing written");
    }

    private static final Pattern WROTE = Pattern.compile("wrote (\\d+)/\\d+ bytes at offset (\\d+)");

    /** One qemu-io write: bytes of one pattern at an unaligned offset. */
    private record Write(long offset, int length, int pattern) {}

    @Test
    void killNineUnderWriteLoadKeepsEveryAcknowledgedFuaWrite() throws Exception {
        String qemuIo = ExternalTools.require("qemu-io", "qemu-utils").toString();
        int size = 4 << 20;
        byte[] origin0 = random(5, size);
        Path origin = file("origin.img", origin0);
        Path cow = file("k.cow", new byte[8 << 20]);
        Path load = file("load.raw", random(6, size));
        Path socket = dir.resolve("kill.sock");
        Random random = new Random(7);
        byte[] model = origin0.clone();
        String[] args = {"--origin", origin.toString(), "--cow", "k=" + cow, "--chunk-size", "8"};
        for (int round = 0; round < 3; round++) {
            List<Write> writes = new ArrayList<>();
            List<String> command = new ArrayList<>(List.of(qemuIo, "-f", "raw"));
            for (int i = 0; i < 400; i++) {
                Write w = new Write(random.nextInt(size - 70000), 1 + random.nextInt(65536), 1 + random.nextInt(254));
                writes.add(w);
                command.add("-c");
                command.add("write -f -P " + w.pattern() + " " + w.offset() + " " + w.length());
            }
            int acknowledged = 0;
            try (ServeProcess serve = ServeProcess.start(dir, socket, args)) {
                command.add(serve.uri("k"));
                // Load on the origin: every chunk it changes is copied out to the snapshot first.
                Process loader = new ProcessBuilder(
                                nbdcopy(), "--connections=2", "--flush", load.toString(), serve.uri("origin"))
                        .redirectErrorStream(true)
                        .redirectOutput(dir.resolve("loader.log").toFile())
                        .start();
                Process writer =
                        new ProcessBuilder(command).redirectErrorStream(true).start();
                int killAfter = 5 + random.nextInt(60);
                try (BufferedReader out =
                        new BufferedReader(new InputStreamReader(writer.getInputStream(), StandardCharsets.UTF_8))) {
                    String line;
                    while ((line = out.readLine()) != null) {
                        Matcher m = WROTE.matcher(line);
                        if (!m.find()) {
                            continue;
                        }
                        Write w = writes.get(acknowledged);
                        assertEquals(w.offset(), Long.parseLong(m.group(2)), line);
                        acknowledged++;
                        if (acknowledged == killAfter) {
                            serve.kill();
                            break;
                        }
                    }
                }
                writer.destroyForcibly();
                writer.waitFor();
                loader.destroyForcibly();
                loader.waitFor();
                assertTrue(acknowledged > 0, "qemu-io wrote nothing before the kill: " + serve.log());
            }
            Files.deleteIfExists(socket);
            for (int i = 0; i < acknowledged; i++) {
                Write w = writes.get(i);
                Arrays.fill(model, (int) w.offset(), (int) w.offset() + w.length(), (byte) w.pattern());
            }
            CliRun check = CliRun.of("check", "--cow", cow.toString());
            assertEquals(ExitStatus.OK, check.status(), "round " + round + ": " + check.out() + check.err());
            CliRun status = CliRun.of("status", "--origin", origin.toString(), "--cow", cow.toString(), "--type", "P");
            assertEquals(ExitStatus.OK, status.status(), status.err());
            assertFalse(status.out().contains("Invalid"), status.out());
            byte[] seen = snapshotBytes(origin, cow, args);
            // qemu-io's output is buffered, so writes after the last line seen may have been
            // acknowledged too: the image must be the model after some k >= acknowledged writes, with
            // write k (in flight at the kill) present, absent or partly there.
            boolean matched = false;
            for (int k = acknowledged; k <= writes.size() && !matched; k++) {
                byte[] candidate = model.clone();
                if (k < writes.size()) {
                    Write inFlight = writes.get(k);
                    // Rounded out to sectors: qemu writes whole blocks around an unaligned request.
                    int from = (int) inFlight.offset() & ~511;
                    int to = Math.min(size, ((int) inFlight.offset() + inFlight.length() + 511) & ~511);
                    System.arraycopy(seen, from, candidate, from, to - from);
                }
                matched = Arrays.equals(candidate, seen);
                if (!matched && k < writes.size()) {
                    Write w = writes.get(k);
                    Arrays.fill(model, (int) w.offset(), (int) w.offset() + w.length(), (byte) w.pattern());
                }
            }
            assertTrue(
                    matched, "round " + round + ": the image is not the acknowledged writes plus a prefix of the rest");
            model = seen;
        }
    }

    /** The snapshot's bytes through a fresh server: the COW must load. */
    private byte[] snapshotBytes(Path origin, Path cow, String[] args) throws Exception {
        Path socket = dir.resolve("verify.sock");
        try (ServeProcess serve = ServeProcess.start(dir, socket, args)) {
            byte[] bytes = readExport(serve, "k");
            assertEquals(0, serve.terminate(20), serve::log);
            return bytes;
        }
    }
}
