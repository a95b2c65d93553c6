package dev.snapstore.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The dispatcher: help, version, unknown commands and options, exit statuses, no stack traces. */
class SnapstoreTest {

    @Test
    void noArgumentsPrintsUsageOnStderrWithStatus2() {
        CliRun run = CliRun.of();
        assertEquals(ExitStatus.USAGE, run.status());
        assertTrue(run.err().startsWith("usage: snapstore COMMAND [OPTIONS]"), run.toString());
        assertEquals("", run.out());
    }

    @ParameterizedTest
    @ValueSource(strings = {"--help", "-h", "help"})
    void helpListsEveryCommand(String word) {
        CliRun run = CliRun.of(word);
        assertEquals(ExitStatus.OK, run.status());
        for (String command : List.of("types", "negotiate", "table", "size", "dump", "restore", "check", "dm")) {
            assertTrue(run.out().contains("\n  " + command + " "), command + " missing:\n" + run.out());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"types", "negotiate", "table", "size", "dump", "restore", "check", "dm"})
    void everyCommandHasHelp(String command) {
        CliRun run = CliRun.of(command, "--help");
        assertEquals(ExitStatus.OK, run.status(), run.toString());
        assertTrue(run.out().contains("snapstore " + command), run.out());
        assertEquals(run.out(), CliRun.of("help", command).out());
    }

    @Test
    void versionPrintsOneLine() {
        CliRun run = CliRun.of("--version");
        assertEquals(ExitStatus.OK, run.status());
        assertTrue(run.out().startsWith("snapstore "), run.out());
        assertEquals(1, run.lines().size());
    }

    @Test
    void unknownCommandNamesTheKnownOnes() {
        CliRun run = CliRun.of("frobnicate");
        assertEquals(ExitStatus.USAGE, run.status());
        assertEquals(
                "snapstore: unknown command 'frobnicate'; commands: demo, create, status, write, read, export, merge, serve, dump, restore, check, types, negotiate, table, size, dm (see 'snapstore --help')\n",
                run.err());
    }

    @Test
    void unknownOptionAndStrayArgumentAreUsageErrors() {
        CliRun option = CliRun.of("types", "--bogus");
        assertEquals(ExitStatus.USAGE, option.status());
        assertEquals("snapstore: types: Unrecognized option: --bogus (see 'snapstore types --help')\n", option.err());
        CliRun stray = CliRun.of("types", "extra");
        assertEquals(ExitStatus.USAGE, stray.status());
        assertEquals("snapstore: types: unexpected argument 'extra' (see 'snapstore types --help')\n", stray.err());
    }

    @Test
    void typesListsTheBuiltInStoresFromServiceLoaderKernelOrderFirst() {
        CliRun run = CliRun.of("types");
        assertEquals(ExitStatus.OK, run.status(), run.toString());
        List<String> lines = run.lines();
        assertEquals(2, lines.size(), run.out());
        assertTrue(lines.get(0).startsWith("P  persistent  options: O = overflow"), lines.get(0));
        assertTrue(lines.get(0).contains("module: dev.snapstore.store.persistent"), lines.get(0));
        assertTrue(lines.get(1).startsWith("N  transient   options: "), lines.get(1));
        assertTrue(lines.get(1).contains("module: dev.snapstore.store.memory"), lines.get(1));
        assertFalse(run.err().contains("Exception"), run.err());
    }
}
