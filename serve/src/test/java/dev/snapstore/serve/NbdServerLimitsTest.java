package dev.snapstore.serve;

import static dev.snapstore.serve.NbdServerProtocolTest.waitFor;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The handshake timeout and the connection limit, with real unix sockets. */
@Timeout(60)
class NbdServerLimitsTest {
    static final Duration TIMEOUT = Duration.ofMillis(400);

    @TempDir
    Path dir;

    final List<String> log = new CopyOnWriteArrayList<>();
    NbdServer server;

    NbdServer start(NbdServer.Builder b) throws IOException {
        server = b.export(new RecordingExport("disk", 1 << 20))
                .unixSocket(dir.resolve("nbd.sock"))
                .log(log::add)
                .start();
        return server;
    }

    RawClient client() throws IOException {
        return RawClient.connect(dir.resolve("nbd.sock"));
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    long linesContaining(String text) {
        return log.stream().filter(l -> l.contains(text)).count();
    }

    @Test
    void aClientThatSaysNothingIsDroppedAfterTheHandshakeTimeoutWithOneLogLine() throws IOException {
        start(NbdServer.builder().handshakeTimeout(TIMEOUT));
        try (RawClient silent = client()) {
            long t0 = System.nanoTime();
            silent.read(18); // the greeting, then nothing from the client
            assertTrue(silent.closedByServer());
            long waited = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            assertTrue(waited >= TIMEOUT.toMillis() - 50, "dropped after " + waited + " ms");
        }
        waitFor(() -> server.openConnections() == 0);
        assertEquals(1, linesContaining("no handshake within"), log.toString());
        assertEquals(1, log.size(), "one line for the dropped client: " + log);
    }

    @Test
    void aClientStalledMidOptionIsDropped() throws IOException {
        start(NbdServer.builder().handshakeTimeout(TIMEOUT));
        try (RawClient stalled = client()) {
            stalled.hello(3);
            // Half an option header: the server's read waits for the rest.
            stalled.write(ByteBuffer.allocate(8).putLong(RawClient.IHAVEOPT).flip());
            assertTrue(stalled.closedByServer());
        }
        waitFor(() -> linesContaining("no handshake within") == 1);
    }

    @Test
    void anAttachedClientMayIdleLongerThanTheHandshakeTimeout() throws Exception {
        start(NbdServer.builder().handshakeTimeout(TIMEOUT));
        try (RawClient c = client()) {
            c.go("disk", false, false);
            Thread.sleep(3 * TIMEOUT.toMillis());
            byte[] data = NbdServerProtocolTest.filled(4096, 7);
            c.write(1, 8192, data);
            assertEquals(0, c.reply().error());
            assertArrayEquals(data, c.readData(8192, 4096));
        }
        assertEquals(0, linesContaining("no handshake within"), log.toString());
    }

    @Test
    void connectionsBeyondTheLimitAreRefusedWithOneLineEachAndTheOthersKeepWorking() throws Exception {
        start(NbdServer.builder().maxConnections(2));
        try (RawClient attached = client();
                RawClient haggling = client()) {
            attached.go("disk", false, false);
            haggling.read(18); // counted too: it holds a thread
            try (RawClient third = client()) {
                assertThrows(IOException.class, () -> third.read(18), "refused before the greeting");
            }
            waitFor(() -> linesContaining("refusing the connection") == 1);
            assertTrue(log.get(0).contains("2 connections are open already"), log.toString());
            byte[] data = NbdServerProtocolTest.filled(512, 3);
            attached.write(1, 0, data);
            assertEquals(0, attached.reply().error());
        }
        waitFor(() -> server.openConnections() == 0);
        try (RawClient again = client()) {
            again.go("disk", false, false);
        }
    }

    @Test
    void theBuilderRejectsLimitsThatCannotWork() {
        assertThrows(IllegalArgumentException.class, () -> NbdServer.builder().maxConnections(0));
        assertThrows(IllegalArgumentException.class, () -> NbdServer.builder().handshakeTimeout(Duration.ZERO));
        assertThrows(
                IllegalArgumentException.class, () -> NbdServer.builder().handshakeTimeout(Duration.ofSeconds(-1)));
    }
}
