package dev.snapstore.cow.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

/** {@link Decimal} against {@link Long#toUnsignedString} and {@link Long#toString}. */
class DecimalTest {

    private static final byte GUARD = (byte) 0xa5;

    /** What {@link Decimal#put} writes at an odd offset, checked against the JDK; bytes before it untouched. */
    private static void assertUnsigned(long value) {
        byte[] b = new byte[3 + 20 + Decimal.SLACK];
        Arrays.fill(b, GUARD);
        int end = Decimal.put(b, 3, value);
        String expected = Long.toUnsignedString(value);
        assertEquals(expected, new String(b, 3, end - 3, StandardCharsets.US_ASCII), () -> "value " + value);
        assertEquals(GUARD, b[2], "a byte before the number was written");
    }

    @Test
    void everyPowerOfTenAndItsNeighbours() {
        for (long p = 1; p > 0 && p <= Long.MAX_VALUE / 10 * 10; p *= 10) {
            assertUnsigned(p - 1);
            assertUnsigned(p);
            assertUnsigned(p + 1);
        }
        for (long v : new long[] {
            0,
            9,
            99_999_999,
            100_000_000,
            9_999_999_999_999_999L,
            10_000_000_000_000_000L,
            Long.MAX_VALUE,
            Long.MIN_VALUE,
            -1,
            Long.parseUnsignedLong("10000000000000000000"),
            Long.parseUnsignedLong("9999999999999999999")
        }) {
            assertUnsigned(v);
        }
    }

    @Test
    void everyValueBelowAMillion() {
        for (long v = 0; v < 1_000_000; v++) {
            assertUnsigned(v);
        }
    }

    @Property(tries = 5000)
    void anyLong(@ForAll long value) {
        assertUnsigned(value);
    }

    @Property(tries = 2000)
    void anyNumberOfDigits(@ForAll long seed) {
        // a value of each length, not only the 19-digit ones a uniform long mostly is
        long v = seed >>> (Long.remainderUnsigned(seed, 64));
        assertUnsigned(v);
    }

    @Property(tries = 2000)
    void signedAsLongToString(@ForAll long value) {
        byte[] b = new byte[21 + Decimal.SLACK];
        int end = Decimal.putSigned(b, 0, value);
        String expected = value == Long.MIN_VALUE ? "-" + Long.toUnsignedString(value) : Long.toString(value);
        assertEquals(expected, new String(b, 0, end, StandardCharsets.US_ASCII));
    }

    @Property(tries = 300)
    void aCounterPrintsRunsAndJumpsAsTheJdk(@ForAll long seed) {
        Random random = new Random(seed);
        Decimal.Counter counter = new Decimal.Counter();
        byte[] b = new byte[20 + Decimal.SLACK];
        long value = random.nextBoolean() ? 99_999_990L : 0;
        for (int i = 0; i < 200; i++) {
            value = switch (random.nextInt(10)) {
                case 0 -> random.nextLong();
                case 1 -> 9 - random.nextInt(3);
                case 2 -> 99_999_999L - random.nextInt(3);
                default -> value + 1; // across 9s, 99s and 10^8, and above it
            };
            int end = counter.put(b, 0, value);
            assertEquals(Long.toUnsignedString(value), new String(b, 0, end, StandardCharsets.US_ASCII));
        }
    }
}
