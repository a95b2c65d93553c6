package dev.snapstore.cli;

import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Options;

/** One sub-command of {@code snapstore}. */
interface Command {

    /** @return the word that selects the command */
    String name();

    /** @return the argument synopsis after the command's name */
    String synopsis();

    /** @return one line for the command list */
    String summary();

    /** @return the command's options, without {@code --help} (added for every command) */
    Options options();

    /** @return whether words that are not options are allowed after the command */
    default boolean takesArguments() {
        return false;
    }

    /** @return text shown after the options in {@code --help}, or empty */
    default String footer() {
        return "";
    }

    /**
     * Runs the command.
     *
     * @param line the parsed arguments
     * @param io where output goes
     * @return the exit status
     * @throws CliException for user errors and "no" answers
     */
    ExitStatus run(CommandLine line, Io io) throws CliException;
}
