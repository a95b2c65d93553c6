package dev.snapstore.cli;

import dev.snapstore.engine.Activation;
import dev.snapstore.spi.BlockDevice;
import dev.snapstore.spi.StoreTypes;
import java.io.IOException;
import java.nio.file.Path;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Option;
import org.apache.commons.cli.Options;

/** {@code snapstore read}: bytes of the origin or the snapshot, as the kernel's devices show them. Reads only. */
final class ReadCommand implements Command {

    private final StoreTypes types;

    ReadCommand(StoreTypes types) {
        this.types = types;
    }

    @Override
    public String name() {
        return "read";
    }

    @Override
    public String synopsis() {
        return "--origin FILE --cow FILE --type WORD [--chunk-size N] --from origin|snapshot --offset BYTES --length BYTES"
                + " --output FILE|-";
    }

    @Override
    public String summary() {
        return "read from the origin or the snapshot through the engine (reads only)";
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
                        .longOpt("from")
                        .hasArg()
                        .argName("origin|snapshot")
                        .required()
                        .desc("which device is read")
                        .get())
                .addOption(Option.builder()
                        .longOpt("offset")
                        .hasArg()
                        .argName("BYTES")
                        .required()
                        .desc("where, in bytes from the device's start (units: s, K, M, G)")
                        .get())
                .addOption(Option.builder()
                        .longOpt("length")
                        .hasArg()
                        .argName("BYTES")
                        .required()
                        .desc("how many bytes")
                        .get())
                .addOption(Option.builder()
                        .longOpt("output")
                        .hasArg()
                        .argName("FILE")
                        .required()
                        .desc("where the bytes go; - for standard output")
                        .get());
    }

    @Override
    public String footer() {
        return "Exit 1 when the read fails as the kernel fails it (an invalid snapshot gives Input/output error)."
                + " Example: snapstore read --origin o.img --cow c.img --type P --from snapshot --offset 0 --length 4K"
                + " --output -";
    }

    @Override
    public ExitStatus run(CommandLine line, Io io) throws CliException {
        String from = line.getOptionValue("from");
        if (!from.equals("origin") && !from.equals("snapshot")) {
            throw CliException.usage(name() + ": --from must be 'origin' or 'snapshot', not '" + from + "'");
        }
        long offset = Arguments.bytes(name(), "--offset", line.getOptionValue("offset"));
        long length = Arguments.bytes(name(), "--length", line.getOptionValue("length"));
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
                line.getOptionValue("type"),
                line.getOptionValue("chunk-size", "0"),
                Activation.Access.READ_ONLY,
                SnapshotOptions.locking(line),
                io)) {
            BlockDevice device = from.equals("origin") ? activation.origin() : activation.snapshot();
            long deviceBytes = device.sizeInSectors() << 9;
            if (offset > deviceBytes || length > deviceBytes - offset) {
                throw CliException.usage(name() + ": bytes " + offset + " to " + (offset + length)
                        + " lie beyond the end of the " + from + " (" + deviceBytes + " bytes)");
            }
            if (device == activation.snapshot() && !activation.snapshot().isValid()) {
                // Before the output is opened, so that an existing file is not truncated for nothing.
                throw CliException.no(name() + ": Input/output error: the snapshot is invalid, and the kernel fails"
                        + " every read of it");
            }
            try (OutputFile out = OutputFile.open(name(), output, io)) {
                try {
                    ByteRanges.read(device, offset, length, out, Progress.none());
                    out.finish();
                } catch (ByteRanges.DeviceException e) {
                    throw CliException.no(name() + ": Input/output error reading the " + from + " at byte "
                            + Math.max(offset, e.offset()) + " (" + e.getMessage() + ")");
                } catch (IOException e) {
                    throw CliException.no(
                            name() + ": writing " + out.name() + " failed (" + Arguments.describe(e) + ")");
                }
            } catch (IOException e) {
                throw CliException.no(name() + ": closing " + output + " failed (" + Arguments.describe(e) + ")");
            }
        }
        return ExitStatus.OK;
    }
}
