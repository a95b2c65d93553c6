package dev.snapstore.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --handshake-timeout} and {@code --max-connections} reach the server of a real {@code snapstore
 * serve}: a silent client is dropped, a surplus one refused, each with one line on stderr.
 */
@Timeout(120)
class ServeLimitsTest {

    @TempDir
    Path dir;

    /** Bytes until the server closes the connection (end of stream or a reset). */
    private static int readUntilClosed(SocketChannel ch) {
        ByteBuffer b = ByteBuffer.allocate(4096);
        int total = 0;
        try {
            int n;
            while ((n = ch.read(b.clear())) >= 0) {
                total += n;
            }
        } catch (IOException e) {
            // reset: closed too
        }
        return total;
    }

    private static SocketChannel connect(Path socket) throws IOException {
        SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
        ch.connect(UnixDomainSocketAddress.of(socket));
        return ch;
    }

    private static void waitForLog(ServeProcess serve, String text) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!serve.log().contains(text)) {
            assertTrue(System.nanoTime() < deadline, () -> "no '" + text + "' in the log:\n" + serve.log());
            Thread.sleep(20);
        }
    }

    @Test
    void aSilentClientIsDroppedAndASurplusOneRefused() throws Exception {
        Path origin = Files.write(dir.resolve("o.img"), new byte[1 << 20]);
        Path cow = Files.write(dir.resolve("c.cow"), new byte[1 << 20]);
        Path socket = dir.resolve("nbd.sock");
        try (ServeProcess serve = ServeProcess.start(
                dir,
                socket,
                "--origin",
                origin.toString(),
                "--cow",
                "s=" + cow,
                "--chunk-size",
                "8",
                "--handshake-timeout",
                "1",
                "--max-connections",
                "1")) {
            try (SocketChannel silent = connect(socket)) {
                long t0 = System.nanoTime();
                assertEquals(18, readUntilClosed(silent), "the greeting, then the server hangs up");
                long waited = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
                assertTrue(waited >= 900, "dropped after " + waited + " ms");
            }
            waitForLog(serve, "no handshake within PT1S");
            try (SocketChannel first = connect(socket)) {
                ByteBuffer greeting = ByteBuffer.allocate(18);
                while (greeting.hasRemaining() && first.read(greeting) >= 0) {}
                assertEquals(0, greeting.remaining(), "the first client is greeted");
                try (SocketChannel second = connect(socket)) {
                    assertEquals(0, readUntilClosed(second), "refused before the greeting");
                }
                waitForLog(serve, "1 connections are open already");
            }
            assertEquals(0, serve.terminate(20), serve::log);
            for (String once : new String[] {"no handshake within", "refusing the connection"}) {
                assertEquals(
                        1, serve.log().lines().filter(l -> l.contains(once)).count(), serve::log);
            }
        }
    }
}
