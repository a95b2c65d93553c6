package dev.snapstore.cli;

import dev.snapstore.engine.Activation;
import dev.snapstore.engine.Snapshot;
import dev.snapstore.engine.SnapshotExport;
import dev.snapstore.spi.StoreTypes;
import java.io.IOException;
import java.nio.file.Path;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Option;
import org.apache.commons.cli.Options;

/**
 * {@code snapstore export}: the snapshot's whole content, byte for byte what reading the kernel's
 * snapshot device gives: exceptions from the COW, every other chunk from the origin. Reads only.
 */
final class ExportCommand implements Command {

    private final StoreTypes types;

    ExportCommand(StoreTypes types) {
        this.types = types;
    }

    @Override
    public String name() {
        return "export";
    }

    @Override
    public String synopsis() {
        return "--origin FILE --cow FILE --output FILE|- [--fsync] [--type WORD] [--chunk-size N]";
    }

    @Override
    public String summary() {
        return "write the snapshot's whole content to a file, as the kernel's snapshot device shows it (reads only)";
    }

    @Override
    public Options options() {
        return new Options()
                .addOption(SnapshotOptions.origin())
                .addOption(SnapshotOptions.waitLock())
                .addOption(SnapshotOptions.cow())
                .addOption(Option.builder()
                        .longOpt("output")
                        .hasArg()
                        .argName("FILE")
                        .required()
                        .desc("where the snapshot goes (as long as the origin); - for standard output")
                        .get())
                .addOption(Option.builder()
                        .longOpt("fsync")
                        .desc("flush the output to disk (fdatasync) before it gets its name; by default it is"
                                + " not flushed, as cp and qemu-img convert do not")
                        .get())
                .addOption(Option.builder()
                        .longOpt("type")
                        .hasArg()
                        .argName("WORD")
                        .desc("the store type word (default P)")
                        .get())
                .addOption(SnapshotOptions.chunkSize(false));
    }

    @Override
    public String footer() {
        return "Exit 1 when the snapshot is invalid (the kernel fails its reads). A progress bar is drawn on a terminal."
                + " Example: snapstore export --origin origin.img --cow cow.img --output snap.img";
    }

    @Override
    public ExitStatus run(CommandLine line, Io io) throws CliException {
        Path originPath = SnapshotOptions.path(line, "origin");
        Path cowPath = SnapshotOptions.path(line, "cow");
        String output = line.getOptionValue("output");
        if (!output.equals("-")) {
            SnapshotOptions.refuseImageAsOutput(name(), Path.of(output), originPath, cowPath);
        }
        try (ImageActivation activation = ImageActivation.open(
                name(),
                types,
                originPath,
                cowPath,
                line.getOptionValue("type", "P"),
                line.getOptionValue("chunk-size", "0"),
                Activation.Access.READ_ONLY,
                SnapshotOptions.locking(line),
                io)) {
            Snapshot snapshot = activation.snapshot();
            if (!snapshot.isValid()) {
                throw CliException.no(name() + ": Input/output error: the snapshot in " + cowPath
                        + " is invalid, and the kernel fails every read of it");
            }
            long bytes = snapshot.sizeInSectors() << 9;
            try (OutputFile out = OutputFile.open(name(), output, io, line.hasOption("fsync"));
                    Progress progress = Progress.start(io, "export", bytes, "MiB", 1 << 20)) {
                try {
                    if (out.file() != null) {
                        // Kernel copies from the origin and the COW, whole runs at a time.
                        SnapshotExport.copy(snapshot, out.file(), progress::stepBy);
                    } else {
                        ByteRanges.read(snapshot, 0, bytes, out, progress);
                    }
                    out.finish();
                } catch (ByteRanges.DeviceException e) {
                    throw CliException.no(name() + ": Input/output error reading the snapshot at byte " + e.offset()
                            + " (" + e.getMessage() + ")");
                } catch (SnapshotExport.ReadException e) {
                    throw CliException.no(name() + ": Input/output error reading the snapshot at byte " + e.offset()
                            + " (" + e.getMessage() + ")");
                } catch (IOException e) {
                    throw CliException.no(
                            name() + ": writing " + out.name() + " failed (" + Arguments.describe(e) + ")");
                }
            } catch (IOException e) {
                throw CliException.no(name() + ": closing " + output + " failed (" + Arguments.describe(e) + ")");
            }
            if (!output.equals("-")) {
                io.out()
                        .println("exported " + bytes + " bytes of the snapshot (" + snapshot.exceptionCount()
                                + " chunks from the COW) to " + output);
            }
        }
        return ExitStatus.OK;
    }
}
