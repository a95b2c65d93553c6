package dev.snapstore.dm;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The kernel's own words about a refused device-mapper call: the {@code device-mapper:} lines of
 * the kernel log ({@code dmesg}) stamped at or after a mark taken just before the call. dmsetup
 * only says "reload ioctl failed: Invalid argument"; the reason ({@code "device-mapper: table:
 * 254:3: snapshot: Couldn't create exception store (-EINVAL)"}) is in the log.
 *
 * <p>Best effort by design: {@code dmesg} missing, not permitted ({@code dmesg_restrict}) or
 * printing no timestamps gives no lines, never an error. The mark is the monotonic clock
 * ({@link System#nanoTime()} is {@code CLOCK_MONOTONIC} on Linux), which printk's timestamps follow
 * closely; a small slack covers the difference, and lines once reported are not reported again by
 * the same instance. Thread-safe.
 */
final class Dmesg {

    /** What every kernel line about device-mapper starts with ({@code DM_NAME ": "}). */
    static final String TAG = "device-mapper:";
    /** At most this many lines are reported, the last ones. */
    static final int MAX_LINES = 5;
    /** How far before the mark a line may be stamped and still count (printk's clock vs the monotonic one). */
    static final long SLACK_MICROS = 20_000;

    /** Where the log text comes from. */
    @FunctionalInterface
    interface Source {
        /**
         * Reads the kernel log as {@code dmesg} prints it.
         *
         * @return the text, or empty when it cannot be read
         */
        String read();
    }

    /** One timestamped line of the log. */
    record Entry(long micros, String message) {}

    /** Never reports anything (tests, and clients that do not want a {@code dmesg} per failure). */
    static final Dmesg NONE = new Dmesg(() -> "", () -> 0L);

    private static final Pattern LINE = Pattern.compile("^(?:<\\d+>)?\\[\\s*(\\d+)\\.(\\d{1,9})\\] ?(.*)$");

    private final Source source;
    private final LongSupplier clockMicros;
    private long reportedUpTo = Long.MIN_VALUE;

    Dmesg(Source source, LongSupplier clockMicros) {
        this.source = Objects.requireNonNull(source, "source");
        this.clockMicros = Objects.requireNonNull(clockMicros, "clockMicros");
    }

    /**
     * The log read with the {@code dmesg} on {@code PATH} (util-linux or busybox), at most 5 s.
     *
     * @return the log
     */
    static Dmesg dmesg() {
        return new Dmesg(Dmesg::runDmesg, () -> TimeUnit.NANOSECONDS.toMicros(System.nanoTime()));
    }

    private static String runDmesg() {
        try {
            ProcessRunner.Result r = ProcessRunner.execute(List.of("dmesg"), Map.of(), "", Duration.ofSeconds(5));
            return r.status() == 0 ? r.stdout() : "";
        } catch (ProcessRunner.Failure e) {
            if (e.kind() == ProcessRunner.Failure.Kind.INTERRUPTED) {
                Thread.currentThread().interrupt();
            }
            return "";
        }
    }

    /**
     * Now, on the log's clock; pass it to {@link #since} after the call.
     *
     * @return the mark in microseconds
     */
    long mark() {
        return clockMicros.getAsLong();
    }

    /**
     * The {@code device-mapper:} lines stamped since the mark, not reported before, at most
     * {@link #MAX_LINES} (the last ones).
     *
     * @param mark from {@link #mark()} before the call
     * @return the lines without their timestamps, oldest first; empty when none or unreadable
     */
    synchronized List<String> since(long mark) {
        if (this == NONE) {
            return List.of();
        }
        List<Entry> entries = select(parse(source.read()), mark, reportedUpTo);
        if (!entries.isEmpty()) {
            reportedUpTo = entries.get(entries.size() - 1).micros();
        }
        return entries.stream().map(Entry::message).toList();
    }

    /**
     * The lines to report: tagged {@link #TAG}, stamped at or after {@code mark} less the slack and
     * after {@code reportedUpTo}; the last {@link #MAX_LINES} of them.
     */
    static List<Entry> select(List<Entry> entries, long mark, long reportedUpTo) {
        List<Entry> chosen = new ArrayList<>();
        for (Entry e : entries) {
            if (e.message().startsWith(TAG) && e.micros() >= mark - SLACK_MICROS && e.micros() > reportedUpTo) {
                chosen.add(e);
            }
        }
        return List.copyOf(chosen.subList(Math.max(0, chosen.size() - MAX_LINES), chosen.size()));
    }

    /**
     * Reads {@code dmesg}'s output: {@code "[    3.722622] text"}, with an optional {@code "<6>"}
     * level in front ({@code dmesg -r}, busybox). Lines without a timestamp cannot be placed in time
     * and are left out.
     *
     * @param text the output
     * @return the timestamped lines in order
     */
    static List<Entry> parse(String text) {
        List<Entry> entries = new ArrayList<>();
        for (String line : text.split("\n")) {
            Matcher m = LINE.matcher(line.stripTrailing());
            if (!m.matches()) {
                continue;
            }
            String fraction = (m.group(2) + "000000").substring(0, 6);
            try {
                long micros = Math.addExact(
                        Math.multiplyExact(Long.parseLong(m.group(1)), 1_000_000L), Long.parseLong(fraction));
                entries.add(new Entry(micros, m.group(3)));
            } catch (ArithmeticException | NumberFormatException e) {
                // a timestamp no kernel prints: not a line we can place
            }
        }
        return List.copyOf(entries);
    }
}
