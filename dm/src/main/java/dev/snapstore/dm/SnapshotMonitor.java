package dev.snapstore.dm;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.TreeSet;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Watches a snapshot's status as lvm2's dmeventd snapshot plugin does
 * ({@code daemons/dmeventd/plugins/snapshot/dmeventd_snapshot.c}) and reports what changed to a
 * listener: each usage threshold crossed upwards (by default dmeventd's 80 % and every 5 % above),
 * and each change to {@code Overflow}, {@code Invalid} or {@code Merge failed}.
 *
 * <p>{@link #poll()} reads the status once and reports; {@link #start} polls on a scheduler until
 * {@link #close()}. A threshold is reported once and re-armed when the usage falls below it again
 * (a merge, a new COW). A status that cannot be read is reported as {@link EventKind#UNREADABLE} on
 * every failing poll. Each event carries the time-to-full forecast of the recent samples
 * ({@link FillForecast}). Polls are serialised; the listener is called on the polling thread.
 *
 * @since 0.1
 */
public final class SnapshotMonitor implements AutoCloseable {

    /** Where the status comes from: a live {@code dmsetup status}, or the userspace engine. */
    @FunctionalInterface
    public interface StatusSource {
        /**
         * Reads the snapshot's status now.
         *
         * @return the status
         * @throws Exception when it cannot be read; reported as {@link EventKind#UNREADABLE}
         */
        SnapshotStatus read() throws Exception;
    }

    /** What happened. */
    public enum EventKind {
        /** The usage reached a threshold ({@link Event#threshold()}). */
        THRESHOLD,
        /** The status became {@code Overflow}: a {@code PO} snapshot is full, still valid. */
        OVERFLOW,
        /** The status became {@code Invalid}: the snapshot is lost. */
        INVALID,
        /** The status became {@code Merge failed}. */
        MERGE_FAILED,
        /** The status could not be read. */
        UNREADABLE
    }

    /**
     * One report.
     *
     * @param kind what happened
     * @param name the snapshot's name, for messages
     * @param status the status read, or {@code null} for {@link EventKind#UNREADABLE}
     * @param percent lvm2's percent ({@link SnapshotPercent}), empty where it has none
     * @param threshold the threshold crossed, for {@link EventKind#THRESHOLD}; else 0
     * @param timeToFull the forecast at the current rate, empty when not filling
     * @param error why the status could not be read, for {@link EventKind#UNREADABLE}; else {@code null}
     */
    public record Event(
            EventKind kind,
            String name,
            SnapshotStatus status,
            OptionalDouble percent,
            int threshold,
            Optional<Duration> timeToFull,
            String error) {

        /**
         * The line dmeventd would log for this event, where it has one.
         *
         * @return e.g. {@code "WARNING: Snapshot vg-snap is now 81.25% full."}
         */
        public String message() {
            return switch (kind) {
                case THRESHOLD ->
                    String.format(Locale.ROOT, "WARNING: Snapshot %s is now %.2f%% full.", name, percent.orElse(100.0));
                case OVERFLOW, INVALID, MERGE_FAILED ->
                    "WARNING: Snapshot " + name + " changed state to: " + status.format() + " and should be removed.";
                case UNREADABLE -> "Snapshot " + name + ": cannot read the status: " + error;
            };
        }
    }

    /** Receives the events. */
    @FunctionalInterface
    public interface Listener {
        /**
         * Called for each event, on the polling thread.
         *
         * @param event the event
         */
        void onEvent(Event event);
    }

    /** dmeventd's {@code WARNING_THRESH} and {@code CHECK_STEP}: 80 %, then every 5 %. */
    public static final List<Integer> DMEVENTD_THRESHOLDS = List.of(80, 85, 90, 95, 100);

    /** How many recent samples the forecast uses. */
    static final int FORECAST_SAMPLES = 16;

    private final String name;
    private final StatusSource source;
    private final Listener listener;
    private final TreeSet<Integer> thresholds;
    private final LongSupplier clock;
    private final Deque<FillForecast.Sample> samples = new ArrayDeque<>();
    private final TreeSet<Integer> reported = new TreeSet<>();
    private SnapshotStatus.Kind lastKind = SnapshotStatus.Kind.USAGE;
    private ScheduledFuture<?> task;

    /**
     * A monitor of one snapshot, polled with {@link #poll()}.
     *
     * @param name the snapshot's name, for messages
     * @param source where its status comes from
     * @param thresholds percents to report when reached, e.g. {@link #DMEVENTD_THRESHOLDS}
     * @param listener who hears about it
     */
    public SnapshotMonitor(String name, StatusSource source, List<Integer> thresholds, Listener listener) {
        this(name, source, thresholds, listener, System::nanoTime);
    }

    SnapshotMonitor(String name, StatusSource source, List<Integer> thresholds, Listener listener, LongSupplier clock) {
        this.name = Objects.requireNonNull(name, "name");
        this.source = Objects.requireNonNull(source, "source");
        this.listener = Objects.requireNonNull(listener, "listener");
        this.clock = clock;
        this.thresholds = new TreeSet<>(thresholds);
        for (int t : this.thresholds) {
            if (t <= 0 || t > 100) {
                throw new IllegalArgumentException("a threshold is a percent from 1 to 100, not " + t);
            }
        }
    }

    /**
     * Polls every {@code interval} on the scheduler until {@link #close()}.
     *
     * @param scheduler where the polls run
     * @param interval the time between polls
     * @return this monitor
     * @throws IllegalStateException when it is started already
     */
    public synchronized SnapshotMonitor start(ScheduledExecutorService scheduler, Duration interval) {
        if (task != null) {
            throw new IllegalStateException("the monitor of " + name + " is running already");
        }
        long nanos = interval.toNanos();
        task = scheduler.scheduleWithFixedDelay(this::poll, 0, nanos, TimeUnit.NANOSECONDS);
        return this;
    }

    /**
     * Reads the status once and reports what changed since the last poll.
     *
     * @return the events reported by this poll, in order
     */
    public synchronized List<Event> poll() {
        List<Event> events = new ArrayList<>();
        SnapshotStatus status;
        try {
            status = source.read();
        } catch (Exception e) {
            String why = e.getMessage() == null ? e.toString() : e.getMessage();
            events.add(new Event(EventKind.UNREADABLE, name, null, OptionalDouble.empty(), 0, Optional.empty(), why));
            events.forEach(listener::onEvent);
            return events;
        }
        OptionalDouble percent = SnapshotPercent.of(status);
        Optional<Duration> forecast = Optional.empty();
        if (status.kind() == SnapshotStatus.Kind.USAGE) {
            samples.addLast(new FillForecast.Sample(clock.getAsLong(), status.usage()));
            while (samples.size() > FORECAST_SAMPLES
                    || samples.getFirst().usage().totalSectors()
                            != status.usage().totalSectors()) {
                samples.removeFirst(); // old samples, or those of a COW of another size
            }
            forecast = FillForecast.of(List.copyOf(samples)).timeToFull();
        }
        EventKind stateEvent =
                switch (status.kind()) {
                    case OVERFLOW -> EventKind.OVERFLOW;
                    case INVALID -> EventKind.INVALID;
                    case MERGE_FAILED -> EventKind.MERGE_FAILED;
                    default -> null;
                };
        if (stateEvent != null && status.kind() != lastKind) {
            events.add(new Event(stateEvent, name, status, percent, 0, forecast, null));
        }
        lastKind = status.kind();
        if (status.kind() == SnapshotStatus.Kind.USAGE && percent.isPresent()) {
            double p = percent.getAsDouble();
            reported.removeIf(t -> p < t); // re-arm what the usage fell below
            Integer crossed = thresholds.floor((int) Math.floor(p));
            if (crossed != null && !reported.contains(crossed)) {
                reported.addAll(thresholds.headSet(crossed, true));
                events.add(new Event(EventKind.THRESHOLD, name, status, percent, crossed, forecast, null));
            }
        }
        events.forEach(listener::onEvent);
        return events;
    }

    /** Stops polling; a poll in progress finishes. Idempotent. */
    @Override
    public synchronized void close() {
        if (task != null) {
            task.cancel(false);
        }
    }
}
