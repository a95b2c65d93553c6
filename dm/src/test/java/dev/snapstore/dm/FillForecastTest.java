package dev.snapstore.dm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.snapstore.spi.Usage;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.Test;

class FillForecastTest {

    private static FillForecast.Sample at(double seconds, long allocated) {
        return new FillForecast.Sample((long) (seconds * 1e9), new Usage(2048, allocated, 16));
    }

    @Test
    void aSteadyRateFillsWhenTheRoomLeftIsUsedUp() {
        // 100 sectors a second from 16; at t=10 s 1016 are allocated, 1032 left: 10.32 s more.
        FillForecast f = FillForecast.of(List.of(at(0, 16), at(5, 516), at(10, 1016)));
        assertEquals(100.0, f.sectorsPerSecond().orElseThrow(), 1e-9);
        assertEquals(Duration.ofMillis(10_320), f.timeToFull().orElseThrow());
    }

    @Test
    void noGrowthOrAMergeThatEmptiesTheCowHasNoForecast() {
        assertTrue(FillForecast.of(List.of(at(0, 500), at(1, 500))).timeToFull().isEmpty());
        assertTrue(FillForecast.of(List.of(at(0, 500), at(1, 100))).timeToFull().isEmpty());
        assertTrue(FillForecast.of(List.of(at(0, 500))).timeToFull().isEmpty());
        assertTrue(FillForecast.of(List.of()).timeToFull().isEmpty());
        assertTrue(FillForecast.of(List.of(at(3, 16), at(3, 500)))
                .sectorsPerSecond()
                .isEmpty());
    }

    @Test
    void aFullCowIsFullNow() {
        assertEquals(
                Duration.ZERO,
                FillForecast.of(List.of(at(0, 2048))).timeToFull().orElseThrow());
    }

    @Test
    void samplesMustBeInOrderAndOfOneCow() {
        assertThrows(IllegalArgumentException.class, () -> FillForecast.of(List.of(at(2, 16), at(1, 32))));
        assertThrows(
                IllegalArgumentException.class,
                () -> FillForecast.of(List.of(at(0, 16), new FillForecast.Sample(1, new Usage(4096, 32, 16)))));
    }

    @Property(tries = 200)
    void anExactLineIsFoundAgain(
            @ForAll @IntRange(min = 1, max = 500) int rate,
            @ForAll @IntRange(min = 2, max = 20) int count,
            @ForAll @LongRange(min = 16, max = 1000) long start) {
        List<FillForecast.Sample> samples = new ArrayList<>();
        long total = start + (long) rate * count * 10;
        for (int i = 0; i < count; i++) {
            samples.add(new FillForecast.Sample(i * 1_000_000_000L, new Usage(total, start + (long) rate * i, 16)));
        }
        FillForecast f = FillForecast.of(samples);
        assertEquals(rate, f.sectorsPerSecond().orElseThrow(), 1e-6);
        long left = total - (start + (long) rate * (count - 1));
        assertEquals(left / (double) rate, f.timeToFull().orElseThrow().toNanos() / 1e9, 1e-6);
    }
}
