package dev.snapstore.dm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.snapstore.dm.SnapshotMonitor.Event;
import dev.snapstore.dm.SnapshotMonitor.EventKind;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.OptionalDouble;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SnapshotMonitorTest {

    @ParameterizedTest
    @CsvSource({
        "'24/64 16', 37.5",
        "'16/64 16', 0.0", // only metadata: empty, or a merge that finished
        "'64/64 16', 100.0",
        "'63/64 16', 98.4375",
        "'1/100000000000 0', 0.000001", // dm_make_percent nudges a partial share off 0
        "'99999999999/100000000000 16', 99.999999", // and off 100
        "Invalid, 100.0",
        "Overflow, 100.0",
    })
    void lvm2sPercent(String status, double percent) throws StatusException {
        assertEquals(percent, SnapshotPercent.of(SnapshotStatus.parse(status)).orElseThrow(), 1e-9);
    }

    @Test
    void theLegacyTwoFieldFormHasNoEmptyRule() throws StatusException {
        // Before snapshot 1.8.0 there is no metadata count, so "only metadata" cannot be seen.
        assertEquals(
                25.0, SnapshotPercent.of(SnapshotStatus.parseLegacy("16/64")).orElseThrow(), 1e-9);
    }

    @Test
    void mergeFailedAndUnknownHaveNoPercent() throws StatusException {
        assertEquals(OptionalDouble.empty(), SnapshotPercent.of(SnapshotStatus.parse("Merge failed")));
        assertEquals(OptionalDouble.empty(), SnapshotPercent.of(SnapshotStatus.parse("Unknown")));
    }

    @Test
    void libdmsMakePercent() {
        assertEquals(100_000_000, SnapshotPercent.makePercent(5, 0));
        assertEquals(0, SnapshotPercent.makePercent(0, 7));
        assertEquals(100_000_000, SnapshotPercent.makePercent(7, 7));
        assertEquals(33_333_333, SnapshotPercent.makePercent(1, 3)); // truncated, as the C cast does
    }

    /** Statuses served in order; an entry "!" fails the read. */
    private static SnapshotMonitor.StatusSource script(Deque<String> statuses) {
        return () -> {
            String next = statuses.removeFirst();
            if (next.equals("!")) {
                throw new IOException("dmsetup status: Device vg-snap not found");
            }
            return SnapshotStatus.parse(next);
        };
    }

    @Test
    void thresholdsOnceEachUpwardsStatesOnChangeAndUnreadableEveryTime() {
        Deque<String> statuses = new ArrayDeque<>(List.of(
                "16/1000 8", // 1.6 %
                "500/1000 8", // 50 %
                "812/1000 8", // 81.2 %: 80
                "830/1000 8", // nothing new
                "912/1000 8", // 91.2 %: 85 was skipped, 90 is reported once
                "700/1000 8", // fell below 80, 85 and 90: re-armed
                "820/1000 8", // 80 again
                "!",
                "!",
                "Overflow",
                "Overflow", // no change
                "1000/1000 8", // 100
                "Invalid"));
        List<Event> heard = new ArrayList<>();
        long[] now = {0};
        SnapshotMonitor monitor = new SnapshotMonitor(
                "vg-snap", script(statuses), SnapshotMonitor.DMEVENTD_THRESHOLDS, heard::add, () -> now[0]);
        List<String> lines = new ArrayList<>();
        while (!statuses.isEmpty()) {
            now[0] += 1_000_000_000L;
            for (Event e : monitor.poll()) {
                lines.add(e.kind() + (e.kind() == EventKind.THRESHOLD ? " " + e.threshold() : "") + ": " + e.message());
            }
        }
        assertEquals(
                List.of(
                        "THRESHOLD 80: WARNING: Snapshot vg-snap is now 81.20% full.",
                        "THRESHOLD 90: WARNING: Snapshot vg-snap is now 91.20% full.",
                        "THRESHOLD 80: WARNING: Snapshot vg-snap is now 82.00% full.",
                        "UNREADABLE: Snapshot vg-snap: cannot read the status: dmsetup status: Device vg-snap not found",
                        "UNREADABLE: Snapshot vg-snap: cannot read the status: dmsetup status: Device vg-snap not found",
                        "OVERFLOW: WARNING: Snapshot vg-snap changed state to: Overflow and should be removed.",
                        "THRESHOLD 100: WARNING: Snapshot vg-snap is now 100.00% full.",
                        "INVALID: WARNING: Snapshot vg-snap changed state to: Invalid and should be removed."),
                lines);
        assertEquals(lines.size(), heard.size(), "the listener heard every event");
    }

    @Test
    void eventsCarryTheForecast() {
        Deque<String> statuses = new ArrayDeque<>(List.of("600/1000 8", "700/1000 8", "800/1000 8"));
        long[] now = {0};
        List<Event> heard = new ArrayList<>();
        SnapshotMonitor monitor = new SnapshotMonitor("s", script(statuses), List.of(80), heard::add, () -> now[0]);
        for (int i = 0; i < 3; i++) {
            now[0] += 2_000_000_000L;
            monitor.poll();
        }
        assertEquals(1, heard.size());
        // 100 sectors every 2 s; 200 left at the last sample: 4 s.
        assertEquals(Duration.ofSeconds(4), heard.get(0).timeToFull().orElseThrow());
    }

    @Test
    void startPollsOnTheSchedulerUntilClosed() throws Exception {
        CountDownLatch three = new CountDownLatch(3);
        ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
        try (SnapshotMonitor monitor = new SnapshotMonitor(
                "s",
                () -> {
                    three.countDown();
                    return SnapshotStatus.parse("900/1000 8");
                },
                List.of(80),
                e -> {})) {
            monitor.start(scheduler, Duration.ofMillis(1));
            assertTrue(three.await(10, TimeUnit.SECONDS));
            assertThrows(IllegalStateException.class, () -> monitor.start(scheduler, Duration.ofMillis(1)));
        } finally {
            scheduler.shutdownNow();
        }
    }

    @Test
    void thresholdsArePercents() {
        assertThrows(IllegalArgumentException.class, () -> new SnapshotMonitor("s", () -> null, List.of(0), e -> {}));
        assertThrows(IllegalArgumentException.class, () -> new SnapshotMonitor("s", () -> null, List.of(101), e -> {}));
    }
}
