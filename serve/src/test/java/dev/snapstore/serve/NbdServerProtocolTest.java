package dev.snapstore.serve;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.snapstore.serve.RawClient.OptionReply;
import dev.snapstore.serve.RawClient.Reply;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The protocol as a hand-written client sees it, including clients that break it. */
@Timeout(60)
class NbdServerProtocolTest {
    static final int EPERM = 1;
    static final int EIO = 5;
    static final int EINVAL = 22;
    static final int ENOSPC = 28;
    static final int ESHUTDOWN = 108;
    static final long SIZE = 1 << 20;

    @TempDir
    Path dir;

    final List<String> log = new CopyOnWriteArrayList<>();
    NbdServer server;
    RecordingExport disk;
    MemoryExport rom;

    Path socket() {
        return dir.resolve("nbd.sock");
    }

    NbdServer start(NbdServer.Builder b) throws IOException {
        server = b.unixSocket(socket()).log(log::add).start();
        return server;
    }

    NbdServer start() throws IOException {
        disk = new RecordingExport("disk", SIZE);
        MemoryExport backing = new MemoryExport("rom", 64 * 1024, 512, 4096);
        rom = backing.readOnlyView();
        return start(NbdServer.builder()
                .export(disk)
                .export(rom)
                .maxPayload(256 * 1024)
                .maxInFlightBytes(1 << 20));
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    RawClient client() throws IOException {
        return RawClient.connect(socket());
    }

    RawClient goSimple(String name) throws IOException {
        RawClient c = client();
        c.go(name, false, false);
        return c;
    }

    // ------------------------------------------------------------------ handshake

    @Test
    void greetingOffersFixedNewstyleAndNoZeroes() throws IOException {
        start();
        try (RawClient c = client()) {
            assertEquals(3, c.hello(3));
        }
    }

    @Test
    void listNamesEveryExportThenAcks() throws IOException {
        start();
        try (RawClient c = client()) {
            c.hello(1);
            c.option(3, new byte[0]);
            Set<String> names = new HashSet<>();
            OptionReply r;
            while ((r = c.optionReply()).type() == 2) {
                ByteBuffer d = r.data();
                byte[] name = new byte[d.getInt()];
                d.get(name);
                names.add(new String(name, StandardCharsets.UTF_8));
            }
            assertEquals(1, r.type());
            assertEquals(Set.of("disk", "rom"), names);
            c.option(3, new byte[] {1});
            assertEquals(0x80000003, c.optionReply().type(), "LIST with data is invalid");
        }
    }

    @Test
    void infoDescribesSizeFlagsBlockSizesNameAndDescription() throws IOException {
        start();
        try (RawClient c = client()) {
            c.hello(1);
            c.option(6, RawClient.infoData("disk", 1, 2, 3));
            int seen = 0;
            OptionReply r;
            while ((r = c.optionReply()).type() == 3) {
                ByteBuffer d = r.data();
                int type = d.getShort();
                if (type == 0) {
                    assertEquals(12, r.data().limit());
                    assertEquals(SIZE, d.getLong());
                    int flags = d.getShort() & 0xffff;
                    // HAS_FLAGS, SEND_FLUSH, SEND_FUA, SEND_TRIM, SEND_WRITE_ZEROES, CAN_MULTI_CONN; not read-only
                    assertEquals(1 | 4 | 8 | 32 | 64 | 256, flags);
                } else if (type == 3) {
                    assertEquals(512, d.getInt());
                    assertEquals(4096, d.getInt());
                    assertEquals(256 * 1024, d.getInt());
                } else if (type == 1) {
                    assertEquals("disk", StandardCharsets.UTF_8.decode(d).toString());
                } else if (type == 2) {
                    assertEquals(
                            "recording disk", StandardCharsets.UTF_8.decode(d).toString());
                }
                seen |= 1 << type;
            }
            assertEquals(1, r.type());
            assertEquals(0b1111, seen);
            // INFO does not end the haggling
            c.option(6, RawClient.infoData("rom"));
            int flags = -1;
            while ((r = c.optionReply()).type() == 3) {
                if (r.data().getShort(0) == 0) {
                    flags = r.data().getShort(10) & 0xffff;
                }
            }
            assertEquals(1 | 2 | 4 | 256, flags, "read-only: HAS_FLAGS, READ_ONLY, SEND_FLUSH, CAN_MULTI_CONN");
        }
    }

    @Test
    void unknownExportIsErrUnknownAndTheHagglingGoesOn() throws IOException {
        start();
        try (RawClient c = client()) {
            c.hello(1);
            c.option(7, RawClient.infoData("nope"));
            OptionReply r = c.optionReply();
            assertEquals(0x80000006, r.type());
            assertTrue(r.text().contains("nope"));
            c.option(7, RawClient.infoData("disk", 3));
            while ((r = c.optionReply()).type() == 3) {
                // info
            }
            assertEquals(1, r.type());
            assertArrayEquals(new byte[512], c.readData(0, 512));
        }
    }

    @Test
    void unknownOptionsAreUnsupportedAndTheNextOptionStillParses() throws IOException {
        start();
        try (RawClient c = client()) {
            c.hello(1);
            for (int option : new int[] {4, 5, 11, 99, 0x7fffffff}) {
                c.option(option, new byte[] {1, 2, 3});
                OptionReply r = c.optionReply();
                assertEquals(option, r.option());
                assertEquals(0x80000001, r.type());
            }
            c.option(8, new byte[0]);
            assertEquals(1, c.optionReply().type());
        }
    }

    @Test
    void badOptionDataIsInvalid() throws IOException {
        start();
        try (RawClient c = client()) {
            c.hello(1);
            c.option(8, new byte[] {0});
            assertEquals(0x80000003, c.optionReply().type(), "STRUCTURED_REPLY with data");
            c.option(10, RawClient.metaData("disk", "base:allocation"));
            assertEquals(0x80000003, c.optionReply().type(), "SET_META_CONTEXT before STRUCTURED_REPLY");
            c.option(7, new byte[] {0, 0, 0, 9, 'd'});
            assertEquals(0x80000003, c.optionReply().type(), "a name longer than the option");
            byte[] go = RawClient.infoData("disk", 3);
            c.option(7, Arrays.copyOf(go, go.length + 1));
            assertEquals(0x80000003, c.optionReply().type(), "trailing byte after the requests");
            c.option(8, new byte[0]);
            assertEquals(1, c.optionReply().type());
            c.option(8, new byte[0]);
            assertEquals(0x80000003, c.optionReply().type(), "STRUCTURED_REPLY twice");
        }
    }

    @Test
    void metaContextsOfferOnlyBaseAllocation() throws IOException {
        start();
        try (RawClient c = client()) {
            c.hello(1);
            c.option(8, new byte[0]);
            assertEquals(1, c.optionReply().type());
            for (String[] queries : new String[][] {{}, {"base:"}, {"base:allocation", "x-other:thing"}}) {
                c.option(9, RawClient.metaData("disk", queries));
                OptionReply r = c.optionReply();
                assertEquals(4, r.type(), Arrays.toString(queries));
                assertEquals(
                        "base:allocation",
                        new String(r.data().array(), 4, r.data().limit() - 4, StandardCharsets.UTF_8));
                assertEquals(1, c.optionReply().type());
            }
            c.option(9, RawClient.metaData("disk", "qemu:dirty-bitmap:x"));
            assertEquals(1, c.optionReply().type(), "nothing matches: just the ACK");
            c.option(10, RawClient.metaData("disk", "base:", "x-foo:bar"));
            assertEquals(1, c.optionReply().type(), "SET with only a wildcard selects nothing");
            c.option(10, RawClient.metaData("nope", "base:allocation"));
            assertEquals(0x80000006, c.optionReply().type());
            c.option(10, RawClient.metaData("disk", "base:allocation", "base:allocation"));
            OptionReply r = c.optionReply();
            assertEquals(4, r.type());
            assertEquals(1, r.data().getInt(0), "context id");
            assertEquals(1, c.optionReply().type());
        }
    }

    @Test
    void exportNameSendsTheOldReplyWithOrWithoutZeroes() throws IOException {
        start();
        for (int clientFlags : new int[] {1, 3}) {
            try (RawClient c = client()) {
                c.hello(clientFlags);
                c.option(1, "disk".getBytes(StandardCharsets.UTF_8));
                ByteBuffer b = c.read(clientFlags == 3 ? 10 : 134);
                assertEquals(SIZE, b.getLong());
                assertEquals(1 | 4 | 8 | 32 | 64 | 256, b.getShort() & 0xffff);
                while (b.hasRemaining()) {
                    assertEquals(0, b.get());
                }
                assertArrayEquals(new byte[1024], c.readData(4096, 1024));
            }
        }
    }

    @Test
    void exportNameOfAnUnknownExportHangsUp() throws IOException {
        start();
        try (RawClient c = client()) {
            c.hello(1);
            c.option(1, "nope".getBytes(StandardCharsets.UTF_8));
            assertTrue(c.closedByServer());
        }
    }

    @Test
    void abortIsAcknowledgedThenClosed() throws IOException {
        start();
        try (RawClient c = client()) {
            c.hello(1);
            c.option(2, new byte[0]);
            assertEquals(1, c.optionReply().type());
            assertTrue(c.closedByServer());
        }
        assertTrue(log.isEmpty(), log.toString());
    }

    @Test
    void unknownClientFlagsOrBadMagicOrHugeOptionsDropOnlyThatConnection() throws IOException {
        start();
        try (RawClient good = goSimple("disk")) {
            try (RawClient c = client()) {
                c.hello(4);
                assertTrue(c.closedByServer());
            }
            try (RawClient c = client()) {
                c.hello(1);
                c.write(ByteBuffer.wrap("GET / HTTP/1.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII)));
                assertTrue(c.closedByServer());
            }
            try (RawClient c = client()) {
                c.hello(1);
                c.write(ByteBuffer.allocate(16)
                        .putLong(RawClient.IHAVEOPT)
                        .putInt(7)
                        .putInt(1 << 30)
                        .flip());
                assertTrue(c.closedByServer());
            }
            good.write(1, 0, filled(512, 7));
            assertEquals(0, good.reply().error());
            assertArrayEquals(filled(512, 7), good.readData(0, 512));
        }
        assertEquals(3, log.size(), log.toString());
        assertTrue(log.get(0).contains("client flags"), log.get(0));
        assertTrue(log.get(1).contains("magic"), log.get(1));
        assertTrue(log.get(2).contains("option 7 with 1073741824 bytes"), log.get(2));
    }

    // ------------------------------------------------------------------ transmission

    @Test
    void writesAndReadsRoundTripWithSimpleReplies() throws IOException {
        start();
        try (RawClient c = goSimple("disk")) {
            byte[] data = filled(8192, 3);
            c.write(5, 4096, data);
            Reply r = c.reply();
            assertTrue(r.simple());
            assertEquals(5, r.cookie());
            assertEquals(0, r.error());
            assertArrayEquals(data, c.readData(4096, 8192));
            assertArrayEquals(data, bytes(disk.memory, 4096, 8192));
        }
    }

    @Test
    void requestsPastTheEndUnalignedOrOversizedGetTheirErrors() throws IOException {
        start();
        try (RawClient c = goSimple("disk")) {
            c.read(1, SIZE - 512, 1024);
            assertEquals(EINVAL, c.reply().error(), "read past the end");
            c.read(2, -512L, 512);
            assertEquals(EINVAL, c.reply().error(), "read at an offset above 2^63");
            c.write(3, SIZE - 512, new byte[1024]);
            assertEquals(ENOSPC, c.reply().error(), "write past the end");
            c.request(0, 6, 4, SIZE, 512, null);
            assertEquals(ENOSPC, c.reply().error(), "write zeroes past the end");
            c.request(0, 4, 5, SIZE, 512, null);
            assertEquals(EINVAL, c.reply().error(), "trim past the end");
            c.write(6, 100, new byte[512]);
            assertEquals(EINVAL, c.reply().error(), "unaligned write");
            c.read(7, 0, 100);
            assertEquals(EINVAL, c.reply().error(), "unaligned read");
            c.read(8, 0, 512 * 1024);
            assertEquals(EINVAL, c.reply().error(), "read above the max payload");
            c.write(9, 0, filled(512 * 1024, 9));
            assertEquals(EINVAL, c.reply().error(), "write above the max payload");
            c.request(0, 42, 10, 0, 0, null);
            assertEquals(EINVAL, c.reply().error(), "unknown command");
            c.request(1 << 3, 0, 11, 0, 512, null);
            assertEquals(EINVAL, c.reply().error(), "REQ_ONE on a read");
            c.request(0, 7, 12, 0, 512, null);
            assertEquals(EINVAL, c.reply().error(), "block status without a metadata context");
            // the stream is still in step, and nothing was written
            assertArrayEquals(new byte[4096], c.readData(0, 4096));
        }
        assertArrayEquals(new byte[(int) SIZE], bytes(disk.memory, 0, (int) SIZE));
    }

    @Test
    void readOnlyExportRefusesWritesWithEperm() throws IOException {
        start();
        try (RawClient c = goSimple("rom")) {
            c.write(1, 0, new byte[512]);
            assertEquals(EPERM, c.reply().error());
            c.request(0, 6, 2, 0, 512, null);
            assertEquals(EPERM, c.reply().error());
            c.request(0, 4, 3, 0, 512, null);
            assertEquals(EPERM, c.reply().error());
            c.request(0, 3, 4, 0, 0, null);
            assertEquals(0, c.reply().error(), "flush is harmless");
        }
    }

    @Test
    void flushAndFuaReachTheExport() throws IOException {
        start();
        try (RawClient c = goSimple("disk")) {
            c.request(1, 1, 1, 0, 512, new byte[512]);
            assertEquals(0, c.reply().error());
            c.request(0, 3, 2, 0, 0, null);
            assertEquals(0, c.reply().error());
            assertEquals(1, disk.fuaWrites.get());
            assertEquals(1, disk.flushes.get());
        }
    }

    @Test
    void writeZeroesAndTrimZeroTheRange() throws IOException {
        start();
        try (RawClient c = goSimple("disk")) {
            c.write(1, 0, filled(16384, 1));
            assertEquals(0, c.reply().error());
            c.request(2, 6, 2, 512, 1024, null); // NO_HOLE
            assertEquals(0, c.reply().error());
            c.request(0, 4, 3, 4096, 8192, null);
            assertEquals(0, c.reply().error());
            byte[] expected = filled(16384, 1);
            Arrays.fill(expected, 512, 1536, (byte) 0);
            Arrays.fill(expected, 4096, 12288, (byte) 0);
            assertArrayEquals(expected, c.readData(0, 16384));
        }
    }

    @Test
    void structuredRepliesCarryDataErrorsWithMessagesAndBlockStatus() throws IOException {
        start();
        try (RawClient c = client()) {
            int flags = c.go("disk", true, true);
            assertEquals(128, flags & 128, "SEND_DF once structured replies are on");
            c.write(1, 8192, filled(4096, 5));
            assertEquals(0, c.reply().error());
            assertArrayEquals(filled(4096, 5), c.readData(8192, 4096));
            c.read(2, SIZE, 512);
            Reply r = c.reply();
            assertFalse(r.simple(), "errors to a READ are structured");
            assertEquals(0x8001, r.type());
            assertEquals(1, r.flags());
            assertEquals(EINVAL, r.error());
            assertTrue(r.message().contains("past the end"), r.message());
            c.read(3, 0, 0);
            r = c.reply();
            assertEquals(0, r.type(), "a zero-length read is one NONE chunk");
            assertEquals(1, r.flags());

            c.request(0, 7, 4, 0, (int) SIZE, null);
            r = c.reply();
            assertEquals(5, r.type());
            assertEquals(1, r.flags());
            ByteBuffer d = r.data();
            assertEquals(1, d.getInt(), "context id");
            assertEquals(8192, d.getInt());
            assertEquals(3, d.getInt(), "hole, zero");
            assertEquals(4096, d.getInt());
            assertEquals(0, d.getInt(), "data");
            assertEquals(SIZE - 12288, d.getInt());
            assertEquals(3, d.getInt());
            assertFalse(d.hasRemaining());

            c.request(1 << 3, 7, 5, 4096, 1000, null);
            d = c.reply().data();
            assertEquals(1, d.getInt());
            assertEquals(1000, d.getInt(), "REQ_ONE: one extent within the request");
            assertEquals(3, d.getInt());
            assertFalse(d.hasRemaining());
        }
    }

    @Test
    void exportErrorsMapToTheProtocolsErrnos() throws IOException {
        start();
        disk.failure = o -> o == 0
                ? new NbdException(28, "store full")
                : o == 512 ? new NbdException(122, "quota") : o == 1024 ? new NbdException(6, "ENXIO") : null;
        disk.runtimeFailure = o -> o == 1536 ? new IllegalStateException("bug") : null;
        try (RawClient c = goSimple("disk")) {
            int[] expected = {ENOSPC, ENOSPC, EIO, EIO};
            for (int i = 0; i < 4; i++) {
                c.write(i, 512L * i, new byte[512]);
                assertEquals(expected[i], c.reply().error(), "offset " + 512 * i);
            }
        }
        assertEquals(1, log.size(), log.toString());
        assertTrue(log.get(0).contains("bug"));
    }

    @Test
    void manyRequestsInFlightAreAllAnsweredOnce() throws IOException {
        start();
        try (RawClient c = goSimple("disk")) {
            int n = 400;
            ByteBuffer batch = ByteBuffer.allocate(n * (28 + 512));
            for (int i = 0; i < n; i++) {
                batch.putInt(0x25609513)
                        .putShort((short) 0)
                        .putShort((short) 1)
                        .putLong(1000 + i)
                        .putLong(512L * i)
                        .putInt(512)
                        .put(filled(512, i));
            }
            c.write(batch.flip());
            Set<Long> cookies = new HashSet<>();
            for (int i = 0; i < n; i++) {
                Reply r = c.reply();
                assertEquals(0, r.error());
                assertTrue(cookies.add(r.cookie()), "answered twice: " + r.cookie());
            }
            assertEquals(n, cookies.size());
            for (int i = 0; i < n; i++) {
                c.read(5000 + i, 512L * i, 512);
            }
            for (int i = 0; i < n; i++) {
                Reply r = c.reply();
                assertArrayEquals(
                        filled(512, (int) (r.cookie() - 5000)), r.data().array());
            }
        }
    }

    @Test
    void repliesGoOutOfOrderWhenAnEarlierRequestIsSlow() throws Exception {
        start();
        disk.gateOffset = 0;
        try (RawClient c = goSimple("disk")) {
            c.read(1, 0, 512);
            assertTrue(disk.entered.await(10, TimeUnit.SECONDS));
            c.read(2, 4096, 512);
            c.write(3, 8192, filled(512, 3));
            Set<Long> first = Set.of(c.reply().cookie(), c.reply().cookie());
            assertEquals(Set.of(2L, 3L), first);
            disk.release.countDown();
            assertEquals(1, c.reply().cookie());
        }
    }

    @Test
    void byDefaultAQueueDepthOf32ReachesTheExportAtOnce() throws Exception {
        // A store batches the commits of the writes it sees at once (dm-snap's pending count), and
        // each write blocks on its commit: a pool smaller than the client's queue depth serialises them.
        start();
        CountDownLatch all = new CountDownLatch(32);
        disk.together = all;
        try (RawClient c = goSimple("disk")) {
            for (int i = 0; i < 32; i++) {
                c.write(i, i * 4096L, filled(512, i));
            }
            assertTrue(all.await(10, TimeUnit.SECONDS), "writes in the export at once: " + (32 - all.getCount()));
            Set<Long> answered = new HashSet<>();
            for (int i = 0; i < 32; i++) {
                Reply r = c.reply();
                assertEquals(0, r.error());
                answered.add(r.cookie());
            }
            assertEquals(32, answered.size());
            for (int i = 0; i < 32; i++) {
                assertArrayEquals(filled(512, i), c.readData(i * 4096L, 512));
            }
        }
    }

    @Test
    void aClientThatDisconnectsMidRequestWritesNothingAndOthersGoOn() throws IOException {
        start();
        try (RawClient other = goSimple("disk")) {
            try (RawClient c = goSimple("disk")) {
                ByteBuffer partial = ByteBuffer.allocate(28 + 100);
                partial.putInt(0x25609513)
                        .putShort((short) 0)
                        .putShort((short) 1)
                        .putLong(1)
                        .putLong(0)
                        .putInt(512);
                partial.put(filled(100, 1));
                c.write(partial.flip());
            }
            waitFor(() -> log.size() == 1);
            assertTrue(log.get(0).contains("in the middle of a WRITE"), log.get(0));
            assertArrayEquals(new byte[512], other.readData(0, 512));
        }
    }

    @Test
    void garbageInTransmissionDropsThatConnectionOnly() throws IOException {
        start();
        try (RawClient other = goSimple("disk")) {
            try (RawClient c = goSimple("disk")) {
                c.write(ByteBuffer.wrap(filled(28, 0x55)));
                assertTrue(c.closedByServer());
            }
            assertEquals(1, log.size(), log.toString());
            assertTrue(log.get(0).contains("bad request magic"), log.get(0));
            other.write(1, 0, filled(512, 2));
            assertEquals(0, other.reply().error());
        }
    }

    @Test
    void aClientThatStopsReadingDoesNotStallOthers() throws IOException {
        start();
        try (RawClient hog = goSimple("disk");
                RawClient other = goSimple("disk")) {
            // far more reply data than socket buffers hold: the hog's writer blocks, its budget runs out
            ByteBuffer reads = ByteBuffer.allocate(200 * 28);
            for (int i = 0; i < 200; i++) {
                reads.putInt(0x25609513)
                        .putShort((short) 0)
                        .putShort((short) 0)
                        .putLong(i)
                        .putLong(0)
                        .putInt(256 * 1024);
            }
            hog.write(reads.flip());
            for (int i = 0; i < 50; i++) {
                other.write(i, 0, filled(512, i));
                assertEquals(0, other.reply().error());
            }
        }
    }

    @Test
    void disconnectEndsTheConnectionAfterOutstandingRequests() throws IOException {
        start();
        try (RawClient c = goSimple("disk")) {
            c.write(1, 0, filled(512, 1));
            c.request(0, 2, 2, 0, 0, null);
            assertEquals(1, c.reply().cookie());
            assertTrue(c.closedByServer());
        }
        assertTrue(log.isEmpty(), log.toString());
    }

    // ------------------------------------------------------------------ lifecycle

    @Test
    void stopDrainsInFlightRequestsThenFlushesAndClosesTheExports() throws Exception {
        start();
        disk.gateOffset = 4096;
        try (RawClient c = goSimple("disk")) {
            c.write(1, 4096, filled(512, 1));
            assertTrue(disk.entered.await(10, TimeUnit.SECONDS));
            server.stop();
            assertEquals(NbdServer.State.STOPPING, server.state());
            assertFalse(server.awaitStopped(200, TimeUnit.MILLISECONDS), "waits for the request in flight");
            assertThrows(IOException.class, () -> RawClient.connect(socket()).hello(1), "no longer accepting");
            disk.release.countDown();
            Reply r = c.reply();
            assertEquals(1, r.cookie());
            assertEquals(0, r.error());
            assertTrue(server.awaitStopped(10, TimeUnit.SECONDS));
            assertTrue(c.closedByServer());
        }
        assertEquals(NbdServer.State.STOPPED, server.state());
        assertEquals(1, disk.flushes.get());
        assertEquals(1, disk.closes.get());
        assertFalse(Files.exists(socket()), "the socket file is removed");
        server.close(); // idempotent
        assertEquals(1, disk.closes.get());
    }

    @Test
    void stopDropsAClientThatNeverReadsItsReplies() throws Exception {
        disk = new RecordingExport("disk", SIZE);
        start(NbdServer.builder().export(disk).drainTimeout(Duration.ofMillis(300)));
        try (RawClient hog = goSimple("disk")) {
            ByteBuffer reads = ByteBuffer.allocate(100 * 28);
            for (int i = 0; i < 100; i++) {
                reads.putInt(0x25609513)
                        .putShort((short) 0)
                        .putShort((short) 0)
                        .putLong(i)
                        .putLong(0)
                        .putInt((int) SIZE);
            }
            hog.write(reads.flip());
            Thread.sleep(200);
            server.stop();
            assertTrue(server.awaitStopped(20, TimeUnit.SECONDS));
        }
        assertTrue(log.stream().anyMatch(l -> l.contains("did not drain")), log.toString());
    }

    @Test
    void stopClosesConnectionsStillHaggling() throws Exception {
        start();
        try (RawClient c = client()) {
            c.hello(1);
            server.stop();
            assertTrue(server.awaitStopped(10, TimeUnit.SECONDS));
            assertTrue(c.closedByServer());
        }
    }

    @Test
    void tcpListensOnLoopbackAndRefusesOtherAddressesUnlessAllowed() throws Exception {
        disk = new RecordingExport("disk", SIZE);
        server = NbdServer.builder().export(disk).tcpLoopback(0).log(log::add).start();
        InetSocketAddress address = server.tcpAddress().orElseThrow();
        assertTrue(address.getAddress().isLoopbackAddress());
        try (RawClient c = RawClient.wrap(SocketChannel.open(address))) {
            c.go("disk", true, false);
            assertArrayEquals(new byte[512], c.readData(0, 512));
        }
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> NbdServer.builder()
                .export(new MemoryExport("x", 4096, 512, 4096))
                .tcp(new InetSocketAddress(InetAddress.getByName("0.0.0.0"), 0))
                .start());
        assertTrue(e.getMessage().contains("not a loopback address"), e.getMessage());
    }

    @Test
    void builderRefusesWhatCannotBeServed() {
        MemoryExport a = new MemoryExport("a", 4096, 512, 4096);
        assertThrows(
                IllegalArgumentException.class,
                () -> NbdServer.builder().export(a).export(a));
        assertThrows(
                IllegalStateException.class, () -> NbdServer.builder().export(a).start());
        assertThrows(
                IllegalStateException.class,
                () -> NbdServer.builder().unixSocket(socket()).start());
        assertThrows(IllegalStateException.class, () -> NbdServer.builder()
                .export(a)
                .unixSocket(socket())
                .defaultExport("b")
                .start());
    }

    @Test
    void anExistingSocketFileIsNotReplaced() throws IOException {
        Files.writeString(socket(), "mine");
        assertThrows(IOException.class, () -> NbdServer.builder()
                .export(new MemoryExport("a", 4096, 512, 4096))
                .unixSocket(socket())
                .start());
        assertEquals("mine", Files.readString(socket()));
    }

    @Test
    void theEmptyNameIsTheDefaultExportWhenOneIsNamed() throws IOException {
        disk = new RecordingExport("disk", SIZE);
        start(NbdServer.builder().export(disk).defaultExport("disk"));
        try (RawClient c = client()) {
            c.go("", false, false);
            assertArrayEquals(new byte[512], c.readData(0, 512));
        }
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(socket()));
        }
    }

    static byte[] filled(int n, int seed) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (seed * 31 + i * 7 + (i >> 9));
        }
        return b;
    }

    static byte[] bytes(NbdExport export, long offset, int length) throws NbdException {
        ByteBuffer b = ByteBuffer.allocate(length);
        export.read(offset, b);
        return b.array();
    }

    static void waitFor(BooleanSupplier condition) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("condition not reached in 10 s");
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        }
    }
}
