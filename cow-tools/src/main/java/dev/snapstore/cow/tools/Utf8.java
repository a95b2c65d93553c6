package dev.snapstore.cow.tools;

import java.nio.charset.MalformedInputException;

/**
 * UTF-8 as {@code Files.readString} decodes it: the dump readers decode a stream piece by piece,
 * yet must refuse a malformed file with the exception that reading it whole into a String gave,
 * including its "Input length", which for a String differs from a {@code CharsetDecoder}'s (a
 * truncated three-byte sequence followed by more bytes counts 3 there, 1 or 2 here).
 */
final class Utf8 {

    private Utf8() {}

    /**
     * The first malformed sequence starting in {@code b[from, to)}, as String decoding reports it.
     *
     * @param end where the readable bytes end: the end of the input, or at least {@code to + 3}
     * @return the exception, or null when every sequence starting there is well-formed
     */
    static MalformedInputException check(byte[] b, int from, int to, int end) {
        int p = from;
        while (p < to) {
            if (b[p] >= 0) {
                p++;
                continue;
            }
            int n = sequence(b, p, end);
            if (n < 0) {
                return new MalformedInputException(-n);
            }
            p += n;
        }
        return null;
    }

    /** The length of the well-formed sequence at {@code p}, or minus the malformed length. */
    private static int sequence(byte[] b, int p, int end) {
        int b1 = b[p] & 0xff;
        if (b1 >= 0xc2 && b1 <= 0xdf) {
            return p + 1 < end && continuation(b[p + 1]) ? 2 : -1;
        }
        if ((b1 & 0xf0) == 0xe0) {
            if (p + 2 < end) {
                int b2 = b[p + 1] & 0xff;
                int b3 = b[p + 2] & 0xff;
                if ((b1 == 0xe0 && (b2 & 0xe0) == 0x80) || !continuation(b2) || !continuation(b3)) {
                    return -3;
                }
                char c = (char) (((b1 & 0x0f) << 12) | ((b2 & 0x3f) << 6) | (b3 & 0x3f));
                return Character.isSurrogate(c) ? -3 : 3;
            }
            if (p + 1 < end) {
                int b2 = b[p + 1] & 0xff;
                if ((b1 == 0xe0 && (b2 & 0xe0) == 0x80) || !continuation(b2)) {
                    return -2;
                }
            }
            return -1;
        }
        if ((b1 & 0xf8) == 0xf0) {
            if (p + 3 < end) {
                int b2 = b[p + 1] & 0xff;
                int b3 = b[p + 2] & 0xff;
                int b4 = b[p + 3] & 0xff;
                if (!continuation(b2) || !continuation(b3) || !continuation(b4)) {
                    return -4;
                }
                int cp = ((b1 & 0x07) << 18) | ((b2 & 0x3f) << 12) | ((b3 & 0x3f) << 6) | (b4 & 0x3f);
                return Character.isSupplementaryCodePoint(cp) ? 4 : -4;
            }
            return -1;
        }
        return -1;
    }

    private static boolean continuation(int b) {
        return (b & 0xc0) == 0x80;
    }
}
