package dev.snapstore.cli;

import dev.snapstore.engine.Activation;
import dev.snapstore.spi.StoreTypes;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Option;
import org.apache.commons.cli.Options;

/**
 * {@code snapstore status}: what {@code dmsetup status} (or {@code dmsetup table}) prints for the
 * snapshot right after activation. Reads only: a COW without a header shows the kernel's status
 * after initialisation, but nothing is written.
 */
final class StatusCommand implements Command {

    private final StoreTypes types;

    StatusCommand(StoreTypes types) {
        this.types = types;
    }

    @Override
    public String name() {
        return "status";
    }

    @Override
    public String synopsis() {
        return "--origin FILE --cow FILE --type WORD [--chunk-size N] [--table] [--json]";
    }

    @Override
    public String summary() {
        return "the kernel's status line for a snapshot of the images (reads only)";
    }

    @Override
    public Options options() {
        return new Options()
                .addOption(SnapshotOptions.origin())
                .addOption(SnapshotOptions.waitLock())
                .addOption(SnapshotOptions.cow())
                .addOption(SnapshotOptions.type())
                .addOption(SnapshotOptions.chunkSize(false))
                .addOption(Option.builder()
                        .longOpt("table")
                        .desc("print the table status ('P 8') instead")
                        .get())
                .addOption(SnapshotOptions.json("{origin, cow, type, chunkSize, status, table, valid, overflow, newCow,"
                        + " allocatedSectors, totalSectors, metadataSectors, exceptions}"));
    }

    @Override
    public String footer() {
        return "INFO status: '<allocated>/<total> <metadata>' in sectors, or 'Invalid'. Example: snapstore status"
                + " --origin origin.img --cow cow.img --type P   ->   24/2048 16";
    }

    @Override
    public ExitStatus run(CommandLine line, Io io) throws CliException {
        try (ImageActivation activation = ImageActivation.open(
                name(),
                types,
                SnapshotOptions.path(line, "origin"),
                SnapshotOptions.path(line, "cow"),
                line.getOptionValue("type"),
                line.getOptionValue("chunk-size", "0"),
                Activation.Access.READ_ONLY,
                SnapshotOptions.locking(line),
                io)) {
            if (activation.newCow()) {
                io.err()
                        .println(Snapstore.PROGRAM + ": " + name() + ": " + activation.cowPath()
                                + " has no snapshot header"
                                + " yet: this is the status after the kernel initialises it (nothing was written)");
            }
            if (line.hasOption("json")) {
                Json.print(io, SnapshotOptions.state(activation));
            } else if (line.hasOption("table")) {
                io.out().println(SnapshotOptions.tableStatus(activation.snapshot()));
            } else {
                io.out().println(activation.snapshot().status());
            }
        }
        return ExitStatus.OK;
    }
}
