package dev.snapstore.dm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.PriorityQueue;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

/**
 * The merge wait on the recording fake, with a fake clock: each scripted status is what the kernel
 * says at the next poll. Progress, the end (origin on its own table, snapshot and -real gone),
 * Merge failed, Invalid, timeout, cancel, and a new "process" picking up a merge under way.
 */
class MergeWatchTest {

    private static final String LINEAR = "0 8192 linear /dev/vdb 0";
    private static final Duration SECOND = Duration.ofSeconds(1);

    /** Runs scheduled tasks in time order, moving a clock; nothing runs unless a test says so. */
    private static final class FakeScheduler implements MergeWatch.Scheduler {
        private record Task(long at, long order, Runnable run) {}

        private final PriorityQueue<Task> tasks =
                new PriorityQueue<>((a, b) -> a.at != b.at ? Long.compare(a.at, b.at) : Long.compare(a.order, b.order));
        private long now;
        private long order;

        @Override
        public Runnable schedule(Runnable task, long delayNanos) {
            Task t = new Task(now + delayNanos, order++, task);
            tasks.add(t);
            return () -> tasks.remove(t);
        }

        long now() {
            return now;
        }

        int pending() {
            return tasks.size();
        }

        /** Runs the next task, moving the clock to its time. */
        void runNext() {
            Task t = tasks.poll();
            if (t == null) {
                throw new AssertionError("nothing scheduled");
            }
            now = t.at;
            t.run.run();
        }
    }

    private final FakeScheduler scheduler = new FakeScheduler();
    private final List<MergeWatch.Update> updates = new ArrayList<>();
    private final MergeWatch.Options options =
            MergeWatch.Options.defaults().withInterval(SECOND).withListener(updates::add);

    private static RecordingDeviceMapper mergeable() throws Exception {
        RecordingDeviceMapper dm = new RecordingDeviceMapper(
                TargetVersions.parse("snapshot v1.16.0\nsnapshot-origin v1.9.0\nsnapshot-merge v1.5.0\n"));
        dm.create("vol", List.of(LINEAR), false);
        new SnapshotActivator(dm).activate("vol", "/dev/vdc", "snap", 8, Optional.of("P"));
        return dm;
    }

    private void poll(RecordingDeviceMapper dm, String status) {
        dm.setStatus("vol", List.of("0 8192 snapshot-merge " + status));
        scheduler.runNext();
    }

    private static void assertMergedAway(RecordingDeviceMapper dm) throws Exception {
        assertEquals(List.of(LINEAR), dm.table("vol"));
        assertFalse(dm.exists("snap"));
        assertFalse(dm.exists("vol-real"));
    }

    private static void assertStillMerging(RecordingDeviceMapper dm) throws Exception {
        assertEquals("snapshot-merge", dm.table("vol").get(0).split(" ")[2]);
        assertEquals(List.of("0 8192 error"), dm.table("snap"));
        assertTrue(dm.exists("vol-real"));
        assertFalse(dm.info("vol").orElseThrow().suspended());
    }

    @Test
    void progressThenDoneFinishesTheMergeAsLvm2Does() throws Exception {
        RecordingDeviceMapper dm = mergeable();
        MergeWatch watch = new SnapshotActivator(dm).merge("snap", scheduler, scheduler::now, options);
        assertEquals("vol", watch.origin());
        assertEquals(Optional.of("snap"), watch.snapshot());
        assertStillMerging(dm);
        poll(dm, "48/2048 16");
        poll(dm, "32/2048 16");
        assertFalse(watch.future().isDone());
        assertEquals(2 * SECOND.toNanos(), scheduler.tasks.peek().at(), "polled every interval");
        poll(dm, "16/2048 16");
        MergeWatch.Merged merged = watch.future().getNow(null);
        assertEquals(new MergeWatch.Merged("vol", Optional.of("snap"), SnapshotStatus.parse("16/2048 16"), 3), merged);
        assertEquals(
                List.of(0.0, 50.0, 100.0),
                updates.stream().map(MergeWatch.Update::percent).toList());
        assertEquals(
                List.of(32L, 16L, 0L),
                updates.stream().map(MergeWatch.Update::sectorsLeft).toList());
        // lvconvert's "Merged:" is 100 less dm_make_percent(allocated, total): 48/2048 is 2.34375 %.
        assertEquals(97.65625, updates.get(0).lvm2Percent(), 1e-9);
        assertEquals(100.0, updates.get(2).lvm2Percent());
        assertMergedAway(dm);
        assertEquals(0, scheduler.pending(), "no poll after the end");
    }

    @Test
    void mergeFailedCompletesExceptionallyAndLeavesTheDevices() throws Exception {
        RecordingDeviceMapper dm = mergeable();
        MergeWatch watch = new SnapshotActivator(dm).merge("snap", scheduler, scheduler::now, options);
        poll(dm, "48/2048 16");
        poll(dm, "Merge failed");
        ExecutionException e =
                assertThrows(ExecutionException.class, () -> watch.future().get());
        MergeFailedException failed = assertInstanceOf(MergeFailedException.class, e.getCause());
        assertEquals("vol: Merge failed. Retry merge or inspect manually.", failed.getMessage());
        assertEquals(SnapshotStatus.MERGE_FAILED, failed.status());
        assertEquals(1, failed.exitStatus(), "a kernel refusal, not bad input");
        assertStillMerging(dm);
        assertEquals(0, scheduler.pending());
    }

    @Test
    void anInvalidSnapshotAbortsTheWait() throws Exception {
        RecordingDeviceMapper dm = mergeable();
        MergeWatch watch = new SnapshotActivator(dm).merge("snap", scheduler, scheduler::now, options);
        poll(dm, "Invalid");
        ExecutionException e =
                assertThrows(ExecutionException.class, () -> watch.future().get());
        assertEquals(
                "vol: Merging snapshot invalidated. Aborting merge.",
                e.getCause().getMessage());
        assertTrue(updates.isEmpty());
        assertStillMerging(dm);
    }

    @Test
    void aTimeoutStopsWaitingAndANewWatchFinishesTheMerge() throws Exception {
        RecordingDeviceMapper dm = mergeable();
        MergeWatch watch = new SnapshotActivator(dm)
                .merge("snap", scheduler, scheduler::now, options.withTimeout(Duration.ofMillis(2500)));
        poll(dm, "48/2048 16");
        poll(dm, "40/2048 16");
        poll(dm, "36/2048 16");
        assertFalse(watch.future().isDone());
        assertEquals(2_500_000_000L, scheduler.tasks.peek().at(), "the last poll at the timeout, not after it");
        poll(dm, "34/2048 16");
        ExecutionException e =
                assertThrows(ExecutionException.class, () -> watch.future().get());
        assertInstanceOf(TimeoutException.class, e.getCause());
        assertTrue(
                e.getCause().getMessage().contains("goes on in the kernel"),
                e.getCause().getMessage());
        assertEquals(0, scheduler.pending());
        assertStillMerging(dm);

        MergeWatch again = new SnapshotActivator(dm).watchMerge("snap", scheduler, scheduler::now, options);
        poll(dm, "16/2048 16");
        assertEquals("vol", again.future().getNow(null).origin());
        assertMergedAway(dm);
    }

    @Test
    void cancelStopsPollingAndLeavesTheMergeRunning() throws Exception {
        RecordingDeviceMapper dm = mergeable();
        MergeWatch watch = new SnapshotActivator(dm).merge("snap", scheduler, scheduler::now, options);
        poll(dm, "48/2048 16");
        int calls = dm.calls().size();
        assertTrue(watch.cancel());
        assertFalse(watch.cancel(), "once");
        assertThrows(CancellationException.class, () -> watch.future().get());
        assertEquals(0, scheduler.pending());
        assertEquals(calls, dm.calls().size(), "cancel itself touches no device");
        assertStillMerging(dm);
    }

    @Test
    void cancellingTheFutureStopsPollingToo() throws Exception {
        RecordingDeviceMapper dm = mergeable();
        MergeWatch watch = new SnapshotActivator(dm).merge("snap", scheduler, scheduler::now, options);
        poll(dm, "48/2048 16");
        assertTrue(watch.future().cancel(true));
        assertEquals(0, scheduler.pending());
        watch.poll(); // a poll already on its way does nothing
        assertStillMerging(dm);
    }

    @Test
    void aNewProcessFindsTheMergeFromTheSnapshotOrTheOrigin() throws Exception {
        RecordingDeviceMapper dm = mergeable();
        new SnapshotActivator(dm).startMerge("snap");
        // The process that started it is gone: all that is left is the kernel's tables.
        SnapshotActivator fresh = new SnapshotActivator(dm);
        assertEquals(Optional.of(new SnapshotActivator.Merging("vol", Optional.of("snap"))), fresh.findMerge("snap"));
        assertEquals(Optional.of(new SnapshotActivator.Merging("vol", Optional.of("snap"))), fresh.findMerge("vol"));
        assertEquals(Optional.empty(), fresh.findMerge("vol-real"));
        assertEquals(Optional.empty(), fresh.findMerge("nosuch"));

        MergeWatch watch = fresh.watchMerge("vol", scheduler, scheduler::now, options);
        assertEquals(Optional.of("snap"), watch.snapshot());
        poll(dm, "24/2048 16");
        poll(dm, "16/2048 16");
        assertEquals(
                List.of(0.0, 100.0),
                updates.stream().map(MergeWatch.Update::percent).toList());
        assertTrue(watch.future().isDone());
        assertMergedAway(dm);
    }

    @Test
    void aMergeThatEndedWhileNobodyWaitedIsFinishedAtTheFirstPoll() throws Exception {
        RecordingDeviceMapper dm = mergeable();
        new SnapshotActivator(dm).startMerge("snap");
        MergeWatch watch = new SnapshotActivator(dm).watchMerge("snap", scheduler, scheduler::now, options);
        poll(dm, "16/2048 16");
        assertEquals(1, watch.future().getNow(null).polls());
        assertEquals(100.0, updates.get(0).percent());
        assertMergedAway(dm);
    }

    @Test
    void nothingToWaitForIsBadInput() throws Exception {
        RecordingDeviceMapper dm = mergeable();
        SnapshotActivator activator = new SnapshotActivator(dm);
        assertEquals(Optional.empty(), activator.findMerge("snap"), "a snapshot, not merging");
        DeviceMapperException e = assertThrows(
                DeviceMapperException.class, () -> activator.watchMerge("snap", scheduler, scheduler::now, options));
        assertEquals(-1, e.exitStatus());
        assertEquals("snap is not a snapshot being merged, nor an origin merging one", e.getMessage());
        assertEquals(0, scheduler.pending());
    }

    @Test
    void anUnreadableStatusEndsTheWaitWithTheDeviceMappersError() throws Exception {
        RecordingDeviceMapper dm = mergeable();
        MergeWatch watch = new SnapshotActivator(dm).merge("snap", scheduler, scheduler::now, options);
        dm.failNext("status vol", "dmsetup status vol failed: Permission denied");
        scheduler.runNext();
        ExecutionException e =
                assertThrows(ExecutionException.class, () -> watch.future().get());
        assertInstanceOf(DeviceMapperException.class, e.getCause());
        assertStillMerging(dm);
    }

    @Test
    void aListenerThatThrowsEndsTheWait() throws Exception {
        RecordingDeviceMapper dm = mergeable();
        MergeWatch watch = new SnapshotActivator(dm)
                .merge("snap", scheduler, scheduler::now, options.withListener(u -> {
                    throw new IllegalStateException("listener broke");
                }));
        poll(dm, "16/2048 16");
        ExecutionException e =
                assertThrows(ExecutionException.class, () -> watch.future().get());
        assertEquals("listener broke", e.getCause().getMessage());
        assertStillMerging(dm);
    }

    @Test
    void optionsAreChecked() {
        assertThrows(IllegalArgumentException.class, () -> MergeWatch.Options.defaults()
                .withInterval(Duration.ZERO));
        assertThrows(IllegalArgumentException.class, () -> MergeWatch.Options.defaults()
                .withTimeout(Duration.ofSeconds(-1)));
    }

    @Test
    void onARealSchedulerTheFutureCompletes() throws Exception {
        RecordingDeviceMapper dm = mergeable();
        ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor();
        try {
            SnapshotActivator activator = new SnapshotActivator(dm);
            activator.startMerge("snap");
            dm.setStatus("vol", List.of("0 8192 snapshot-merge 16/2048 16"));
            MergeWatch.Merged merged = activator
                    .watchMerge("snap", executor, options.withInterval(Duration.ofMillis(10)))
                    .future()
                    .get(10, TimeUnit.SECONDS);
            assertEquals("vol", merged.origin());
            assertMergedAway(dm);
        } finally {
            executor.shutdownNow();
        }
    }
}
