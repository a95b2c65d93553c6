package dev.snapstore.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.EOFException;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/** A hand-written NBD client that can also break the protocol on purpose. */
final class RawClient implements AutoCloseable {
    static final long NBDMAGIC = 0x4e42444d41474943L;
    static final long IHAVEOPT = 0x49484156454F5054L;
    static final long REPLY_MAGIC = 0x3e889045565a9L;

    final SocketChannel channel;
    /** The length of each outstanding READ, so simple replies can be framed. */
    private final Map<Long, Integer> readLengths = new HashMap<>();

    boolean structured;

    private RawClient(SocketChannel channel) {
        this.channel = channel;
    }

    static RawClient connect(Path socket) throws IOException {
        SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
        ch.connect(UnixDomainSocketAddress.of(socket));
        return new RawClient(ch);
    }

    static RawClient wrap(SocketChannel ch) {
        return new RawClient(ch);
    }

    /** Reads the server's greeting and answers with client flags; returns the handshake flags. */
    int hello(int clientFlags) throws IOException {
        ByteBuffer b = read(18);
        assertEquals(NBDMAGIC, b.getLong());
        assertEquals(IHAVEOPT, b.getLong());
        int flags = b.getShort() & 0xffff;
        write(ByteBuffer.allocate(4).putInt(clientFlags).flip());
        return flags;
    }

    void option(int option, byte[] data) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(16 + data.length);
        b.putLong(IHAVEOPT).putInt(option).putInt(data.length).put(data).flip();
        write(b);
    }

    record OptionReply(int option, int type, ByteBuffer data) {
        String text() {
            return StandardCharsets.UTF_8.decode(data.duplicate()).toString();
        }
    }

    OptionReply optionReply() throws IOException {
        ByteBuffer h = read(20);
        assertEquals(REPLY_MAGIC, h.getLong());
        int option = h.getInt();
        int type = h.getInt();
        int length = h.getInt();
        return new OptionReply(option, type, read(length));
    }

    /** The data of NBD_OPT_INFO / NBD_OPT_GO. */
    static byte[] infoData(String name, int... requests) {
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(4 + n.length + 2 + 2 * requests.length);
        b.putInt(n.length).put(n).putShort((short) requests.length);
        for (int r : requests) {
            b.putShort((short) r);
        }
        return b.array();
    }

    /** The data of NBD_OPT_SET_META_CONTEXT / LIST_META_CONTEXT. */
    static byte[] metaData(String name, String... queries) {
        ByteBuffer b = ByteBuffer.allocate(65536);
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        b.putInt(n.length).put(n).putInt(queries.length);
        for (String q : queries) {
            byte[] qb = q.getBytes(StandardCharsets.UTF_8);
            b.putInt(qb.length).put(qb);
        }
        byte[] out = new byte[b.position()];
        b.flip().get(out);
        return out;
    }

    /** The usual negotiation: optional structured replies and base:allocation, then GO; returns the flags. */
    int go(String name, boolean structuredReplies, boolean allocation) throws IOException {
        hello(3);
        if (structuredReplies) {
            option(8, new byte[0]);
            assertEquals(1, optionReply().type());
            structured = true;
        }
        if (allocation) {
            option(10, metaData(name, "base:allocation"));
            OptionReply r = optionReply();
            assertEquals(4, r.type());
            assertEquals(1, optionReply().type());
        }
        option(7, infoData(name, 3));
        int flags = -1;
        while (true) {
            OptionReply r = optionReply();
            if (r.type() == 1) {
                return flags;
            }
            assertEquals(3, r.type(), () -> "GO failed: " + r.type() + " " + r.text());
            if (r.data().getShort(0) == 0) {
                flags = r.data().getShort(10) & 0xffff;
            }
        }
    }

    void request(int flags, int type, long cookie, long offset, long length, byte[] payload) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(28 + (payload == null ? 0 : payload.length));
        b.putInt(0x25609513)
                .putShort((short) flags)
                .putShort((short) type)
                .putLong(cookie)
                .putLong(offset)
                .putInt((int) length);
        if (payload != null) {
            b.put(payload);
        }
        write(b.flip());
        if (type == 0) {
            readLengths.put(cookie, (int) length);
        }
    }

    void write(long cookie, long offset, byte[] data) throws IOException {
        request(0, 1, cookie, offset, data.length, data);
    }

    void read(long cookie, long offset, int length) throws IOException {
        request(0, 0, cookie, offset, length, null);
    }

    /** A reply: for a structured reply, one chunk. */
    record Reply(boolean simple, long cookie, int error, int flags, int type, ByteBuffer data) {
        boolean done() {
            return simple || (flags & 1) != 0;
        }

        String message() {
            ByteBuffer d = data.duplicate();
            d.getInt();
            int n = d.getShort() & 0xffff;
            byte[] m = new byte[n];
            d.get(m);
            return new String(m, StandardCharsets.UTF_8);
        }
    }

    Reply reply() throws IOException {
        ByteBuffer m = read(4);
        int magic = m.getInt();
        if (magic == 0x67446698) {
            ByteBuffer h = read(12);
            int error = h.getInt();
            long cookie = h.getLong();
            Integer len = readLengths.remove(cookie);
            ByteBuffer data = len != null && error == 0 ? read(len) : ByteBuffer.allocate(0);
            return new Reply(true, cookie, error, 0, 0, data);
        }
        assertEquals(0x668e33ef, magic, "reply magic");
        ByteBuffer h = read(16);
        int flags = h.getShort() & 0xffff;
        int type = h.getShort() & 0xffff;
        long cookie = h.getLong();
        int length = h.getInt();
        ByteBuffer data = read(length);
        int error = (type & 0x8000) != 0 ? data.getInt(0) : 0;
        if ((flags & 1) != 0) {
            readLengths.remove(cookie);
        }
        return new Reply(false, cookie, error, flags, type, data);
    }

    /** Reads the reply to a READ sent with simple replies and returns its data. */
    byte[] readData(long offset, int length) throws IOException {
        read(7777, offset, length);
        Reply r = reply();
        assertEquals(0, r.error(), "read error");
        ByteBuffer d = r.data();
        if (!r.simple()) {
            assertEquals(1, r.type());
            assertEquals(offset, d.getLong());
            assertEquals(1, r.flags() & 1);
        }
        byte[] out = new byte[d.remaining()];
        d.get(out);
        return out;
    }

    /** True when the server closed the connection (the next read sees end of stream). */
    boolean closedByServer() throws IOException {
        ByteBuffer b = ByteBuffer.allocate(1);
        try {
            return channel.read(b) < 0;
        } catch (IOException e) {
            return true; // reset
        }
    }

    void write(ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            channel.write(b);
        }
    }

    ByteBuffer read(int n) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(n);
        while (b.hasRemaining()) {
            if (channel.read(b) < 0) {
                throw new EOFException("server closed the connection");
            }
        }
        return b.flip();
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
