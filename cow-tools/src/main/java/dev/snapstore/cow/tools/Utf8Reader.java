package dev.snapstore.cow.tools;

import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.nio.charset.MalformedInputException;
import java.nio.charset.StandardCharsets;

/**
 * UTF-8 bytes as chars, decoded by String in pieces that never split a sequence, so that the chars
 * are those of the whole input decoded at once; in strict mode a malformed sequence throws the
 * {@link MalformedInputException} that {@code Files.readString} would ({@link Utf8}). Never closes
 * its stream. Not thread-safe.
 */
final class Utf8Reader extends Reader {

    private static final int PIECE = 1 << 15;

    private final InputStream in;
    private final boolean strict;
    private byte[] bytes = new byte[2 * PIECE];
    private int pos;
    private int filled;
    private boolean eof;
    private final char[] chars = new char[PIECE];
    private int next;
    private int decoded;

    Utf8Reader(InputStream in, boolean strict) {
        this.in = in;
        this.strict = strict;
    }

    @Override
    public int read(char[] into, int off, int len) throws IOException {
        if (len == 0) {
            return 0;
        }
        if (next == decoded && !decode()) {
            return -1;
        }
        int n = Math.min(len, decoded - next);
        System.arraycopy(chars, next, into, off, n);
        next += n;
        return n;
    }

    /** Decodes the next piece; false at the end of the input. */
    private boolean decode() throws IOException {
        // a piece and 3 bytes of look-ahead past it, or the rest of the input
        while (!eof && filled - pos < PIECE + 3) {
            if (filled == bytes.length) {
                System.arraycopy(bytes, pos, bytes, 0, filled - pos);
                filled -= pos;
                pos = 0;
            }
            int n = in.read(bytes, filled, bytes.length - filled);
            if (n < 0) {
                eof = true;
            } else {
                filled += n;
            }
        }
        if (pos == filled) {
            return false;
        }
        int cut = Math.min(filled, pos + PIECE);
        if (cut < filled) {
            // Before a byte that starts a sequence, so none is split; a run of 4 continuation
            // bytes belongs to no sequence that reaches past it.
            int c = cut;
            while (c > cut - 3 && continuation(bytes[c])) {
                c--;
            }
            if (!continuation(bytes[c])) {
                cut = c;
            }
        }
        String piece = new String(bytes, pos, cut - pos, StandardCharsets.UTF_8);
        if (strict && piece.indexOf('\uFFFD') >= 0) {
            MalformedInputException malformed = Utf8.check(bytes, pos, cut, filled);
            if (malformed != null) {
                throw malformed;
            }
        }
        piece.getChars(0, piece.length(), chars, 0);
        next = 0;
        decoded = piece.length();
        pos = cut;
        return true;
    }

    private static boolean continuation(byte b) {
        return (b & 0xc0) == 0x80;
    }

    /** Reads the rest of the input, checking it in strict mode. */
    void drain() throws IOException {
        while (decode()) {
            next = decoded;
        }
    }

    /** Does nothing: the stream is the caller's. */
    @Override
    public void close() {
        // nothing of its own to release
    }
}
