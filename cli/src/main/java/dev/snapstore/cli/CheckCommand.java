package dev.snapstore.cli;

import dev.snapstore.cow.CowHeader;
import dev.snapstore.cow.tools.CheckReport;
import dev.snapstore.cow.tools.CowCheck;
import dev.snapstore.spi.FileBlockDevice;
import java.io.IOException;
import java.nio.file.Path;
import java.util.OptionalLong;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Option;
import org.apache.commons.cli.Options;

/**
 * {@code snapstore check}: the offline, read-only check of a persistent COW ({@link CowCheck}),
 * like {@code thin_check}; prints the report's lines or its JSON.
 *
 * <p>Exit 0: clean. Exit 1: findings. Exit 2: the image cannot be checked at all (missing, a
 * directory, smaller than a sector, or a header whose magic or chunk size cannot be decoded).
 */
final class CheckCommand implements Command {

    @Override
    public String name() {
        return "check";
    }

    @Override
    public String synopsis() {
        return "--cow FILE [--origin FILE] [--json]";
    }

    @Override
    public String summary() {
        return "check a persistent COW's metadata offline (read-only); exit 1 when problems are found";
    }

    @Override
    public Options options() {
        return new Options()
                .addOption(SnapshotOptions.waitLock())
                .addOption(Option.builder()
                        .longOpt("cow")
                        .hasArg()
                        .argName("FILE")
                        .required()
                        .desc("COW image or device")
                        .get())
                .addOption(Option.builder()
                        .longOpt("origin")
                        .hasArg()
                        .argName("FILE")
                        .desc("the origin, to check that every old chunk lies on it")
                        .get())
                .addOption(Option.builder()
                        .longOpt("json")
                        .desc("the findings as JSON")
                        .get());
    }

    @Override
    public String footer() {
        return "Finding kinds: version, invalid, points-at-header, points-at-metadata, past-end, duplicate-origin-chunk,"
                + " past-origin-end, allocation-order, data-after-terminator, truncated. JSON: {cow, cowBytes, header{magic,"
                + " valid, version, chunkSize}, exceptions, clean, problems[{kind, area, index, offset, message}]}."
                + " Exit 0 clean, 1 problems found, 2 not checkable (missing, directory, tiny, undecodable header).";
    }

    @Override
    public ExitStatus run(CommandLine line, Io io) throws CliException {
        Path path = Path.of(line.getOptionValue("cow"));
        OptionalLong originSectors = line.hasOption("origin")
                ? OptionalLong.of(originSectors(Path.of(line.getOptionValue("origin"))))
                : OptionalLong.empty();
        CheckReport report;
        try (CowFile cow = CowFile.open(name(), path, false, SnapshotOptions.locking(line))) {
            CowHeader header = cow.decodableHeader(name());
            try {
                report = CowCheck.check(cow.device(), header, originSectors);
            } catch (IOException e) {
                throw cow.readError(name(), e);
            }
        }
        if (line.hasOption("json")) {
            io.out().println(report.json(path.toString()));
        } else {
            report.lines(path.toString()).forEach(io.out()::println);
        }
        return report.clean() ? ExitStatus.OK : ExitStatus.NO;
    }

    private long originSectors(Path origin) throws CliException {
        try (FileBlockDevice device = FileBlockDevice.open(origin, false)) {
            return device.sizeInSectors();
        } catch (IOException | RuntimeException e) {
            throw CliException.usage(
                    "check: cannot read the size of the origin " + origin + " (" + Arguments.describe(e) + ")");
        }
    }
}
