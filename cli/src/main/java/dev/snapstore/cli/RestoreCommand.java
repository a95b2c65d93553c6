package dev.snapstore.cli;

import dev.snapstore.cow.tools.CowDump;
import dev.snapstore.cow.tools.CowRestore;
import dev.snapstore.cow.tools.DumpException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.CodingErrorAction;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Option;
import org.apache.commons.cli.Options;

/**
 * {@code snapstore restore}: writes a COW's metadata from a {@code dump} in text or JSON
 * ({@link CowDump#read}, streamed: a dump of 10 M records needs some 160 MB), after
 * {@link CowRestore#plan} checked the whole dump against the COW, so a refused dump writes
 * nothing.
 */
final class RestoreCommand implements Command {

    @Override
    public String name() {
        return "restore";
    }

    @Override
    public String synopsis() {
        return "--input DUMP --cow FILE";
    }

    @Override
    public String summary() {
        return "rewrite a COW's header and metadata areas from a dump (text or JSON)";
    }

    @Override
    public Options options() {
        return new Options()
                .addOption(SnapshotOptions.waitLock())
                .addOption(Option.builder()
                        .longOpt("input")
                        .hasArg()
                        .argName("DUMP")
                        .required()
                        .desc("a 'snapstore dump' output, text or JSON; '-' for standard input")
                        .get())
                .addOption(Option.builder()
                        .longOpt("cow")
                        .hasArg()
                        .argName("FILE")
                        .required()
                        .desc("the COW image or device to write; it must exist and be large enough")
                        .get());
    }

    @Override
    public String footer() {
        return "Refuses, writing nothing, a dump whose records do not fit the COW, whose new chunks are not"
                + " strictly increasing, or that point at the header or a metadata chunk: every dump that 'snapstore check'"
                + " would flag on the restored COW, but for a valid flag of 0, which the kernel writes itself.";
    }

    @Override
    public ExitStatus run(CommandLine line, Io io) throws CliException {
        String input = line.getOptionValue("input");
        CowDump dump = readInput(input, io);
        try (CowFile cow =
                CowFile.open(name(), Path.of(line.getOptionValue("cow")), true, SnapshotOptions.locking(line))) {
            CowRestore.Plan plan;
            try {
                plan = CowRestore.plan(dump, cow.device());
            } catch (DumpException e) {
                throw CliException.usage("restore: " + e.getMessage());
            }
            try {
                CowRestore.write(plan, cow.device());
            } catch (IOException e) {
                throw new CliException(
                        ExitStatus.NO,
                        "restore: writing " + cow.path() + " failed (" + Arguments.describe(e)
                                + "); its metadata may now be partly rewritten");
            }
            io.out()
                    .println("restored " + dump.records().size() + " exceptions in " + plan.areas() + " metadata area"
                            + (plan.areas() == 1 ? "" : "s") + " onto " + cow.path());
            return ExitStatus.OK;
        }
    }

    /**
     * Reads the dump as a stream, to its end, as reading it whole did: a file as
     * {@code Files.readString} would (malformed UTF-8 refused), standard input as
     * {@code new String(bytes, UTF_8)} would (malformed UTF-8 read as U+FFFD).
     */
    private CowDump readInput(String input, Io io) throws CliException {
        try {
            if (input.equals("-")) {
                return CowDump.read(io.in(), CodingErrorAction.REPLACE);
            }
            Path path = Path.of(input);
            if (Files.isDirectory(path)) {
                throw CliException.usage("restore: " + input + ": is a directory, not a dump");
            }
            try (InputStream in = Files.newInputStream(path)) {
                return CowDump.read(in, CodingErrorAction.REPORT);
            }
        } catch (DumpException e) {
            throw CliException.usage("restore: " + e.getMessage());
        } catch (IOException e) {
            throw CliException.usage("restore: cannot read " + input + " (" + Arguments.describe(e) + ")");
        }
    }
}
