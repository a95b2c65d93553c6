package dev.snapstore.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code snapstore serve}'s refusals: exit 2 with one line, before anything is opened or bound. */
class ServeCommandTest {

    @TempDir
    Path dir;

    private void refused(String expected, String... args) {
        String[] all = new String[args.length + 1];
        all[0] = "serve";
        System.arraycopy(args, 0, all, 1, args.length);
        CliRun run = CliRun.of(all);
        assertEquals(ExitStatus.USAGE, run.status(), run.err());
        assertEquals("", run.out());
        assertEquals(1, run.err().lines().count(), run.err());
        assertTrue(run.err().contains(expected), run.err());
    }

    @Test
    void badArgumentsAreOneLineAndExitTwo() throws Exception {
        Path origin = Files.write(dir.resolve("o.img"), new byte[65536]);
        Path cow = Files.write(dir.resolve("c.cow"), new byte[65536]);
        String o = origin.toString();
        String sock = dir.resolve("s.sock").toString();
        refused("give --socket PATH or --listen HOST:PORT", "--origin", o, "--cow", "a=" + cow);
        refused("expected NAME=FILE", "--origin", o, "--cow", cow.toString(), "--socket", sock);
        refused("the export name 'origin' is taken", "--origin", o, "--cow", "origin=" + cow, "--socket", sock);
        refused("is given twice", "--origin", o, "--cow", "a=" + cow, "--cow", "a=" + cow, "--socket", sock);
        refused(
                "--read-only x: no such export; exports: origin, a",
                "--origin",
                o,
                "--cow",
                "a=" + cow,
                "--socket",
                sock,
                "--read-only",
                "x");
        refused("is not a loopback address", "--origin", o, "--cow", "a=" + cow, "--listen", "192.0.2.1:10809");
        refused("the port must be 0-65535", "--origin", o, "--cow", "a=" + cow, "--listen", "127.0.0.1:99999");
        refused(
                "--handshake-timeout 0: expected a whole number of seconds above 0",
                "--origin",
                o,
                "--cow",
                "a=" + cow,
                "--socket",
                sock,
                "--handshake-timeout",
                "0");
        refused(
                "--max-connections many: expected a number of connections above 0",
                "--origin",
                o,
                "--cow",
                "a=" + cow,
                "--socket",
                sock,
                "--max-connections",
                "many");
        Path existing = Files.write(dir.resolve("taken.sock"), new byte[0]);
        refused("exists", "--origin", o, "--cow", "a=" + cow, "--socket", existing.toString());
        refused(
                "COW device cannot be the same as origin device",
                "--origin",
                o,
                "--cow",
                "a=" + o,
                "--chunk-size",
                "8",
                "--socket",
                sock);
        assertTrue(!Files.exists(Path.of(sock)));
    }

    @Test
    void helpNamesTheExports() {
        CliRun run = CliRun.of("serve", "--help");
        assertEquals(ExitStatus.OK, run.status());
        assertTrue(run.out().contains("--cow <NAME=FILE>"), run.out());
        assertTrue(run.out().contains("SIGTERM"), run.out());
        assertTrue(run.out().contains("--handshake-timeout <SECONDS>"), run.out());
        assertTrue(run.out().contains("--max-connections <N>"), run.out());
    }
}
