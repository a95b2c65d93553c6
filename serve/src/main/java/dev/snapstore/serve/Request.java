package dev.snapstore.serve;

import java.nio.ByteBuffer;

/** A request as the reader parsed it; the payload of a WRITE is in a pooled buffer. */
final class Request {
    final int flags;
    final int type;
    final long cookie;
    final long offset;
    final long length;
    ByteBuffer payload;
    long cost;

    Request(int flags, int type, long cookie, long offset, long length) {
        this.flags = flags;
        this.type = type;
        this.cookie = cookie;
        this.offset = offset;
        this.length = length;
    }
}
