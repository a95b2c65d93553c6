package dev.snapstore.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.snapstore.dm.DeviceMapper;
import dev.snapstore.dm.DeviceMapperException;
import dev.snapstore.dm.SnapshotActivator;
import dev.snapstore.dm.SnapshotMonitor;
import dev.snapstore.dm.SnapshotPercent;
import dev.snapstore.dm.SnapshotStatus;
import dev.snapstore.dm.StatusException;
import dev.snapstore.dm.StatusLine;
import dev.snapstore.dm.TableLine;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.function.Supplier;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Option;
import org.apache.commons.cli.Options;

/**
 * {@code snapstore dm snapshot|status|remove|list|monitor}: kernel snapshots of live devices through
 * device-mapper ({@link SnapshotActivator}, lvm2's order of operations), their status in lvm2's
 * percent and dmeventd's warnings.
 */
final class DmCommand implements Command {

    private static final List<String> WORDS = List.of("snapshot", "status", "merge", "remove", "list", "monitor");

    private final Supplier<DeviceMapper> devices;

    /** The real {@code dmsetup}, found when a sub-command first needs it. */
    DmCommand() {
        this(DeviceMapper::dmsetup);
    }

    /** A given client, e.g. the in-memory fake in tests. */
    DmCommand(DeviceMapper dm) {
        this(() -> dm);
    }

    private DmCommand(Supplier<DeviceMapper> devices) {
        this.devices = devices;
    }

    @Override
    public String name() {
        return "dm";
    }

    @Override
    public String synopsis() {
        return "snapshot ORIGIN --cow DEVICE --name NAME [--chunk-size SECTORS] [--type WORD] | status NAME"
                + " | merge NAME [--wait [--timeout SECONDS]] | remove NAME | list"
                + " | monitor NAME [--threshold PCT] [--interval SECONDS] [--count N]";
    }

    @Override
    public String summary() {
        return "take, inspect, watch, merge and remove kernel snapshots of live device-mapper devices";
    }

    @Override
    public boolean takesArguments() {
        return true;
    }

    @Override
    public Options options() {
        return new Options()
                .addOption(Option.builder()
                        .longOpt("cow")
                        .hasArg()
                        .argName("DEVICE")
                        .desc("snapshot: the COW block device")
                        .get())
                .addOption(Option.builder()
                        .longOpt("name")
                        .hasArg()
                        .argName("NAME")
                        .desc("snapshot: the new snapshot device's name")
                        .get())
                .addOption(Option.builder()
                        .longOpt("chunk-size")
                        .hasArg()
                        .argName("SECTORS")
                        .desc("snapshot: chunk size in 512-byte sectors, a power of 2 (default 8)")
                        .get())
                .addOption(Option.builder()
                        .longOpt("type")
                        .hasArg()
                        .argName("WORD")
                        .desc("snapshot: the store type word (P, PO, N); default: negotiated from 'dmsetup targets'")
                        .get())
                .addOption(Option.builder()
                        .longOpt("threshold")
                        .hasArg()
                        .argName("PCT")
                        .desc("monitor: warn at this percent and every 5 above (default: dmeventd's 80)")
                        .get())
                .addOption(Option.builder()
                        .longOpt("interval")
                        .hasArg()
                        .argName("SECONDS")
                        .desc("monitor, merge --wait: seconds between polls (default 10 for monitor, 1 for merge)")
                        .get())
                .addOption(Option.builder()
                        .longOpt("wait")
                        .desc("merge: wait for the merge to end, then give the origin its own table back")
                        .get())
                .addOption(Option.builder()
                        .longOpt("timeout")
                        .hasArg()
                        .argName("SECONDS")
                        .desc("merge --wait: stop waiting after this long (the merge goes on in the kernel)")
                        .get())
                .addOption(Option.builder()
                        .longOpt("count")
                        .hasArg()
                        .argName("N")
                        .desc("monitor: stop after N polls (default: run until killed)")
                        .get())
                .addOption(Option.builder()
                        .longOpt("json")
                        .desc("snapshot, status, merge, list: JSON output")
                        .get());
    }

    @Override
    public String footer() {
        return "snapshot moves ORIGIN's table to ORIGIN-real, loads snapshot-origin on ORIGIN and creates NAME, in lvm2's"
                + " order; any failed step is rolled back. remove takes NAME away; with the last snapshot ORIGIN gets its"
                + " table back. status prints lvm2's percent; exit 1 for Overflow, Invalid or Merge failed. merge starts"
                + " merging snapshot NAME into its origin (lvconvert --merge's order) and returns; with --wait it polls"
                + " until the kernel is done, then the origin gets its own table back and NAME and ORIGIN-real go (exit 1"
                + " for Merge failed or a timeout, after which the merge goes on in the kernel); --wait on a merge"
                + " already under way (e.g. started without --wait) waits for that one. Exit 1 also"
                + " when the kernel refuses; 2 for bad input (unknown device, name taken, COW missing, no dmsetup or"
                + " no permission).";
    }

    @Override
    public ExitStatus run(CommandLine line, Io io) throws CliException {
        List<String> args = line.getArgList();
        if (args.isEmpty() || !WORDS.contains(args.get(0))) {
            throw CliException.usage("dm: the first argument is one of " + String.join(", ", WORDS)
                    + (args.isEmpty() ? "" : ", not '" + args.get(0) + "'") + " (see 'snapstore dm --help')");
        }
        String word = args.get(0);
        List<String> rest = args.subList(1, args.size());
        int wanted = word.equals("list") ? 0 : 1;
        if (rest.size() != wanted) {
            throw CliException.usage("dm " + word + ": expects " + (wanted == 0 ? "no device name" : "one device name")
                    + ", got " + rest.size() + " (see 'snapstore dm --help')");
        }
        DeviceMapper dm = devices.get();
        try {
            return switch (word) {
                case "snapshot" -> snapshot(dm, rest.get(0), line, io);
                case "status" -> status(dm, rest.get(0), line, io);
                case "merge" -> DmMerge.run(dm, rest.get(0), line, io);
                case "remove" -> remove(dm, rest.get(0), io);
                case "list" -> list(dm, line, io);
                default -> monitor(dm, rest.get(0), line, io);
            };
        } catch (DeviceMapperException e) {
            throw failure(word, e);
        }
    }

    private static ExitStatus snapshot(DeviceMapper dm, String origin, CommandLine line, Io io)
            throws CliException, DeviceMapperException {
        String cow = required(line, "cow");
        String name = required(line, "name");
        long chunk = number(line, "chunk-size", 8);
        if (!Files.exists(Path.of(cow))) {
            throw CliException.usage("dm snapshot: the COW device " + cow + " does not exist");
        }
        SnapshotActivator.Activation a = new SnapshotActivator(dm)
                .activate(origin, cow, name, chunk, Optional.ofNullable(line.getOptionValue("type")));
        if (line.hasOption("json")) {
            ObjectNode root = Json.object()
                    .put("name", a.snapshot())
                    .put("origin", a.origin())
                    .put("real", a.real())
                    .put("table", a.table())
                    .put("typeWord", a.typeWord());
            a.negotiation().ifPresent(n -> root.put("reason", n.reason()));
            Json.print(io, root);
        } else {
            io.out()
                    .println(a.snapshot() + ": snapshot of " + a.origin() + " (" + a.origin() + "'s table now on "
                            + a.real() + ")");
            io.out().println("table: " + a.table());
            a.negotiation().ifPresent(n -> io.out().println("type word: " + n.reason()));
        }
        return ExitStatus.OK;
    }

    private static ExitStatus status(DeviceMapper dm, String name, CommandLine line, Io io)
            throws CliException, DeviceMapperException {
        SnapshotStatus status = read(dm, name);
        OptionalDouble percent = SnapshotPercent.of(status);
        if (line.hasOption("json")) {
            ObjectNode root = Json.object().put("name", name).put("status", status.format());
            root.put("kind", status.kind().name().toLowerCase(Locale.ROOT));
            percent.ifPresent(p -> root.put("percent", p));
            status.findUsage().ifPresent(u -> root.put("allocatedSectors", u.allocatedSectors())
                    .put("totalSectors", u.totalSectors())
                    .put("metadataSectors", u.metadataSectors()));
            Json.print(io, root);
        } else if (status.kind() == SnapshotStatus.Kind.USAGE) {
            io.out()
                    .printf(
                            Locale.ROOT,
                            "%s: %.2f%% used (%d of %d sectors, %d of metadata)%n",
                            name,
                            percent.orElse(0),
                            status.usage().allocatedSectors(),
                            status.usage().totalSectors(),
                            status.usage().metadataSectors());
        } else {
            io.out().println(name + ": " + status.format());
        }
        return switch (status.kind()) {
            case OVERFLOW, INVALID, MERGE_FAILED -> ExitStatus.NO;
            default -> ExitStatus.OK;
        };
    }

    private static ExitStatus remove(DeviceMapper dm, String name, Io io) throws DeviceMapperException {
        new SnapshotActivator(dm).remove(name);
        io.out().println(name + ": removed");
        return ExitStatus.OK;
    }

    private static ExitStatus list(DeviceMapper dm, CommandLine line, Io io) throws DeviceMapperException {
        SnapshotActivator activator = new SnapshotActivator(dm);
        ArrayNode json = Json.MAPPER.createArrayNode();
        for (String name : dm.list()) {
            Optional<TableLine> table = activator.snapshotLine(name);
            if (table.isEmpty()) {
                continue;
            }
            String status;
            try {
                status = read(dm, name).format();
            } catch (CliException e) {
                status = "unreadable";
            }
            TableLine t = table.get();
            if (line.hasOption("json")) {
                json.addObject()
                        .put("name", name)
                        .put("target", t.targetName())
                        .put("origin", t.origin())
                        .put("cow", t.cow())
                        .put("typeWord", t.typeWord())
                        .put("chunkSize", t.chunkSize())
                        .put("status", status);
            } else {
                io.out()
                        .println(String.join(
                                " ", name, t.targetName(), t.origin(), t.cow(), t.typeWord(), t.chunkSize(), status));
            }
        }
        if (line.hasOption("json")) {
            Json.print(io, json);
        }
        return ExitStatus.OK;
    }

    private static ExitStatus monitor(DeviceMapper dm, String name, CommandLine line, Io io)
            throws CliException, DeviceMapperException {
        read(dm, name); // an unknown device is bad input, not an UNREADABLE event
        long threshold = number(line, "threshold", 80);
        if (threshold < 1 || threshold > 100) {
            throw CliException.usage("dm monitor: --threshold is a percent from 1 to 100, not " + threshold);
        }
        long interval = number(line, "interval", 10);
        long count = number(line, "count", Long.MAX_VALUE);
        List<Integer> thresholds = new ArrayList<>();
        for (long t = threshold; t <= 100; t += 5) {
            thresholds.add((int) t);
        }
        SnapshotMonitor monitor = new SnapshotMonitor(
                name, () -> read(dm, name), thresholds, event -> io.out().println(event.message()));
        for (long i = 0; i < count; i++) {
            if (i > 0) {
                try {
                    Thread.sleep(interval * 1000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
            monitor.poll();
            io.out().flush();
        }
        return ExitStatus.OK;
    }

    private static SnapshotStatus read(DeviceMapper dm, String name) throws CliException, DeviceMapperException {
        if (!dm.exists(name)) {
            throw CliException.usage("dm: no device " + name);
        }
        List<String> lines = dm.status(name);
        if (lines.size() != 1) {
            throw CliException.usage("dm: " + name + " is not a snapshot (" + lines.size() + " status lines)");
        }
        try {
            return StatusLine.parse(lines.get(0)).status();
        } catch (StatusException e) {
            throw CliException.usage("dm: " + name + " is not a snapshot: " + e.getMessage());
        }
    }

    private static String required(CommandLine line, String option) throws CliException {
        String value = line.getOptionValue(option);
        if (value == null) {
            throw CliException.usage("dm snapshot: --" + option + " is required (see 'snapstore dm --help')");
        }
        return value;
    }

    private static long number(CommandLine line, String option, long otherwise) throws CliException {
        String value = line.getOptionValue(option);
        if (value == null) {
            return otherwise;
        }
        try {
            long n = Long.parseLong(value);
            if (n < 0) {
                throw new NumberFormatException();
            }
            return n;
        } catch (NumberFormatException e) {
            throw CliException.usage("dm: --" + option + " wants a whole number, not '" + value + "'");
        }
    }

    /** The kernel's refusal is a "no"; a request that cannot be made (or dmsetup that cannot run) is bad input. */
    private static CliException failure(String word, DeviceMapperException e) {
        String words = e.getMessage() + " " + e.stderr();
        boolean input = e.exitStatus() < 0
                || words.contains("Permission denied")
                || words.contains("Operation not permitted")
                || words.contains("does not exist");
        return new CliException(input ? ExitStatus.USAGE : ExitStatus.NO, "dm " + word + ": " + e.getMessage(), e);
    }
}
