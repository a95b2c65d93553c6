package dev.snapstore.serve;

import static dev.snapstore.serve.Wire.*;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The transmission phase's commands for one connection: checks each request as the protocol says,
 * calls the export, and queues the reply (simple, or structured once negotiated). Runs on the
 * server's worker threads; holds no state besides what the handshake fixed.
 */
final class Requests {
    private final NbdConnection connection;
    private final NbdServer server;
    private final NbdExport export;
    private final boolean structured;
    private final boolean blockStatus;

    Requests(NbdConnection connection, NbdServer server, NbdExport export, boolean structured, boolean blockStatus) {
        this.connection = connection;
        this.server = server;
        this.export = export;
        this.structured = structured;
        this.blockStatus = blockStatus;
    }

    /** Runs one request and queues its reply; never throws. */
    void execute(Request r) {
        try {
            switch (r.type) {
                case CMD_READ:
                    read(r);
                    break;
                case CMD_WRITE:
                    write(r);
                    break;
                case CMD_FLUSH:
                    flags(r, CMD_FLAG_FUA);
                    if (!export.isReadOnly()) {
                        call(r, export::flush);
                    }
                    ok(r);
                    break;
                case CMD_TRIM:
                    trim(r);
                    break;
                case CMD_CACHE: // not advertised, but some clients send it: a successful no-op
                    flags(r, CMD_FLAG_FUA);
                    range(r, NbdError.EINVAL);
                    ok(r);
                    break;
                case CMD_WRITE_ZEROES:
                    writeZeroes(r);
                    break;
                case CMD_BLOCK_STATUS:
                    blockStatus(r);
                    break;
                default:
                    throw new Reject(NbdError.EINVAL, "unknown " + commandName(r.type));
            }
        } catch (Reject e) {
            reject(r, e.error, e.getMessage());
        } catch (RuntimeException e) { // a bug here must not leave the request unanswered
            server.log("nbd: " + commandName(r.type) + " on export '" + export.name() + "' failed: " + e);
            reject(r, NbdError.EIO, "internal error");
        }
    }

    private void read(Request r) throws Reject {
        flags(r, CMD_FLAG_FUA | (structured ? CMD_FLAG_DF : 0));
        if (r.length > server.maxPayload()) {
            throw new Reject(NbdError.EINVAL, "READ of " + r.length + " bytes exceeds the maximum payload");
        }
        range(r, NbdError.EINVAL);
        aligned(r);
        ByteBuffer data = server.buffers().get((int) r.length);
        try {
            call(r, () -> export.read(r.offset, data));
        } catch (Reject | RuntimeException e) {
            server.buffers().put(data);
            throw e;
        }
        data.flip();
        ByteBuffer head;
        if (!structured) {
            head = simpleHeader(r, 0);
        } else if (r.length == 0) { // an OFFSET_DATA chunk must carry at least one byte
            head = structuredHeader(r, REPLY_TYPE_NONE, 0);
        } else {
            head = structuredHeader(r, REPLY_TYPE_OFFSET_DATA, 8 + r.length).putLong(r.offset);
        }
        connection.send(
                new ByteBuffer[] {head.flip(), data}, () -> server.buffers().put(data), r.cost);
    }

    private void write(Request r) throws Reject {
        try {
            flags(r, CMD_FLAG_FUA);
            writable(r);
            range(r, NbdError.ENOSPC);
            aligned(r);
            if (r.length > 0) {
                call(r, () -> export.write(r.offset, r.payload, (r.flags & CMD_FLAG_FUA) != 0));
            }
        } finally {
            server.buffers().put(r.payload);
            r.payload = null;
        }
        ok(r);
    }

    private void trim(Request r) throws Reject {
        if (!export.canTrim() || export.isReadOnly()) {
            throw new Reject(
                    export.isReadOnly() ? NbdError.EPERM : NbdError.EINVAL,
                    "TRIM is not supported by export '" + export.name() + "'");
        }
        flags(r, CMD_FLAG_FUA);
        range(r, NbdError.EINVAL);
        aligned(r);
        if (r.length > 0) {
            call(r, () -> export.trim(r.offset, r.length, (r.flags & CMD_FLAG_FUA) != 0));
        }
        ok(r);
    }

    private void writeZeroes(Request r) throws Reject {
        flags(r, CMD_FLAG_FUA | CMD_FLAG_NO_HOLE);
        writable(r);
        range(r, NbdError.ENOSPC);
        aligned(r);
        if (r.length > 0) {
            call(
                    r,
                    () -> export.writeZeroes(
                            r.offset, r.length, (r.flags & CMD_FLAG_FUA) != 0, (r.flags & CMD_FLAG_NO_HOLE) == 0));
        }
        ok(r);
    }

    private void blockStatus(Request r) throws Reject {
        if (!blockStatus) {
            throw new Reject(NbdError.EINVAL, "BLOCK_STATUS without base:allocation negotiated for this export");
        }
        flags(r, CMD_FLAG_FUA | CMD_FLAG_REQ_ONE);
        range(r, NbdError.EINVAL);
        if (r.length == 0) {
            throw new Reject(NbdError.EINVAL, "BLOCK_STATUS of 0 bytes");
        }
        List<Extent> extents = call(r, () -> export.blockStatus(r.offset, r.length));
        if (extents == null || extents.isEmpty()) {
            server.log("nbd: export '" + export.name() + "' returned no extents for " + r.offset + "+" + r.length);
            throw new Reject(NbdError.EIO, "no block status");
        }
        boolean one = (r.flags & CMD_FLAG_REQ_ONE) != 0;
        int max = one ? 1 : Math.min(extents.size(), MAX_EXTENTS);
        ByteBuffer body = ByteBuffer.allocate(4 + 8 * max);
        body.putInt(BASE_ALLOCATION_ID);
        long left = r.length;
        int count = 0;
        int lastFlags = -1;
        for (Extent e : extents) {
            if (left == 0 || count == max) {
                break;
            }
            long n = Math.min(e.length(), left); // within the request, hence below 2^32
            if (e.flags() == lastFlags) { // merge runs the export split
                body.putInt(body.position() - 8, body.getInt(body.position() - 8) + (int) n);
            } else {
                body.putInt((int) n).putInt(e.flags());
                count++;
            }
            lastFlags = e.flags();
            left -= n;
        }
        ByteBuffer head = structuredHeader(r, REPLY_TYPE_BLOCK_STATUS, body.position());
        connection.send(new ByteBuffer[] {head.flip(), body.flip()}, null, r.cost);
    }

    // ---------------------------------------------------------------- checks

    private static void flags(Request r, int allowed) throws Reject {
        if ((r.flags & ~allowed) != 0) {
            throw new Reject(
                    NbdError.EINVAL,
                    "flags 0x" + Integer.toHexString(r.flags) + " are not valid for " + commandName(r.type));
        }
    }

    private void range(Request r, NbdError pastEnd) throws Reject {
        long size = export.size();
        if (r.offset < 0 || r.offset > size || r.length > size - r.offset) {
            throw new Reject(
                    pastEnd,
                    commandName(r.type) + " of " + r.length + " bytes at " + Long.toUnsignedString(r.offset)
                            + " is past the end of the export (" + size + " bytes)");
        }
    }

    private void aligned(Request r) throws Reject {
        int min = export.minimumBlockSize();
        if (((r.offset | r.length) & (min - 1)) != 0) {
            throw new Reject(
                    NbdError.EINVAL,
                    commandName(r.type) + " at " + r.offset + "+" + r.length
                            + " is not aligned to the minimum block size " + min);
        }
    }

    private void writable(Request r) throws Reject {
        if (export.isReadOnly()) {
            throw new Reject(NbdError.EPERM, "export '" + export.name() + "' is read-only");
        }
    }

    /** An export operation; NbdException becomes the protocol's error, anything else EIO. */
    private interface Operation<T> {
        T run() throws NbdException;
    }

    private interface VoidOperation {
        void run() throws NbdException;
    }

    private void call(Request r, VoidOperation op) throws Reject {
        call(r, () -> {
            op.run();
            return null;
        });
    }

    private <T> T call(Request r, Operation<T> op) throws Reject {
        try {
            return op.run();
        } catch (NbdException e) {
            throw new Reject(e.nbdError(), e.getMessage());
        } catch (RuntimeException e) {
            server.log("nbd: " + commandName(r.type) + " at " + r.offset + "+" + r.length + " on export '"
                    + export.name() + "' failed: " + e);
            throw new Reject(NbdError.EIO, e.toString());
        }
    }

    // ---------------------------------------------------------------- replies

    private void ok(Request r) {
        connection.send(new ByteBuffer[] {simpleHeader(r, 0).flip()}, null, r.cost);
    }

    /** Answers a request with an error; also used by the reader for requests it refuses itself. */
    void reject(Request r, NbdError error, String message) {
        if (r.payload != null) {
            server.buffers().put(r.payload);
            r.payload = null;
        }
        if (!structured) {
            connection.send(new ByteBuffer[] {simpleHeader(r, error.value()).flip()}, null, r.cost);
            return;
        }
        byte[] text = message == null ? new byte[0] : message.getBytes(StandardCharsets.UTF_8);
        int n = Math.min(text.length, MAX_STRING);
        ByteBuffer head = structuredHeader(r, REPLY_TYPE_ERROR, 6 + n);
        head.putInt(error.value()).putShort((short) n);
        connection.send(new ByteBuffer[] {head.flip(), ByteBuffer.wrap(text, 0, n)}, null, r.cost);
    }

    private static ByteBuffer simpleHeader(Request r, int error) {
        return ByteBuffer.allocate(16).putInt(SIMPLE_REPLY_MAGIC).putInt(error).putLong(r.cookie);
    }

    private static ByteBuffer structuredHeader(Request r, int type, long length) {
        return ByteBuffer.allocate(32)
                .putInt(STRUCTURED_REPLY_MAGIC)
                .putShort((short) REPLY_FLAG_DONE)
                .putShort((short) type)
                .putLong(r.cookie)
                .putInt((int) length);
    }

    /** A request refused with one of the protocol's errors. */
    private static final class Reject extends Exception {
        private static final long serialVersionUID = 1L;
        private final NbdError error;

        Reject(NbdError error, String message) {
            super(message, null, false, false);
            this.error = error;
        }
    }
}
