package dev.snapstore.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.snapstore.engine.Activation;
import dev.snapstore.engine.ActivationRequest;
import dev.snapstore.engine.Snapshot;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code snapstore merge} killed with SIGKILL ({@link Process#destroyForcibly()}) at random moments,
 * in a real process on real files: afterwards the COW holds either every exception, and the
 * snapshot still shows its content, or none, and the origin already is that content; merging again
 * always ends with the origin the snapshot showed and an empty table.
 */
class MergeKillTest {

    static final int CHUNK = 4096;
    static final int ORIGIN_CHUNKS = 16384; // 64 MiB
    static final int WRITTEN = 6000;

    @TempDir
    Path dir;

    @Test
    void killedAtRandomMomentsTheMergeRunsAgainToTheSameOrigin() throws Exception {
        Path origin = dir.resolve("origin.img");
        Path cow = dir.resolve("cow.img");
        Random r = new Random(20261129L);
        byte[] data = new byte[ORIGIN_CHUNKS * CHUNK];
        r.nextBytes(data);
        Files.write(origin, data);
        try (RandomAccessFile f = new RandomAccessFile(cow.toFile(), "rw")) {
            f.setLength(40L << 20);
        }
        // Origin writes copy their chunks out first, a window of chunks per commit: quick to build.
        try (Activation a = activate(origin, cow, Activation.Access.ORIGIN_AND_COW)) {
            ByteBuffer block = ByteBuffer.allocate(16 * CHUNK);
            while (a.snapshot().exceptionCount() < WRITTEN) {
                int chunks = 1 + r.nextInt(16);
                long chunk = r.nextInt(ORIGIN_CHUNKS - chunks);
                block.clear().limit(chunks * CHUNK);
                r.nextBytes(block.array());
                a.origin().write(chunk * (CHUNK / 512), block);
            }
        }
        byte[] view = data; // the snapshot shows the origin as it was
        long exceptions = exceptions(origin, cow);
        assertTrue(exceptions >= WRITTEN, "exceptions: " + exceptions);

        // How long a whole merge takes here, on copies, so that the kills fall anywhere in it.
        Path originCopy = Files.copy(origin, dir.resolve("origin-copy.img"));
        Path cowCopy = Files.copy(cow, dir.resolve("cow-copy.img"));
        long t0 = System.nanoTime();
        Process timed = start(originCopy, cowCopy);
        assertTrue(timed.waitFor(120, TimeUnit.SECONDS));
        assertEquals(0, timed.exitValue(), () -> output(timed));
        int millis = (int) Math.max(50, (System.nanoTime() - t0) / 1_000_000);
        assertArrayEquals(view, Files.readAllBytes(originCopy));

        int emptied = 0;
        for (int round = 0; round < 8; round++) {
            Process merge = start(origin, cow);
            Thread.sleep(r.nextInt(millis));
            merge.destroyForcibly();
            assertTrue(merge.waitFor(30, TimeUnit.SECONDS));
            long left = exceptions(origin, cow);
            if (left == 0) {
                emptied++;
                assertArrayEquals(
                        view, Files.readAllBytes(origin), "round " + round + ": an empty table, a merged origin");
                break;
            }
            assertEquals(exceptions, left, "round " + round + ": all or nothing");
            try (Activation a = activate(origin, cow, Activation.Access.READ_ONLY)) {
                assertArrayEquals(view, readAll(a.snapshot()), "round " + round + ": the snapshot's content");
            }
        }
        Process merge = start(origin, cow);
        assertTrue(merge.waitFor(120, TimeUnit.SECONDS));
        assertEquals(0, merge.exitValue(), () -> output(merge));
        assertEquals(0, exceptions(origin, cow));
        assertArrayEquals(view, Files.readAllBytes(origin));
        assertTrue(emptied <= 1);
    }

    static Activation activate(Path origin, Path cow, Activation.Access access) throws Exception {
        return Activation.open(
                ActivationRequest.of(origin, cow, "P").withChunkSize("8").withAccess(access));
    }

    static long exceptions(Path origin, Path cow) throws Exception {
        try (Activation a = activate(origin, cow, Activation.Access.READ_ONLY)) {
            return a.snapshot().exceptionCount();
        }
    }

    static byte[] readAll(Snapshot snap) throws IOException {
        ByteBuffer all = ByteBuffer.allocate((int) (snap.sizeInSectors() << 9));
        snap.read(0, all);
        return all.array();
    }

    /** The CLI in a process of its own, on this test's module path. */
    static Process start(Path origin, Path cow) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = List.of(
                java,
                "--module-path",
                System.getProperty("jdk.module.path"),
                "-m",
                "dev.snapstore.cli/dev.snapstore.cli.Main",
                "merge",
                "--origin",
                origin.toString(),
                "--cow",
                cow.toString());
        return new ProcessBuilder(command).redirectErrorStream(true).start();
    }

    static String output(Process p) {
        try {
            return new String(p.getInputStream().readAllBytes());
        } catch (IOException e) {
            return e.toString();
        }
    }
}
