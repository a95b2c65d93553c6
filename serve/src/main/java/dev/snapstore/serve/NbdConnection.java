package dev.snapstore.serve;

import static dev.snapstore.serve.Wire.*;

import java.io.EOFException;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledFuture;

/**
 * One client: the handshake, then the transmission phase. A reader thread parses requests and hands
 * them to the server's workers; a writer thread sends the replies the workers queue, so a client that
 * stops reading holds up only its own threads and its own in-flight budget, never the workers.
 */
final class NbdConnection {
    private static final ByteBuffer[] POISON = new ByteBuffer[0];

    private final NbdServer server;
    private final SocketChannel channel;
    private final String id;
    private final Thread reader;
    private final LinkedBlockingQueue<Reply> replies = new LinkedBlockingQueue<>();
    private final Object phaseLock = new Object();
    private Thread writer;
    private boolean transmitting;
    private volatile boolean shuttingDown;
    private volatile boolean broken;
    private volatile boolean handshakeTimedOut;
    private ScheduledFuture<?> deadline; // set before the reader starts

    // in-flight accounting, guarded by this
    private int inFlight;
    private long inFlightBytes;

    // negotiation state, reader thread only
    private boolean noZeroes;
    private boolean structured;
    private NbdExport metaExport;

    // transmission state, fixed before the first request is handed out
    private NbdExport export;
    private boolean blockStatus;

    NbdConnection(NbdServer server, SocketChannel channel, String id) {
        this.server = server;
        this.channel = channel;
        this.id = id;
        this.reader = new Thread(this::run, "nbd-conn-" + id);
        reader.setDaemon(true);
    }

    void start() {
        // Scheduled here, on the accepting thread, so it happens before stop() shuts the timer down.
        deadline = server.handshakeDeadline(this::handshakeTimeout);
        reader.start();
    }

    Thread thread() {
        return reader;
    }

    String id() {
        return id;
    }

    /** The handshake timeout fired: drop a client that is still haggling (or has not said a word). */
    private void handshakeTimeout() {
        synchronized (phaseLock) {
            if (transmitting || shuttingDown) {
                return;
            }
            handshakeTimedOut = true;
            NbdServer.closeQuietly(channel); // unblocks the reader's read
        }
        // Its slot under the connection limit is free from now on, not only once the reader thread
        // has noticed: a client that reconnects after this line is not refused.
        server.closed(this);
        server.log("nbd " + id + ": dropping the connection: no handshake within " + server.handshakeTimeout());
    }

    /** Starts a graceful stop: no new request is read; those already read finish and are answered. */
    void shutdown() {
        synchronized (phaseLock) {
            shuttingDown = true;
            if (!transmitting) {
                NbdServer.closeQuietly(channel); // still haggling: nothing is in flight
                return;
            }
        }
        try {
            channel.shutdownInput();
        } catch (IOException e) {
            NbdServer.closeQuietly(channel);
        }
    }

    /** Drops the connection at once: replies not yet sent are discarded. */
    void abort() {
        NbdServer.closeQuietly(channel);
    }

    private void run() {
        boolean drainFirst = true;
        try {
            if (handshake()) {
                transmit();
            }
        } catch (ProtocolException e) {
            server.log("nbd " + id + ": dropping the connection: " + e.getMessage());
            drainFirst = false;
        } catch (EOFException e) {
            if (!shuttingDown && !handshakeTimedOut) {
                server.log("nbd " + id + ": client disconnected " + e.getMessage());
            }
        } catch (IOException e) {
            if (!shuttingDown && !broken && !handshakeTimedOut) {
                server.log("nbd " + id + ": connection failed: " + e);
            }
        } finally {
            deadline.cancel(false);
            if (!drainFirst) {
                abort();
            }
            drain();
            if (writer != null) {
                replies.add(new Reply(POISON, null, 0));
                joinQuietly(writer);
            }
            NbdServer.closeQuietly(channel);
            server.closed(this);
        }
    }

    // ---------------------------------------------------------------- handshake

    /** Haggles options; true when a transmission phase follows, false on NBD_OPT_ABORT. */
    private boolean handshake() throws IOException {
        ByteBuffer hello = ByteBuffer.allocate(18);
        hello.putLong(NBDMAGIC)
                .putLong(IHAVEOPT)
                .putShort((short) (FLAG_FIXED_NEWSTYLE | FLAG_NO_ZEROES))
                .flip();
        writeDirect(hello);
        int clientFlags = read(4).getInt();
        if ((clientFlags & ~(FLAG_C_FIXED_NEWSTYLE | FLAG_C_NO_ZEROES)) != 0) {
            throw new ProtocolException("unknown client flags 0x" + Integer.toHexString(clientFlags));
        }
        noZeroes = (clientFlags & FLAG_C_NO_ZEROES) != 0;
        while (true) {
            ByteBuffer head = read(16);
            long magic = head.getLong();
            if (magic != IHAVEOPT) {
                throw new ProtocolException("bad option magic 0x" + Long.toHexString(magic));
            }
            int option = head.getInt();
            long length = head.getInt() & 0xffffffffL;
            if (length > MAX_OPTION_LENGTH) {
                throw new ProtocolException("option " + option + " with " + length + " bytes of data");
            }
            ByteBuffer data = read((int) length);
            if (!server.isRunning() && option != OPT_ABORT) {
                optionReply(option, REP_ERR_SHUTDOWN, "the server is shutting down");
                continue;
            }
            try {
                switch (option) {
                    case OPT_EXPORT_NAME:
                        exportName(data);
                        return true;
                    case OPT_ABORT:
                        try {
                            ack(option);
                        } catch (IOException e) {
                            // clients may hang up without waiting for this answer (proto.md, NBD_OPT_ABORT)
                        }
                        return false;
                    case OPT_LIST:
                        list(data);
                        break;
                    case OPT_INFO:
                    case OPT_GO:
                        if (infoOrGo(option, data)) {
                            return true;
                        }
                        break;
                    case OPT_STRUCTURED_REPLY:
                        if (data.hasRemaining()) {
                            throw new BadOption("NBD_OPT_STRUCTURED_REPLY takes no data");
                        }
                        if (structured) {
                            throw new BadOption("structured replies are already negotiated");
                        }
                        structured = true;
                        ack(option);
                        break;
                    case OPT_LIST_META_CONTEXT:
                    case OPT_SET_META_CONTEXT:
                        metaContext(option, data);
                        break;
                    default:
                        optionReply(option, REP_ERR_UNSUP, "option " + option + " is not supported");
                }
            } catch (BadOption e) {
                optionReply(option, REP_ERR_INVALID, e.getMessage());
            }
        }
    }

    private void exportName(ByteBuffer data) throws IOException {
        String name = utf8(data, data.remaining());
        NbdExport e = server.lookup(name);
        if (e == null) { // the option cannot answer an error: the protocol says to hang up
            throw new ProtocolException("NBD_OPT_EXPORT_NAME of unknown export '" + name + "'");
        }
        ByteBuffer b = ByteBuffer.allocate(noZeroes ? 10 : 134);
        b.putLong(e.size()).putShort((short) transmissionFlags(e));
        b.position(b.limit()).flip();
        enter(e);
        writeDirect(b);
    }

    private void list(ByteBuffer data) throws IOException, BadOption {
        if (data.hasRemaining()) {
            throw new BadOption("NBD_OPT_LIST takes no data");
        }
        for (NbdExport e : server.exports().values()) {
            byte[] name = e.name().getBytes(StandardCharsets.UTF_8);
            byte[] description = e.description().getBytes(StandardCharsets.UTF_8);
            ByteBuffer b = ByteBuffer.allocate(4 + name.length + Math.min(description.length, MAX_STRING));
            b.putInt(name.length).put(name).put(description, 0, b.remaining()).flip();
            optionReply(OPT_LIST, REP_SERVER, b);
        }
        ack(OPT_LIST);
    }

    private boolean infoOrGo(int option, ByteBuffer data) throws IOException, BadOption {
        String name = string(data);
        if (data.remaining() < 2) {
            throw new BadOption("no count of information requests");
        }
        int count = data.getShort() & 0xffff;
        if (data.remaining() != 2 * count) {
            throw new BadOption("the information requests do not fill the option");
        }
        Set<Integer> wanted = new HashSet<>();
        for (int i = 0; i < count; i++) {
            wanted.add(data.getShort() & 0xffff);
        }
        NbdExport e = server.lookup(name);
        if (e == null) {
            optionReply(option, REP_ERR_UNKNOWN, "no export named '" + name + "'");
            return false;
        }
        ByteBuffer info = ByteBuffer.allocate(12);
        info.putShort((short) INFO_EXPORT)
                .putLong(e.size())
                .putShort((short) transmissionFlags(e))
                .flip();
        optionReply(option, REP_INFO, info);
        // always sent: the server enforces the minimum, so clients must learn it (proto.md, size constraints)
        ByteBuffer sizes = ByteBuffer.allocate(14);
        sizes.putShort((short) INFO_BLOCK_SIZE)
                .putInt(e.minimumBlockSize())
                .putInt(e.preferredBlockSize())
                .putInt(server.maxPayload())
                .flip();
        optionReply(option, REP_INFO, sizes);
        if (wanted.contains(INFO_NAME)) {
            optionReply(option, REP_INFO, infoString(INFO_NAME, e.name()));
        }
        if (wanted.contains(INFO_DESCRIPTION) && !e.description().isEmpty()) {
            optionReply(option, REP_INFO, infoString(INFO_DESCRIPTION, e.description()));
        }
        if (option == OPT_GO) {
            enter(e);
        }
        ack(option);
        return option == OPT_GO;
    }

    private static ByteBuffer infoString(int type, String s) {
        byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
        int n = Math.min(bytes.length, MAX_STRING);
        ByteBuffer b = ByteBuffer.allocate(2 + n);
        b.putShort((short) type).put(bytes, 0, n).flip();
        return b;
    }

    private void metaContext(int option, ByteBuffer data) throws IOException, BadOption {
        boolean set = option == OPT_SET_META_CONTEXT;
        if (set) {
            metaExport = null; // the protocol: a SET replaces the selection even when it fails
            if (!structured) {
                throw new BadOption("NBD_OPT_SET_META_CONTEXT needs structured replies first");
            }
        }
        String name = string(data);
        if (data.remaining() < 4) {
            throw new BadOption("no count of queries");
        }
        long count = data.getInt() & 0xffffffffL;
        boolean allocation = count == 0 && !set;
        for (long i = 0; i < count; i++) {
            String query = string(data);
            allocation |= query.equals(BASE_ALLOCATION) || (!set && query.equals("base:"));
        }
        if (data.hasRemaining()) {
            throw new BadOption("bytes after the last query");
        }
        NbdExport e = server.lookup(name);
        if (e == null) {
            optionReply(option, REP_ERR_UNKNOWN, "no export named '" + name + "'");
            return;
        }
        if (allocation) {
            byte[] context = BASE_ALLOCATION.getBytes(StandardCharsets.UTF_8);
            ByteBuffer b = ByteBuffer.allocate(4 + context.length);
            b.putInt(set ? BASE_ALLOCATION_ID : 0).put(context).flip();
            optionReply(option, REP_META_CONTEXT, b);
            if (set) {
                metaExport = e;
            }
        }
        ack(option);
    }

    private int transmissionFlags(NbdExport e) {
        int flags = FLAG_HAS_FLAGS | FLAG_SEND_FLUSH;
        if (e.isReadOnly()) {
            flags |= FLAG_READ_ONLY;
        } else {
            flags |= FLAG_SEND_FUA | FLAG_SEND_WRITE_ZEROES;
            if (e.canTrim()) {
                flags |= FLAG_SEND_TRIM;
            }
        }
        if (structured) {
            flags |= FLAG_SEND_DF; // every read is answered in one chunk anyway
        }
        if (e.canMultiConn()) {
            flags |= FLAG_CAN_MULTI_CONN;
        }
        return flags;
    }

    private void enter(NbdExport e) {
        export = e;
        blockStatus = metaExport == e;
    }

    private void optionReply(int option, int type, ByteBuffer data) throws IOException {
        ByteBuffer head = ByteBuffer.allocate(20);
        head.putLong(REPLY_MAGIC)
                .putInt(option)
                .putInt(type)
                .putInt(data == null ? 0 : data.remaining())
                .flip();
        writeDirect(data == null ? new ByteBuffer[] {head} : new ByteBuffer[] {head, data});
    }

    private void optionReply(int option, int type, String message) throws IOException {
        optionReply(option, type, ByteBuffer.wrap(message.getBytes(StandardCharsets.UTF_8)));
    }

    private void ack(int option) throws IOException {
        optionReply(option, REP_ACK, (ByteBuffer) null);
    }

    /** A string as options carry it: a 32-bit length, then UTF-8 bytes. */
    private static String string(ByteBuffer data) throws BadOption {
        if (data.remaining() < 4) {
            throw new BadOption("a string's length is missing");
        }
        long length = data.getInt() & 0xffffffffL;
        if (length > MAX_STRING || length > data.remaining()) {
            throw new BadOption("a string of " + length + " bytes does not fit");
        }
        return utf8(data, (int) length);
    }

    private static String utf8(ByteBuffer data, int length) {
        byte[] bytes = new byte[length];
        data.get(bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    // ---------------------------------------------------------------- transmission

    private void transmit() throws IOException {
        synchronized (phaseLock) {
            if (shuttingDown) {
                return;
            }
            transmitting = true;
        }
        writer = new Thread(this::writeLoop, "nbd-write-" + id);
        writer.setDaemon(true);
        writer.start();
        Requests requests = new Requests(this, server, export, structured, blockStatus);
        ByteBuffer header = ByteBuffer.allocate(28);
        while (true) {
            header.clear();
            if (!readOrEof(header)) {
                return; // the client closed its side, or stop() shut ours
            }
            header.flip();
            int magic = header.getInt();
            if (magic != REQUEST_MAGIC) {
                throw new ProtocolException("bad request magic 0x" + Integer.toHexString(magic));
            }
            int flags = header.getShort() & 0xffff;
            int type = header.getShort() & 0xffff;
            long cookie = header.getLong();
            long offset = header.getLong();
            long length = header.getInt() & 0xffffffffL;
            if (type == CMD_DISC) {
                return;
            }
            Request r = new Request(flags, type, cookie, offset, length);
            if (type == CMD_WRITE) {
                if (length > server.maxPayload()) {
                    skip(length); // keep the stream in step, then refuse it
                    begin(r);
                    requests.reject(r, NbdError.EINVAL, "WRITE of " + length + " bytes exceeds the maximum payload");
                    continue;
                }
                r.cost = length;
                begin(r);
                r.payload = server.buffers().get((int) length);
                try {
                    readFully(r.payload, "in the middle of a WRITE of " + length + " bytes");
                } catch (IOException | RuntimeException e) {
                    server.buffers().put(r.payload);
                    end(r.cost);
                    throw e;
                }
                r.payload.flip();
            } else {
                if (type == CMD_READ && length <= server.maxPayload()) {
                    r.cost = length;
                }
                begin(r);
            }
            if (shuttingDown) {
                requests.reject(r, NbdError.ESHUTDOWN, "the server is shutting down");
                continue;
            }
            server.workers().execute(() -> requests.execute(r));
        }
    }

    /** Counts a request in flight, waiting while this connection's budget is spent. */
    private synchronized void begin(Request r) throws InterruptedIOException {
        long cost = r.cost + 4096; // small requests count too, so their number is bounded
        r.cost = cost;
        while (inFlight > 0 && inFlightBytes + cost > server.maxInFlightBytes()) {
            try {
                wait();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while waiting for in-flight requests");
            }
        }
        inFlight++;
        inFlightBytes += cost;
    }

    private synchronized void end(long cost) {
        inFlight--;
        inFlightBytes -= cost;
        notifyAll();
    }

    private synchronized void drain() {
        boolean interrupted = false;
        while (inFlight > 0) {
            try {
                wait();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** Queues a reply; {@code done} runs once it is sent or discarded, and ends the request. */
    void send(ByteBuffer[] buffers, Runnable done, long cost) {
        replies.add(new Reply(buffers, done, cost));
    }

    private void writeLoop() {
        List<Reply> batch = new ArrayList<>();
        while (true) {
            try {
                batch.add(replies.take());
            } catch (InterruptedException e) {
                return;
            }
            replies.drainTo(batch, 63);
            boolean last = false;
            List<ByteBuffer> out = new ArrayList<>();
            for (Reply r : batch) {
                if (r.buffers == POISON) {
                    last = true;
                } else {
                    out.addAll(List.of(r.buffers));
                }
            }
            if (!broken && !out.isEmpty()) {
                try {
                    writeDirect(out.toArray(new ByteBuffer[0]));
                } catch (IOException e) {
                    broken = true;
                    if (!shuttingDown) {
                        server.log("nbd " + id + ": sending a reply failed, dropping the connection: " + e);
                    }
                    abort(); // the reader stops too
                }
            }
            for (Reply r : batch) {
                if (r.done != null) {
                    r.done.run();
                }
                if (r.buffers != POISON) {
                    end(r.cost);
                }
            }
            batch.clear();
            if (last) {
                return;
            }
        }
    }

    // ---------------------------------------------------------------- I/O

    private void writeDirect(ByteBuffer... buffers) throws IOException {
        long left = 0;
        for (ByteBuffer b : buffers) {
            left += b.remaining();
        }
        while (left > 0) {
            left -= channel.write(buffers);
        }
    }

    private ByteBuffer read(int n) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(n);
        readFully(b, "during the handshake");
        return b.flip();
    }

    private void readFully(ByteBuffer b, String where) throws IOException {
        while (b.hasRemaining()) {
            if (channel.read(b) < 0) {
                throw new EOFException(where);
            }
        }
    }

    /** Reads a whole request header; false on a clean end of stream before its first byte. */
    private boolean readOrEof(ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            if (channel.read(b) < 0) {
                if (b.position() == 0) {
                    return false;
                }
                throw new EOFException("in the middle of a request header");
            }
        }
        return true;
    }

    private void skip(long length) throws IOException {
        ByteBuffer sink = ByteBuffer.allocate((int) Math.min(length, 1 << 16));
        long left = length;
        while (left > 0) {
            sink.clear().limit((int) Math.min(sink.capacity(), left));
            readFully(sink, "in the middle of an oversized WRITE");
            left -= sink.limit();
        }
    }

    private static void joinQuietly(Thread t) {
        boolean interrupted = false;
        while (true) {
            try {
                t.join();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    private record Reply(ByteBuffer[] buffers, Runnable done, long cost) {}

    /** The client broke the protocol: the connection is dropped. */
    static final class ProtocolException extends IOException {
        private static final long serialVersionUID = 1L;

        ProtocolException(String message) {
            super(message);
        }
    }

    /** An option the client got wrong: answered with NBD_REP_ERR_INVALID, the haggling goes on. */
    private static final class BadOption extends Exception {
        private static final long serialVersionUID = 1L;

        BadOption(String message) {
            super(message);
        }
    }
}
