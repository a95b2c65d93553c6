package dev.snapstore.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.snapstore.dm.TableException;
import dev.snapstore.dm.TableLine;
import dev.snapstore.dm.TargetKind;
import dev.snapstore.spi.ChunkSize;
import dev.snapstore.spi.FileBlockDevice;
import dev.snapstore.spi.StoreTypes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Option;
import org.apache.commons.cli.Options;

/** {@code snapstore table}: a {@code snapshot} or {@code snapshot-merge} table line, checked as the kernel's ctr checks it. */
final class TableCommand implements Command {

    private final StoreTypes types;

    TableCommand(StoreTypes types) {
        this.types = types;
    }

    @Override
    public String name() {
        return "table";
    }

    @Override
    public String synopsis() {
        return "--origin DEV --cow DEV --type WORD --chunk-size N [--length SECTORS] [--merge] [FEATURE-ARGS...]";
    }

    @Override
    public String summary() {
        return "print the dmsetup table line for a snapshot, or the kernel's error for it";
    }

    @Override
    public boolean takesArguments() {
        return true;
    }

    @Override
    public Options options() {
        return new Options()
                .addOption(Option.builder()
                        .longOpt("origin")
                        .hasArg()
                        .argName("DEV")
                        .required()
                        .desc("origin device or image")
                        .get())
                .addOption(Option.builder()
                        .longOpt("cow")
                        .hasArg()
                        .argName("DEV")
                        .required()
                        .desc("COW device or image")
                        .get())
                .addOption(Option.builder()
                        .longOpt("type")
                        .hasArg()
                        .argName("WORD")
                        .required()
                        .desc("store type word: P, PO or N (first letter picks the type, the rest are options)")
                        .get())
                .addOption(Option.builder()
                        .longOpt("chunk-size")
                        .hasArg()
                        .argName("N")
                        .required()
                        .desc("chunk size in 512-byte sectors, a power of two; 0 = from the COW header (P only)")
                        .get())
                .addOption(Option.builder()
                        .longOpt("length")
                        .hasArg()
                        .argName("SECTORS")
                        .desc("target length in sectors; default: the origin's size")
                        .get())
                .addOption(Option.builder()
                        .longOpt("merge")
                        .desc("a snapshot-merge table instead of snapshot")
                        .get())
                .addOption(Option.builder()
                        .longOpt("json")
                        .desc(
                                "JSON: {table, start, length, target, origin, cow, typeWord, chunkSize, featureArgs: [...]}")
                        .get());
    }

    @Override
    public String footer() {
        return "FEATURE-ARGS are the feature-argument group exactly as in a table line, e.g. '1 discard_zeroes_cow'."
                + " The line is checked in the kernel's order (arguments, features, devices, store) and printed as"
                + " 'dmsetup table' shows it: type word normalised (po -> PO, Nfoo -> N), features in the kernel's order.";
    }

    @Override
    public ExitStatus run(CommandLine line, Io io) throws CliException {
        String origin = line.getOptionValue("origin");
        String cow = line.getOptionValue("cow");
        TargetKind kind = line.hasOption("merge") ? TargetKind.SNAPSHOT_MERGE : TargetKind.SNAPSHOT;
        List<String> args =
                new ArrayList<>(List.of(origin, cow, line.getOptionValue("type"), line.getOptionValue("chunk-size")));
        args.addAll(line.getArgList());

        Path originPath = Path.of(origin);
        Path cowPath = Path.of(cow);
        long length = line.hasOption("length")
                ? Arguments.sectors("table", "--length", line.getOptionValue("length"))
                : originSize(originPath);
        try {
            TableLine table = TableLine.fromArgs(kind, 0, length, args);
            if (sameFile(originPath, cowPath)) {
                // The kernel compares the opened block devices; two paths to one file are the same device.
                throw CliException.usage("table: " + TableException.SAME_DEVICE);
            }
            TableLine checked = table.validate(types, blockSize(cowPath), blockSize(originPath));
            if (line.hasOption("json")) {
                ObjectNode root = Json.object()
                        .put("table", checked.format())
                        .put("start", checked.start())
                        .put("length", checked.length())
                        .put("target", checked.kind().targetName())
                        .put("origin", checked.origin())
                        .put("cow", checked.cow())
                        .put("typeWord", checked.typeWord())
                        .put("chunkSize", checked.chunkSize());
                checked.featureArgs().forEach(root.putArray("featureArgs")::add);
                Json.print(io, root);
                return ExitStatus.OK;
            }
            io.out().println(checked.format());
            return ExitStatus.OK;
        } catch (TableException e) {
            String inner = e.innerReason().map(r -> " (" + r + ")").orElse("");
            throw CliException.usage("table: " + e.kernelMessage() + inner);
        }
    }

    private static long originSize(Path origin) throws CliException {
        try (FileBlockDevice device = FileBlockDevice.open(origin, false)) {
            return device.sizeInSectors();
        } catch (IOException | RuntimeException e) {
            throw CliException.usage("table: cannot read the size of the origin " + origin + " ("
                    + Arguments.describe(e) + "); give --length SECTORS");
        }
    }

    private static int blockSize(Path path) {
        try (FileBlockDevice device = FileBlockDevice.open(path, false)) {
            return device.logicalBlockSize();
        } catch (IOException | RuntimeException e) {
            return ChunkSize.SECTOR_SIZE; // a device that does not exist yet: checked when it is used
        }
    }

    private static boolean sameFile(Path a, Path b) {
        try {
            return a.equals(b) || (Files.exists(a) && Files.exists(b) && Files.isSameFile(a, b));
        } catch (IOException e) {
            return false;
        }
    }
}
