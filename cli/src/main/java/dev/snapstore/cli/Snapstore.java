package dev.snapstore.cli;

import dev.snapstore.spi.StoreTypeConfigurationException;
import dev.snapstore.spi.StoreTypes;
import java.io.IOException;
import java.io.PrintStream;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.DefaultParser;
import org.apache.commons.cli.Option;
import org.apache.commons.cli.Options;
import org.apache.commons.cli.ParseException;
import org.apache.commons.cli.help.HelpFormatter;
import org.apache.commons.cli.help.TextHelpAppendable;

/** The command dispatcher: parses the sub-command, runs it, turns failures into messages and exit statuses. */
public final class Snapstore {

    static final String PROGRAM = "snapstore";

    private final Io io;
    private final Map<String, Command> commands = new LinkedHashMap<>();

    Snapstore(Io io) {
        this(io, StoreTypes.load());
    }

    Snapstore(Io io, StoreTypes types) {
        this(io, types, new DmCommand());
    }

    /** With a given {@code dm} command, e.g. one on the in-memory device-mapper fake. */
    Snapstore(Io io, StoreTypes types, DmCommand dm) {
        this.io = io;
        for (Command command : List.<Command>of(
                new DemoCommand(types),
                new CreateCommand(types),
                new StatusCommand(types),
                new WriteCommand(types),
                new ReadCommand(types),
                new ExportCommand(types),
                new MergeCommand(types),
                new ServeCommand(types),
                new DumpCommand(),
                new RestoreCommand(),
                new CheckCommand(),
                new TypesCommand(types),
                new NegotiateCommand(),
                new TableCommand(types),
                new SizeCommand(),
                dm)) {
            commands.put(command.name(), command);
        }
    }

    /**
     * Runs one command line.
     *
     * @param args the arguments, the sub-command first
     * @return the exit status; never throws for user errors
     */
    public ExitStatus run(String... args) {
        ExitStatus status = runUnchecked(args);
        // A PrintStream swallows write errors (a full disk, a closed pipe): ask it, so that a cut
        // answer never ends with exit 0.
        io.out().flush();
        if (io.out().checkError() && status == ExitStatus.OK) {
            // A command that failed has said why already; one that succeeded must not end with exit 0.
            io.err()
                    .println(PROGRAM
                            + ": cannot write to standard output (disk full or pipe closed): the output is incomplete");
            return ExitStatus.NO;
        }
        return status;
    }

    private ExitStatus runUnchecked(String... args) {
        try {
            return dispatch(args);
        } catch (CliException e) {
            io.err().println(PROGRAM + ": " + e.getMessage());
            return e.status();
        } catch (StoreTypeConfigurationException e) {
            io.err().println(PROGRAM + ": broken installation: " + e.getMessage());
            return ExitStatus.USAGE;
        } catch (RuntimeException | Error e) {
            io.err().println(PROGRAM + ": internal error: " + e);
            if (System.getenv("SNAPSTORE_DEBUG") != null) {
                e.printStackTrace(io.err());
            } else {
                io.err().println(PROGRAM + ": set SNAPSTORE_DEBUG=1 for the stack trace, and please report it");
            }
            return ExitStatus.INTERNAL;
        }
    }

    private ExitStatus dispatch(String[] args) throws CliException {
        if (args.length == 0) {
            printUsage(io.err());
            return ExitStatus.USAGE;
        }
        String word = args[0];
        switch (word) {
            case "-h", "--help", "help" -> {
                if (args.length > 1 && commands.containsKey(args[1])) {
                    printHelp(commands.get(args[1]), io.out());
                } else {
                    printUsage(io.out());
                }
                return ExitStatus.OK;
            }
            case "-V", "--version", "version" -> {
                io.out().println(PROGRAM + " " + version());
                return ExitStatus.OK;
            }
            default -> {
                Command command = commands.get(word);
                if (command == null) {
                    throw CliException.usage("unknown command '" + word + "'; commands: "
                            + String.join(", ", commands.keySet()) + " (see '" + PROGRAM + " --help')");
                }
                return runCommand(command, Arrays.copyOfRange(args, 1, args.length));
            }
        }
    }

    private ExitStatus runCommand(Command command, String[] args) throws CliException {
        if (Arrays.asList(args).contains("--help") || Arrays.asList(args).contains("-h")) {
            // Before parsing, so that help works without the command's required options.
            printHelp(command, io.out());
            return ExitStatus.OK;
        }
        Options options = command.options();
        options.addOption(Option.builder("h")
                .longOpt("help")
                .desc("show this help and exit")
                .get());
        CommandLine line;
        try {
            line = DefaultParser.builder()
                    .setStripLeadingAndTrailingQuotes(false)
                    .get()
                    .parse(options, args, false);
        } catch (ParseException e) {
            throw CliException.usage(
                    command.name() + ": " + e.getMessage() + " (see '" + PROGRAM + " " + command.name() + " --help')");
        }
        if (line.hasOption("help")) {
            printHelp(command, io.out());
            return ExitStatus.OK;
        }
        if (!command.takesArguments() && !line.getArgList().isEmpty()) {
            throw CliException.usage(command.name() + ": unexpected argument '"
                    + line.getArgList().get(0) + "' (see '" + PROGRAM + " " + command.name() + " --help')");
        }
        return command.run(line, io);
    }

    private void printUsage(PrintStream out) {
        out.println("usage: " + PROGRAM + " COMMAND [OPTIONS]");
        out.println();
        out.println(
                "Create, read, check and merge Linux dm-snapshot exception stores (COW devices) without the kernel.");
        out.println();
        out.println("Commands:");
        for (Command command : commands.values()) {
            out.printf("  %-10s %s%n", command.name(), command.summary());
        }
        out.println();
        out.println("'" + PROGRAM + " COMMAND --help' describes a command. Exit status: 0 ok, 1 the answer is no or the"
                + " operation failed as the kernel would fail it, 2 usage or input error, 3 internal error.");
    }

    private void printHelp(Command command, PrintStream out) {
        Options options = command.options();
        options.addOption(Option.builder("h")
                .longOpt("help")
                .desc("show this help and exit")
                .get());
        StringWriter text = new StringWriter();
        HelpFormatter formatter = HelpFormatter.builder()
                .setShowSince(false)
                .setHelpAppendable(new TextHelpAppendable(text))
                .get();
        try {
            String syntax =
                    PROGRAM + " " + command.name() + (command.synopsis().isEmpty() ? "" : " " + command.synopsis());
            formatter.printHelp(syntax, command.summary(), options, command.footer(), false);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        out.print(text);
    }

    static String version() {
        String version = Snapstore.class.getPackage().getImplementationVersion();
        if (version == null) {
            version = Snapstore.class.getModule().getDescriptor() == null
                    ? null
                    : Snapstore.class.getModule().getDescriptor().rawVersion().orElse(null);
        }
        return version == null ? "(development build)" : version;
    }
}
