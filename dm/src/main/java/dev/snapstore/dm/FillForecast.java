package dev.snapstore.dm;

import dev.snapstore.spi.Usage;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * When a snapshot's COW will be full, forecast from a series of status samples: the least-squares
 * rate of allocation over the samples, applied to the room left at the newest one.
 *
 * <p>The forecast is a straight line: it answers "at the rate of the last samples". Feed it the
 * samples of a recent window (a monitor keeps the last few minutes); a rate of zero or less (nothing
 * written, or the COW emptied by a merge) has no forecast. Instances are immutable and thread-safe.
 *
 * @since 0.1
 */
public final class FillForecast {

    /**
     * One status sample.
     *
     * @param nanos when it was taken, on a monotonic clock ({@link System#nanoTime()})
     * @param usage the snapshot's usage then
     */
    public record Sample(long nanos, Usage usage) {
        /**
         * Checks the usage is there.
         *
         * @param nanos when
         * @param usage the usage, not null
         */
        public Sample {
            Objects.requireNonNull(usage, "usage");
        }
    }

    private final List<Sample> samples;

    private FillForecast(List<Sample> samples) {
        this.samples = samples;
    }

    /**
     * A forecast over these samples, in the order they were taken.
     *
     * @param samples the samples, oldest first; at least two for a forecast
     * @return the forecast
     * @throws IllegalArgumentException when the samples go back in time or change COW size
     */
    public static FillForecast of(List<Sample> samples) {
        List<Sample> copy = List.copyOf(samples);
        for (int i = 1; i < copy.size(); i++) {
            if (copy.get(i).nanos() < copy.get(i - 1).nanos()) {
                throw new IllegalArgumentException("samples out of order at " + i);
            }
            if (copy.get(i).usage().totalSectors() != copy.get(0).usage().totalSectors()) {
                throw new IllegalArgumentException("the COW changed size between samples (at " + i + ")");
            }
        }
        return new FillForecast(copy);
    }

    /**
     * The allocation rate, least squares over the samples.
     *
     * @return sectors per second; empty with fewer than two samples or no time between them
     */
    public Optional<Double> sectorsPerSecond() {
        if (samples.size() < 2) {
            return Optional.empty();
        }
        long t0 = samples.get(0).nanos();
        double n = samples.size();
        double sumT = 0;
        double sumA = 0;
        for (Sample s : samples) {
            sumT += (s.nanos() - t0) / 1e9;
            sumA += s.usage().allocatedSectors();
        }
        double meanT = sumT / n;
        double meanA = sumA / n;
        double covariance = 0;
        double variance = 0;
        for (Sample s : samples) {
            double dt = (s.nanos() - t0) / 1e9 - meanT;
            covariance += dt * (s.usage().allocatedSectors() - meanA);
            variance += dt * dt;
        }
        return variance == 0 ? Optional.empty() : Optional.of(covariance / variance);
    }

    /**
     * How long after the newest sample the COW fills at the current rate.
     *
     * @return the time left; {@link Duration#ZERO} when it is full already; empty when it is not
     *     filling (fewer than two samples, or a rate of zero or less)
     */
    public Optional<Duration> timeToFull() {
        if (samples.isEmpty()) {
            return Optional.empty();
        }
        Usage last = samples.get(samples.size() - 1).usage();
        long free = last.totalSectors() - last.allocatedSectors();
        if (free <= 0) {
            return Optional.of(Duration.ZERO);
        }
        Optional<Double> rate = sectorsPerSecond();
        if (rate.isEmpty() || rate.get() <= 0) {
            return Optional.empty();
        }
        double seconds = free / rate.get();
        return Optional.of(
                seconds >= Long.MAX_VALUE / 1e9
                        ? Duration.ofSeconds(Long.MAX_VALUE / 1_000_000_000L)
                        : Duration.ofNanos((long) (seconds * 1e9)));
    }

    /**
     * The samples this forecast was made from.
     *
     * @return them, oldest first, unmodifiable
     */
    public List<Sample> samples() {
        return samples;
    }
}
