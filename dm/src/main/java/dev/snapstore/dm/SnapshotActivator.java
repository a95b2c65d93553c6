package dev.snapstore.dm;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.LongSupplier;

/**
 * Puts a {@code snapshot} on an existing device and takes it away again, in lvm2's order of
 * device-mapper operations (fixture {@code s7-lvm2}): the origin's own table moves to a new device
 * {@code <origin>-real}, the origin gets {@code snapshot-origin <origin>-real}, and the snapshot
 * {@code snapshot <origin>-real COW TYPE CHUNK} is created suspended; then the origin is suspended,
 * the snapshot resumed and the origin resumed last, so that the origin's resume sees the snapshot and
 * splits its writes at the snapshot's chunk size. Further snapshots of the same origin share
 * {@code -real}. {@link #remove} takes a snapshot away; with the last one the origin gets its own
 * table back and {@code -real} goes.
 *
 * <p>Each failed step rolls back the steps before it, so the devices and tables are as they were
 * before the call; the exception's message names the step and carries the kernel's words
 * ({@code dmsetup}'s stderr). A request that cannot be carried out (no such origin, a name taken) is
 * a {@link DeviceMapperException} whose {@link DeviceMapperException#exitStatus()} is -1, thrown
 * before anything changes. Not safe against other managers changing the same devices meanwhile.
 *
 * @since 0.1
 */
public final class SnapshotActivator {

    /** The suffix lvm2 gives the device that keeps the origin's own table. */
    public static final String REAL_SUFFIX = "-real";

    private final DeviceMapper dm;

    /**
     * An activator working through the given client.
     *
     * @param dm the device-mapper client
     */
    public SnapshotActivator(DeviceMapper dm) {
        this.dm = Objects.requireNonNull(dm, "dm");
    }

    /**
     * What {@link #activate} did.
     *
     * @param origin the origin device
     * @param snapshot the snapshot device
     * @param real the device that now holds the origin's own table
     * @param table the snapshot's table line as loaded
     * @param typeWord the type word used
     * @param negotiation how the type word was chosen, or empty when it was given
     */
    public record Activation(
            String origin,
            String snapshot,
            String real,
            String table,
            String typeWord,
            Optional<Negotiation> negotiation) {}

    /**
     * Activates a snapshot of {@code origin}.
     *
     * @param origin the name of an existing device with a live table
     * @param cowDevice the COW block device's path
     * @param snapshot the new snapshot device's name
     * @param chunkSize the chunk size in sectors (the kernel wants a power of 2)
     * @param typeWord the store type word, or empty to negotiate {@code P}/{@code PO} from
     *     {@link DeviceMapper#targets()}
     * @return what was done
     * @throws DeviceMapperException when the request cannot be carried out (exit status -1, nothing
     *     changed) or a step failed (everything rolled back)
     */
    public Activation activate(
            String origin, String cowDevice, String snapshot, long chunkSize, Optional<String> typeWord)
            throws DeviceMapperException {
        Objects.requireNonNull(cowDevice, "cowDevice");
        String real = origin + REAL_SUFFIX;
        DeviceInfo originInfo = dm.info(origin)
                .orElseThrow(() -> new DeviceMapperException("no device " + origin + " to take a snapshot of"));
        if (!originInfo.liveTable()) {
            throw new DeviceMapperException("device " + origin + " has no live table to take a snapshot of");
        }
        if (dm.exists(snapshot)) {
            throw new DeviceMapperException("the name " + snapshot + " is taken by an existing device");
        }
        Optional<Negotiation> negotiation = Optional.empty();
        String word;
        if (typeWord.isPresent()) {
            word = typeWord.get();
        } else {
            Negotiation n;
            try {
                n = Negotiator.negotiate(dm.targets(), false, false);
            } catch (TargetException e) {
                throw new DeviceMapperException("cannot choose a type word: " + e.getMessage(), e);
            }
            negotiation = Optional.of(n);
            word = n.typeWord();
        }
        List<String> originTable = dm.table(origin);
        boolean first = !isOriginOf(originTable, real);
        if (first && dm.exists(real)) {
            throw new DeviceMapperException("the name " + real + " is taken by an existing device");
        }
        long length = length(originTable);
        String table = "0 " + length + " snapshot /dev/mapper/" + real + " " + cowDevice + " " + word + " " + chunkSize;
        Steps steps = new Steps("activating snapshot " + snapshot + " of " + origin);
        if (first) {
            steps.run("create " + real, () -> dm.create(real, originTable, false), () -> dm.remove(real));
        }
        steps.run("create " + snapshot, () -> dm.create(snapshot, List.of(table), true), () -> dm.remove(snapshot));
        if (first) {
            steps.run(
                    "load " + origin,
                    () -> dm.load(origin, List.of("0 " + length + " snapshot-origin /dev/mapper/" + real)),
                    () -> dm.clear(origin));
        }
        // Undoing the suspend must not make a loaded snapshot-origin table live: clear, then resume.
        steps.run("suspend " + origin, () -> dm.suspend(origin), () -> {
            dm.clear(origin);
            dm.resume(origin);
        });
        steps.run("resume " + snapshot, () -> dm.resume(snapshot), () -> {});
        steps.run("resume " + origin, () -> dm.resume(origin), () -> {
            if (first) {
                // The origin is live with snapshot-origin: give it its own table back.
                dm.load(origin, originTable);
                dm.suspend(origin);
                dm.resume(origin);
            }
        });
        return new Activation(origin, snapshot, real, table, word, negotiation);
    }

    /**
     * Removes a snapshot made by {@link #activate}; with the last snapshot of its origin, the
     * origin gets its own table back (load, suspend, resume) and {@code -real} is removed. The
     * snapshot device goes first: when the kernel refuses (it is open), nothing changes. A later
     * failure rolls the origin back to {@code snapshot-origin} of {@code -real}; the snapshot device
     * stays removed.
     *
     * @param snapshot the snapshot device
     * @throws DeviceMapperException when it is no snapshot made this way (exit status -1, nothing
     *     changed) or a step failed
     */
    public void remove(String snapshot) throws DeviceMapperException {
        if (!dm.exists(snapshot)) {
            throw new DeviceMapperException("no device " + snapshot);
        }
        String real = realOf(snapshot)
                .orElseThrow(() -> new DeviceMapperException(
                        snapshot + " is not a snapshot of an origin with a " + REAL_SUFFIX + " device"));
        String origin = real.substring(0, real.length() - REAL_SUFFIX.length());
        Steps steps = new Steps("removing snapshot " + snapshot + " of " + origin);
        steps.run("remove " + snapshot, () -> dm.remove(snapshot), () -> {});
        if (!snapshotsOf(origin).isEmpty() || !dm.exists(origin) || !isOriginOf(dm.table(origin), real)) {
            return;
        }
        List<String> realTable = dm.table(real);
        List<String> originTable = dm.table(origin);
        steps.run("load " + origin, () -> dm.load(origin, realTable), () -> dm.clear(origin));
        steps.run("suspend " + origin, () -> dm.suspend(origin), () -> {
            dm.clear(origin);
            dm.resume(origin);
        });
        steps.run("resume " + origin, () -> dm.resume(origin), () -> {
            dm.load(origin, originTable);
            dm.suspend(origin);
            dm.resume(origin);
        });
        steps.run("remove " + real, () -> dm.remove(real), () -> {});
    }

    /**
     * Starts merging a snapshot back into its origin, in lvm2's order ({@code lvconvert --merge}):
     * the origin's inactive table becomes {@code snapshot-merge} of {@code -real} and the
     * snapshot's COW, the snapshot's becomes {@code error}; the origin, the snapshot and {@code -real}
     * are suspended, then {@code -real}, the origin (which takes the snapshot's exceptions over) and
     * the snapshot are resumed. The kernel then merges in the background: the origin's status is the
     * merge's progress ({@link MergePercent}), {@link #finishMerge} ends it. Only the origin's sole
     * snapshot can be merged. A step that fails before the origin's resume is rolled back; from that
     * resume on the kernel owns the merge and there is no way back.
     *
     * @param snapshot the snapshot device
     * @return the origin device, now {@code snapshot-merge}
     * @throws DeviceMapperException when the request cannot be carried out (exit status -1, nothing
     *     changed) or a step failed
     */
    public String startMerge(String snapshot) throws DeviceMapperException {
        if (!dm.exists(snapshot)) {
            throw new DeviceMapperException("no device " + snapshot);
        }
        String real = realOf(snapshot)
                .orElseThrow(() -> new DeviceMapperException(
                        snapshot + " is not a snapshot of an origin with a " + REAL_SUFFIX + " device"));
        String origin = real.substring(0, real.length() - REAL_SUFFIX.length());
        List<String> others = new ArrayList<>(snapshotsOf(origin));
        others.remove(snapshot);
        if (!others.isEmpty()) {
            throw new DeviceMapperException("cannot merge " + snapshot + " while " + origin + " has other snapshots: "
                    + String.join(", ", others));
        }
        TableLine line = snapshotLine(snapshot).orElseThrow();
        if (line.kind() != TargetKind.SNAPSHOT) {
            throw new DeviceMapperException(snapshot + " is merging already");
        }
        String length = Long.toString(line.length());
        String merge = String.join(
                " ",
                "0",
                length,
                "snapshot-merge",
                "/dev/mapper/" + real,
                line.cow(),
                line.typeWord(),
                line.chunkSize());
        Steps steps = new Steps("starting the merge of " + snapshot + " into " + origin);
        steps.run("load " + origin, () -> dm.load(origin, List.of(merge)), () -> dm.clear(origin));
        steps.run(
                "load " + snapshot,
                () -> dm.load(snapshot, List.of("0 " + length + " error")),
                () -> dm.clear(snapshot));
        steps.run("suspend " + origin, () -> dm.suspend(origin), () -> {
            dm.clear(origin);
            dm.resume(origin);
        });
        steps.run("suspend " + snapshot, () -> dm.suspend(snapshot), () -> {
            dm.clear(snapshot);
            dm.resume(snapshot);
        });
        steps.run("suspend " + real, () -> dm.suspend(real), () -> dm.resume(real));
        steps.run("resume " + real, () -> dm.resume(real), () -> {});
        steps.run("resume " + origin, () -> dm.resume(origin), () -> {});
        dm.resume(snapshot);
        return origin;
    }

    /**
     * Ends a finished merge as lvm2 does: the origin gets its own table back (from {@code -real}),
     * then the snapshot (now {@code error}) and {@code -real} are removed.
     *
     * @param origin the merging origin
     * @param snapshot the snapshot that was merged, or {@code null} when it is not known (then no
     *     snapshot device is removed)
     * @throws DeviceMapperException when the origin is not merging or the merge has not finished
     *     (exit status -1, nothing changed), or a step failed
     */
    public void finishMerge(String origin, String snapshot) throws DeviceMapperException {
        String real = origin + REAL_SUFFIX;
        Optional<TableLine> merging = snapshotLine(origin);
        if (merging.isEmpty() || merging.get().kind() != TargetKind.SNAPSHOT_MERGE || !dm.exists(real)) {
            throw new DeviceMapperException(origin + " is not merging a snapshot");
        }
        List<String> status = dm.status(origin);
        SnapshotStatus progress;
        try {
            progress = StatusLine.parse(status.get(0)).status();
        } catch (StatusException | IndexOutOfBoundsException e) {
            throw new DeviceMapperException("unreadable status of " + origin + ": " + status, e);
        }
        if (!progress.isMergeFinished()) {
            throw new DeviceMapperException("the merge into " + origin + " has not finished: " + progress.format());
        }
        List<String> realTable = dm.table(real);
        Steps steps = new Steps("finishing the merge into " + origin);
        steps.run("load " + origin, () -> dm.load(origin, realTable), () -> dm.clear(origin));
        steps.run("suspend " + origin, () -> dm.suspend(origin), () -> {
            dm.clear(origin);
            dm.resume(origin);
        });
        steps.run("resume " + origin, () -> dm.resume(origin), () -> {});
        if (snapshot != null && dm.exists(snapshot)) {
            dm.remove(snapshot);
        }
        dm.remove(real);
    }

    /**
     * A merge under way: the origin's table is {@code snapshot-merge} of {@code <origin>-real}.
     *
     * @param origin the merging origin
     * @param snapshot the snapshot device being merged (an {@code error} table now), or empty when
     *     it cannot be told
     * @since 0.2
     */
    public record Merging(String origin, Optional<String> snapshot) {}

    /**
     * Starts merging a snapshot ({@link #startMerge}) and waits for it on a scheduler
     * ({@link MergeWatch}); when it is done the origin is back on its own table and the snapshot
     * and {@code -real} are gone.
     *
     * @param snapshot the snapshot device
     * @param scheduler where the polls run
     * @param options the interval, timeout and listener
     * @return the wait
     * @throws DeviceMapperException as {@link #startMerge} does; nothing is watched then
     * @since 0.2
     */
    public MergeWatch merge(String snapshot, ScheduledExecutorService scheduler, MergeWatch.Options options)
            throws DeviceMapperException {
        return merge(snapshot, MergeWatch.Scheduler.of(scheduler), System::nanoTime, options);
    }

    MergeWatch merge(String snapshot, MergeWatch.Scheduler scheduler, LongSupplier clock, MergeWatch.Options options)
            throws DeviceMapperException {
        Objects.requireNonNull(options, "options");
        String origin = startMerge(snapshot);
        return MergeWatch.start(this, origin, Optional.of(snapshot), scheduler, clock, options);
    }

    /**
     * Waits for a merge started earlier, e.g. by a process that died or a wait that timed out, and
     * finishes it ({@link #findMerge} tells which).
     *
     * @param name the snapshot being merged, or its origin
     * @param scheduler where the polls run
     * @param options the interval, timeout and listener
     * @return the wait
     * @throws DeviceMapperException when {@code name} is no merge under way (exit status -1) or the
     *     devices cannot be read
     * @since 0.2
     */
    public MergeWatch watchMerge(String name, ScheduledExecutorService scheduler, MergeWatch.Options options)
            throws DeviceMapperException {
        return watchMerge(name, MergeWatch.Scheduler.of(scheduler), System::nanoTime, options);
    }

    MergeWatch watchMerge(String name, MergeWatch.Scheduler scheduler, LongSupplier clock, MergeWatch.Options options)
            throws DeviceMapperException {
        Objects.requireNonNull(options, "options");
        Merging merging = findMerge(name)
                .orElseThrow(() ->
                        new DeviceMapperException(name + " is not a snapshot being merged, nor an origin merging one"));
        return MergeWatch.start(this, merging.origin(), merging.snapshot(), scheduler, clock, options);
    }

    /**
     * Finds the merge a device takes part in, from the kernel's tables alone (so a new process can
     * pick up a merge another one started). For an origin whose table is {@code snapshot-merge} of
     * {@code <origin>-real}, the snapshot is the one {@code error} device of the same length, if
     * there is exactly one. For a snapshot (an {@code error} table since {@link #startMerge}), the
     * origin is the one merging origin of the same length; the kernel keeps no other link between them.
     *
     * @param name the snapshot being merged, or its origin
     * @return the merge, or empty when {@code name} takes part in none (or it cannot be told which)
     * @throws DeviceMapperException when the devices cannot be read
     * @since 0.2
     */
    public Optional<Merging> findMerge(String name) throws DeviceMapperException {
        if (!dm.exists(name)) {
            return Optional.empty();
        }
        OptionalLong merging = mergeLength(name);
        if (merging.isPresent()) {
            List<String> partners = new ArrayList<>();
            for (String other : dm.list()) {
                if (errorLength(other).equals(merging)) {
                    partners.add(other);
                }
            }
            return Optional.of(
                    new Merging(name, partners.size() == 1 ? Optional.of(partners.get(0)) : Optional.empty()));
        }
        OptionalLong error = errorLength(name);
        if (error.isEmpty()) {
            return Optional.empty();
        }
        List<String> origins = new ArrayList<>();
        for (String other : dm.list()) {
            if (mergeLength(other).equals(error)) {
                origins.add(other);
            }
        }
        return origins.size() == 1 ? Optional.of(new Merging(origins.get(0), Optional.of(name))) : Optional.empty();
    }

    /** The length of a device whose table is {@code snapshot-merge} of its own {@code -real}, else empty. */
    private OptionalLong mergeLength(String name) throws DeviceMapperException {
        if (name.endsWith(REAL_SUFFIX)) {
            return OptionalLong.empty();
        }
        Optional<TableLine> line = snapshotLine(name);
        if (line.isEmpty() || line.get().kind() != TargetKind.SNAPSHOT_MERGE) {
            return OptionalLong.empty();
        }
        String real = name + REAL_SUFFIX;
        Optional<DeviceInfo> realInfo = dm.info(real);
        return realInfo.isPresent() && names(line.get().origin(), real, realInfo.get())
                ? OptionalLong.of(line.get().length())
                : OptionalLong.empty();
    }

    /** The length of a device whose table is one {@code error} target from sector 0, else empty. */
    private OptionalLong errorLength(String name) throws DeviceMapperException {
        if (!dm.exists(name)) {
            return OptionalLong.empty();
        }
        List<String> table = dm.table(name);
        if (table.size() != 1) {
            return OptionalLong.empty();
        }
        String[] words = table.get(0).strip().split(" +");
        if (words.length != 3 || !words[0].equals("0") || !words[2].equals("error")) {
            return OptionalLong.empty();
        }
        try {
            return OptionalLong.of(Long.parseLong(words[1]));
        } catch (NumberFormatException e) {
            return OptionalLong.empty();
        }
    }

    /** The client, for {@link MergeWatch}. */
    DeviceMapper deviceMapper() {
        return dm;
    }

    /**
     * The snapshots of an origin: the devices whose table is a {@code snapshot} (or
     * {@code snapshot-merge}) of {@code <origin>-real}.
     *
     * @param origin the origin device
     * @return the snapshot names, sorted
     * @throws DeviceMapperException when the devices cannot be listed
     */
    public List<String> snapshotsOf(String origin) throws DeviceMapperException {
        String real = origin + REAL_SUFFIX;
        Optional<DeviceInfo> realInfo = dm.info(real);
        if (realInfo.isEmpty()) {
            return List.of();
        }
        List<String> names = new ArrayList<>();
        for (String name : dm.list()) {
            Optional<TableLine> line = snapshotLine(name);
            if (line.isPresent() && names(line.get().origin(), real, realInfo.get())) {
                names.add(name);
            }
        }
        return List.copyOf(names);
    }

    /**
     * The snapshot table of a device, when its live table is one {@code snapshot} or
     * {@code snapshot-merge} line.
     *
     * @param name the device
     * @return the line, or empty
     * @throws DeviceMapperException when the table cannot be read
     */
    public Optional<TableLine> snapshotLine(String name) throws DeviceMapperException {
        Optional<DeviceInfo> info = dm.info(name);
        if (info.isEmpty()) {
            return Optional.empty();
        }
        List<String> table = dm.table(name);
        if (table.size() != 1) {
            return Optional.empty();
        }
        try {
            return Optional.of(TableLine.parse(table.get(0)));
        } catch (TableException | IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    /** The {@code -real} device a snapshot's table names, by path or device number. */
    private Optional<String> realOf(String snapshot) throws DeviceMapperException {
        Optional<TableLine> line = snapshotLine(snapshot);
        if (line.isEmpty()) {
            return Optional.empty();
        }
        String origin = line.get().origin();
        if (origin.startsWith("/dev/mapper/")) {
            String name = origin.substring("/dev/mapper/".length());
            return name.endsWith(REAL_SUFFIX) ? Optional.of(name) : Optional.empty();
        }
        for (String name : dm.list()) {
            if (name.endsWith(REAL_SUFFIX)) {
                Optional<DeviceInfo> info = dm.info(name);
                if (info.isPresent() && info.get().devno().equals(origin)) {
                    return Optional.of(name);
                }
            }
        }
        return Optional.empty();
    }

    private boolean isOriginOf(List<String> table, String real) throws DeviceMapperException {
        if (table.size() != 1) {
            return false;
        }
        String[] words = table.get(0).split(" ");
        if (words.length != 4 || !words[2].equals("snapshot-origin")) {
            return false;
        }
        Optional<DeviceInfo> info = dm.info(real);
        return info.isPresent() && names(words[3], real, info.get());
    }

    private static boolean names(String device, String name, DeviceInfo info) {
        return device.equals("/dev/mapper/" + name) || device.equals(info.devno());
    }

    private static long length(List<String> table) throws DeviceMapperException {
        long end = 0;
        for (String line : table) {
            String[] words = line.split(" ");
            try {
                end = Math.max(end, Long.parseLong(words[0]) + Long.parseLong(words[1]));
            } catch (NumberFormatException | ArrayIndexOutOfBoundsException e) {
                throw new DeviceMapperException("unreadable table line \"" + line + "\"", e);
            }
        }
        return end;
    }

    /** One device-mapper operation, or its undo. */
    @FunctionalInterface
    private interface Step {
        void run() throws DeviceMapperException;
    }

    /** Runs steps; when one fails, undoes the done ones in reverse and throws with the step's name. */
    private static final class Steps {
        private final String what;
        private final Deque<Step> undo = new ArrayDeque<>();

        Steps(String what) {
            this.what = what;
        }

        void run(String name, Step step, Step undoStep) throws DeviceMapperException {
            try {
                step.run();
            } catch (DeviceMapperException e) {
                DeviceMapperException failure = new DeviceMapperException(
                        what + " failed at \"" + name + "\" (rolled back): " + e.getMessage(),
                        e.exitStatus() < 0 ? 1 : e.exitStatus(),
                        e.stderr(),
                        e.kernelLog(),
                        e);
                // The failed step itself may have half-happened (a create whose load failed is removed by the client).
                while (!undo.isEmpty()) {
                    try {
                        undo.pop().run();
                    } catch (DeviceMapperException suppressed) {
                        failure.addSuppressed(suppressed);
                    }
                }
                throw failure;
            }
            undo.push(undoStep);
        }
    }
}
