package dev.snapstore.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.snapstore.dm.DeviceMapper;
import dev.snapstore.dm.DeviceMapperException;
import dev.snapstore.dm.MergeWatch;
import dev.snapstore.dm.SnapshotActivator;
import dev.snapstore.dm.TableLine;
import dev.snapstore.dm.TargetKind;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeoutException;
import org.apache.commons.cli.CommandLine;

/**
 * {@code snapstore dm merge NAME [--wait] [--timeout SECONDS] [--interval SECONDS] [--json]}: starts
 * merging a snapshot into its origin ({@link SnapshotActivator#startMerge}) and, with {@code --wait},
 * waits for the kernel to finish and gives the origin its own table back ({@link MergeWatch}). On a
 * snapshot (or origin) already merging it starts nothing: {@code --wait} attaches to that merge.
 */
final class DmMerge {

    /** lvm2 polls every 15 s; a merge of a small COW is over in well under that. */
    private static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(1);
    /** The bar counts hundredths of a percent. */
    private static final long BAR_MAX = 10_000;

    private DmMerge() {}

    static ExitStatus run(DeviceMapper dm, String name, CommandLine line, Io io)
            throws CliException, DeviceMapperException {
        boolean wait = line.hasOption("wait");
        boolean json = line.hasOption("json");
        Optional<Duration> timeout = seconds(line, "timeout");
        Duration interval = seconds(line, "interval").orElse(DEFAULT_INTERVAL);
        if (timeout.isPresent() && !wait) {
            throw CliException.usage("dm merge: --timeout only applies with --wait");
        }
        if (!dm.exists(name)) {
            throw CliException.usage("dm merge: no device " + name);
        }
        SnapshotActivator activator = new SnapshotActivator(dm);
        Optional<TableLine> table = activator.snapshotLine(name);
        boolean start = table.isPresent() && table.get().kind() == TargetKind.SNAPSHOT;
        Optional<SnapshotActivator.Merging> running = start ? Optional.empty() : activator.findMerge(name);
        if (!start && running.isEmpty()) {
            throw CliException.usage("dm merge: " + name + " is neither a snapshot nor a merge under way");
        }
        if (!wait) {
            String origin = start ? activator.startMerge(name) : running.get().origin();
            if (json) {
                Json.print(
                        io,
                        Json.object()
                                .put("name", name)
                                .put("origin", origin)
                                .put("state", "merging")
                                .put("started", start));
            } else {
                io.out()
                        .println(name + ": " + (start ? "merging" : "already merging") + " into " + origin
                                + " ('snapstore dm merge " + name + " --wait' waits for the end and finishes it)");
            }
            return ExitStatus.OK;
        }
        MergeWatch.Options options = new MergeWatch.Options(interval, timeout, update -> {});
        ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "dm-merge-poll");
            t.setDaemon(true);
            return t;
        });
        try (Progress bar = Progress.start(io, "Merging " + name, BAR_MAX, "%", BAR_MAX / 100)) {
            long[] shown = {-1};
            options = options.withListener(update -> {
                long whole = (long) Math.floor(update.percent());
                if (bar.drawn() || (!json && whole != shown[0])) {
                    shown[0] = whole;
                    report(io, name, update, bar);
                }
            });
            MergeWatch watch =
                    start ? activator.merge(name, scheduler, options) : activator.watchMerge(name, scheduler, options);
            MergeWatch.Merged merged = await(watch);
            bar.stepTo(BAR_MAX);
            if (json) {
                ObjectNode root = Json.object()
                        .put("name", name)
                        .put("origin", merged.origin())
                        .put("state", "merged")
                        .put("started", start)
                        .put("status", merged.status().format())
                        .put("polls", merged.polls());
                Json.print(io, root);
            } else {
                io.out()
                        .println(name + ": merged into " + merged.origin() + "; " + merged.origin()
                                + " is on its own table again");
            }
            return ExitStatus.OK;
        } finally {
            scheduler.shutdownNow();
        }
    }

    private static MergeWatch.Merged await(MergeWatch watch) throws CliException, DeviceMapperException {
        try {
            return watch.future().get();
        } catch (InterruptedException e) {
            watch.cancel();
            Thread.currentThread().interrupt();
            throw CliException.no("dm merge: interrupted; the merge into " + watch.origin() + " goes on in the kernel");
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof DeviceMapperException d) {
                throw d;
            }
            if (cause instanceof TimeoutException) {
                throw CliException.no("dm merge: " + cause.getMessage() + " ('snapstore dm merge "
                        + watch.snapshot().orElse(watch.origin()) + " --wait')");
            }
            throw new CliException(ExitStatus.INTERNAL, "dm merge: " + cause, cause);
        }
    }

    /** A bar on a terminal; else a plain line (each time the whole percent moves; none with --json). */
    private static void report(Io io, String name, MergeWatch.Update update, Progress bar) {
        if (bar.drawn()) {
            bar.stepTo(Math.round(update.percent() * (BAR_MAX / 100)));
        } else {
            io.out()
                    .printf(
                            Locale.ROOT,
                            "%s: %.2f%% merged into %s (%d sectors left)%n",
                            name,
                            update.percent(),
                            update.origin(),
                            update.sectorsLeft());
            io.out().flush();
        }
    }

    private static Optional<Duration> seconds(CommandLine line, String option) throws CliException {
        String value = line.getOptionValue(option);
        if (value == null) {
            return Optional.empty();
        }
        try {
            BigDecimal s = new BigDecimal(value);
            if (s.signum() <= 0 || s.compareTo(BigDecimal.valueOf(365L * 24 * 3600)) > 0) {
                throw new NumberFormatException();
            }
            long nanos = s.movePointRight(9).longValue();
            if (nanos <= 0) {
                throw new NumberFormatException();
            }
            return Optional.of(Duration.ofNanos(nanos));
        } catch (NumberFormatException | ArithmeticException e) {
            throw CliException.usage(
                    "dm merge: --" + option + " wants a positive number of seconds, not '" + value + "'");
        }
    }
}
