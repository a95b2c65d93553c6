package dev.snapstore.cow.tools;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * Unsigned decimal numbers written as ASCII straight into a byte array, eight digits at a time in
 * one {@code long} (the dumps print four numbers per record, tens of millions of records: a digit
 * per division was most of their time). Same digits as {@link Long#toUnsignedString(long)}.
 */
final class Decimal {

    /** Bytes past a number's last digit that {@link #put} may overwrite with garbage. */
    static final int SLACK = 8;

    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final long EIGHT_DIGITS = 100_000_000L;
    private static final long ZEROS = 0x3030_3030_3030_3030L;

    private Decimal() {}

    /**
     * Writes {@code value}, unsigned, at {@code at}.
     *
     * @param b the array; {@link #SLACK} bytes after the digits must fit in it
     * @return the index after the last digit
     */
    static int put(byte[] b, int at, long value) {
        if (value >= 0 && value < EIGHT_DIGITS) {
            long digits = ascii8(value);
            int zeros = leadingZeros(digits);
            // The leading zeros are the first bytes in memory, the long's low bytes: shift them out.
            LONGS.set(b, at, (digits + ZEROS) >>> (zeros << 3));
            return at + 8 - zeros;
        }
        long high = Long.divideUnsigned(value, EIGHT_DIGITS);
        int p = put(b, at, high);
        LONGS.set(b, p, ascii8(value - high * EIGHT_DIGITS) + ZEROS);
        return p + 8;
    }

    /**
     * Writes {@code value}, signed, at {@code at}: a minus sign, then its magnitude.
     *
     * @param b the array; {@link #SLACK} bytes after the digits must fit in it
     * @return the index after the last digit
     */
    static int putSigned(byte[] b, int at, long value) {
        if (value >= 0) {
            return put(b, at, value);
        }
        b[at] = '-';
        return put(b, at + 1, -value); // Long.MIN_VALUE negates to itself: unsigned, its magnitude
    }

    /** The first 8 bytes of an ASCII text as a word for {@link #putWord}, padded with zeros. */
    static long word(String text) {
        byte[] b = new byte[8];
        byte[] t = text.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(t, 0, b, 0, Math.min(8, t.length));
        return (long) LONGS.get(b, 0);
    }

    /** The 8 bytes at {@code at}, as {@link #putWord} stores them. */
    static long wordAt(byte[] b, int at) {
        return (long) LONGS.get(b, at);
    }

    /**
     * Stores 8 bytes at {@code at} in one write, of which {@code length} count.
     *
     * @return the index after the {@code length} bytes
     */
    static int putWord(byte[] b, int at, long word, int length) {
        LONGS.set(b, at, word);
        return at + length;
    }

    /**
     * A column of numbers, each often one more than the one before (a record's index, a COW chunk
     * allocated after the last): the next is its predecessor's digits with the last one raised,
     * unless that one is a 9.
     */
    static final class Counter {

        private long value;
        private long digits; // the ASCII of value, when length > 0
        private int length; // 0: value has no digits kept (none yet, or more than eight)

        /** As {@link Decimal#put}. */
        int put(byte[] b, int at, long next) {
            int n = length;
            if (next == value + 1 && n != 0 && ((digits >>> ((n - 1) << 3)) & 0xff) != '9') {
                digits += 1L << ((n - 1) << 3);
            } else if (next >= 0 && next < EIGHT_DIGITS) {
                long d = ascii8(next);
                int zeros = leadingZeros(d);
                n = 8 - zeros;
                digits = (d + ZEROS) >>> (zeros << 3);
                length = n;
            } else {
                value = next;
                length = 0;
                return Decimal.put(b, at, next);
            }
            value = next;
            LONGS.set(b, at, digits);
            return at + n;
        }
    }

    /**
     * The leading zero digits of {@link #ascii8}'s result: its low zero bytes, at most 7 (0 is
     * printed as one digit).
     */
    private static int leadingZeros(long digits) {
        return Long.numberOfTrailingZeros(digits | (1L << 56)) >>> 3;
    }

    /**
     * The eight digits of {@code value} below 10^8, leading zeros included, as the numbers 0-9 in
     * the eight bytes of a little-endian {@code long}, most significant digit first in memory:
     * split into two groups of four, each into two pairs, each into two digits, all groups at
     * once in their lanes of the {@code long} (each lane's product stays inside it).
     */
    private static long ascii8(long value) {
        long high = value / 10_000;
        long x = high | ((value - high * 10_000) << 32); // two lanes of 32 bits, 0-9999 each
        long hundreds = ((x * 10486) >>> 20) & 0x0000_007F_0000_007FL; // lane / 100
        x = (x << 16) - hundreds * (100 * 0x1_0000 - 1); // four lanes of 16 bits, 0-99 each
        long tens = ((x * 103) >>> 10) & 0x000F_000F_000F_000FL; // lane / 10
        return (x << 8) - tens * (10 * 0x100 - 1); // eight bytes, 0-9 each
    }
}
