package dev.snapstore.dm;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.LongSupplier;

/**
 * Waits for a running {@code snapshot-merge} to end, as lvm2's {@code lvconvert --merge} polls it
 * ({@code tools/lvconvert_poll.c}): it reads the merging origin's status every interval, reports
 * each reading to a listener, and when the kernel says the merge is done (allocated == metadata
 * sectors) gives the origin its own table back and removes the snapshot and {@code -real}
 * ({@link SnapshotActivator#finishMerge}). Made by {@link SnapshotActivator#merge} (start and
 * wait) or {@link SnapshotActivator#watchMerge} (wait for a merge started earlier, e.g. by a
 * process that died).
 *
 * <p>{@link #future()} completes
 * <ul>
 * <li>normally with {@link Merged} once the origin is back on its own table;
 * <li>exceptionally with {@link MergeFailedException} when the status says {@code Merge failed},
 *     {@code Invalid} or anything but progress (the devices are left as they are, for a person to
 *     look at, as lvm2 does);
 * <li>exceptionally with {@link TimeoutException} when the timeout passes first;
 * <li>exceptionally with {@link DeviceMapperException} when the status cannot be read or a finishing
 *     step fails;
 * <li>cancelled by {@link #cancel()} (or by cancelling the future).
 * </ul>
 * <b>What a timeout or a cancel leaves:</b> the watch stops polling and changes nothing. The merge
 * goes on in the kernel (it cannot be stopped there): the origin stays {@code snapshot-merge} of
 * {@code -real}, the snapshot an {@code error} device. A later {@link SnapshotActivator#watchMerge}
 * (in this process or another) attaches to it again and finishes it. A cancel never interrupts the
 * finishing steps half way: {@link #cancel()} waits for a poll in progress.
 *
 * <p>Polls run on the given scheduler, one at a time; the listener is called on its thread, and a
 * listener that throws ends the watch with that exception (the merge goes on). Completing the future
 * from outside also stops the polling. Thread-safe.
 *
 * @since 0.2
 */
public final class MergeWatch {

    /**
     * One reading of the merge's progress.
     *
     * @param origin the merging origin
     * @param status the origin's {@code snapshot-merge} status
     * @param percent how much of the data that was in the COW at the watch's first poll has been
     *     merged, 0 to 100 ({@link MergePercent}, Android's computation); a watch attached to a merge
     *     under way counts from its own start
     * @param lvm2Percent what {@code lvconvert --merge} prints as "Merged": 100 less lvm2's snapshot
     *     percent ({@link SnapshotPercent}), i.e. the share of the whole COW not holding data
     * @param sectorsLeft the data sectors still to merge (allocated less metadata)
     */
    public record Update(String origin, SnapshotStatus status, double percent, double lvm2Percent, long sectorsLeft) {}

    /**
     * A merge that ended well.
     *
     * @param origin the origin, now on its own table again
     * @param snapshot the snapshot that was merged and removed, or empty when it was not known
     * @param status the last status read, the one that said done
     * @param polls how many times the status was read
     */
    public record Merged(String origin, Optional<String> snapshot, SnapshotStatus status, int polls) {}

    /** Receives the progress. */
    @FunctionalInterface
    public interface Listener {
        /**
         * Called after each reading of a merge in progress, on the polling thread, including the
         * last one (percent 100) before the finishing steps.
         *
         * @param update the reading
         */
        void onUpdate(Update update);
    }

    /**
     * How to wait.
     *
     * @param interval the time between polls, positive
     * @param timeout how long to wait at most, or empty for no limit
     * @param listener who hears the progress
     */
    public record Options(Duration interval, Optional<Duration> timeout, Listener listener) {

        /**
         * Checks the options.
         *
         * @param interval the time between polls, positive
         * @param timeout the limit, positive when given
         * @param listener the listener
         */
        public Options {
            Objects.requireNonNull(interval, "interval");
            Objects.requireNonNull(timeout, "timeout");
            Objects.requireNonNull(listener, "listener");
            if (interval.isZero() || interval.isNegative()) {
                throw new IllegalArgumentException("the poll interval must be positive, not " + interval);
            }
            if (timeout.isPresent() && (timeout.get().isZero() || timeout.get().isNegative())) {
                throw new IllegalArgumentException("the timeout must be positive, not " + timeout.get());
            }
        }

        /**
         * A poll a second, no timeout, nobody listening.
         *
         * @return the options
         */
        public static Options defaults() {
            return new Options(Duration.ofSeconds(1), Optional.empty(), update -> {});
        }

        /**
         * These options with another interval.
         *
         * @param value the time between polls
         * @return the options
         */
        public Options withInterval(Duration value) {
            return new Options(value, timeout, listener);
        }

        /**
         * These options with a timeout.
         *
         * @param value how long to wait at most
         * @return the options
         */
        public Options withTimeout(Duration value) {
            return new Options(interval, Optional.of(value), listener);
        }

        /**
         * These options with a listener.
         *
         * @param value who hears the progress
         * @return the options
         */
        public Options withListener(Listener value) {
            return new Options(interval, timeout, value);
        }
    }

    /** Runs a task after a delay; the seam that lets tests run the polls with a fake clock. */
    @FunctionalInterface
    interface Scheduler {
        /**
         * Schedules a task.
         *
         * @param task what to run
         * @param delayNanos after how long
         * @return cancels the task if it has not started
         */
        Runnable schedule(Runnable task, long delayNanos);

        static Scheduler of(ScheduledExecutorService executor) {
            Objects.requireNonNull(executor, "scheduler");
            return (task, delay) -> {
                var scheduled = executor.schedule(task, delay, TimeUnit.NANOSECONDS);
                return () -> scheduled.cancel(false);
            };
        }
    }

    private final SnapshotActivator activator;
    private final String origin;
    private final Optional<String> snapshot;
    private final Scheduler scheduler;
    private final LongSupplier clock;
    private final Options options;
    private final long started;
    private final CompletableFuture<Merged> future = new CompletableFuture<>();
    private long sectorsInitial;
    private int polls;
    private Runnable pending = () -> {};

    private MergeWatch(
            SnapshotActivator activator,
            String origin,
            Optional<String> snapshot,
            Scheduler scheduler,
            LongSupplier clock,
            Options options) {
        this.activator = activator;
        this.origin = origin;
        this.snapshot = snapshot;
        this.scheduler = scheduler;
        this.clock = clock;
        this.options = options;
        this.started = clock.getAsLong();
    }

    /** Starts watching: the first poll at once, on the scheduler. */
    static MergeWatch start(
            SnapshotActivator activator,
            String origin,
            Optional<String> snapshot,
            Scheduler scheduler,
            LongSupplier clock,
            Options options) {
        MergeWatch watch = new MergeWatch(
                Objects.requireNonNull(activator, "activator"),
                Objects.requireNonNull(origin, "origin"),
                Objects.requireNonNull(snapshot, "snapshot"),
                Objects.requireNonNull(scheduler, "scheduler"),
                Objects.requireNonNull(clock, "clock"),
                Objects.requireNonNull(options, "options"));
        // Whoever completes the future (cancel, a caller's complete), no further poll is made.
        watch.future.whenComplete((merged, failure) -> watch.stopPolling());
        watch.schedule(0);
        return watch;
    }

    /**
     * The merging origin.
     *
     * @return its device name
     */
    public String origin() {
        return origin;
    }

    /**
     * The snapshot being merged, when known: its device (an {@code error} table during the merge)
     * is removed at the end.
     *
     * @return its device name, or empty
     */
    public Optional<String> snapshot() {
        return snapshot;
    }

    /**
     * The end of the wait; see the class comment for how it completes.
     *
     * @return the future, the same one on every call
     */
    public CompletableFuture<Merged> future() {
        return future;
    }

    /**
     * Stops waiting, after a poll in progress has finished (so the finishing steps are never cut
     * short). The merge goes on in the kernel; see the class comment for the state left.
     *
     * @return {@code true} when this cancelled the wait, {@code false} when it had ended already
     */
    public boolean cancel() {
        synchronized (this) {
            return !future.isDone() && future.cancel(false);
        }
    }

    private synchronized void stopPolling() {
        pending.run();
    }

    private synchronized void schedule(long delayNanos) {
        if (!future.isDone()) {
            pending = scheduler.schedule(this::poll, delayNanos);
        }
    }

    /** One reading; schedules the next unless the wait has ended. */
    synchronized void poll() {
        if (future.isDone()) {
            return;
        }
        try {
            Optional<Merged> merged = step();
            if (merged.isPresent()) {
                future.complete(merged.get());
                return;
            }
        } catch (DeviceMapperException | RuntimeException e) {
            future.completeExceptionally(e);
            return;
        }
        long elapsed = clock.getAsLong() - started;
        long interval = options.interval().toNanos();
        if (options.timeout().isPresent()) {
            long left = options.timeout().get().toNanos() - elapsed;
            if (left <= 0) {
                future.completeExceptionally(new TimeoutException("the merge into " + origin
                        + " did not finish within " + describe(options.timeout().get())
                        + "; it goes on in the kernel, and waiting again finishes it"));
                return;
            }
            interval = Math.min(interval, left);
        }
        schedule(interval);
    }

    private Optional<Merged> step() throws DeviceMapperException {
        List<String> lines = activator.deviceMapper().status(origin);
        SnapshotStatus status;
        try {
            if (lines.size() != 1) {
                throw new StatusException(lines.size() + " status lines");
            }
            StatusLine line = StatusLine.parse(lines.get(0));
            if (line.kind() != TargetKind.SNAPSHOT_MERGE) {
                throw new StatusException("a " + line.kind().targetName() + " target, not snapshot-merge");
            }
            status = line.status();
        } catch (StatusException e) {
            throw new DeviceMapperException(origin + " is not merging a snapshot: " + e.getMessage(), e);
        }
        polls++;
        if (status.kind() != SnapshotStatus.Kind.USAGE) {
            throw new MergeFailedException(origin, status);
        }
        if (polls == 1) {
            sectorsInitial = status.usage().allocatedSectors();
        }
        long left = status.usage().allocatedSectors() - status.usage().metadataSectors();
        double lvm2 = 100.0 - SnapshotPercent.of(status).orElse(100.0);
        // Android's formula answers 0 when nothing moved since the first poll, also for a merge found done.
        double percent = status.isMergeFinished() ? 100.0 : MergePercent.of(status.usage(), sectorsInitial);
        options.listener().onUpdate(new Update(origin, status, percent, lvm2, left));
        if (!status.isMergeFinished()) {
            return Optional.empty();
        }
        activator.finishMerge(origin, snapshot.orElse(null));
        return Optional.of(new Merged(origin, snapshot, status, polls));
    }

    private static String describe(Duration d) {
        long ms = d.toMillis();
        return ms % 1000 == 0 ? ms / 1000 + " s" : ms + " ms";
    }
}
