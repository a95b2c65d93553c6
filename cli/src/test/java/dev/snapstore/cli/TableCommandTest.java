package dev.snapstore.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** snapstore table: the kernel's ctr checks and messages (fixture s6-errors), and what dmsetup table shows. */
class TableCommandTest {

    @TempDir
    Path tmp;

    private String origin;
    private String cow;

    @BeforeEach
    void images() throws IOException {
        Path o = tmp.resolve("origin.img");
        Path c = tmp.resolve("cow.img");
        Files.write(o, new byte[8192 * 512]);
        Files.write(c, new byte[2048 * 512]);
        origin = o.toString();
        cow = c.toString();
    }

    private CliRun table(String type, String chunk, String... more) {
        String[] args = new String[9 + more.length];
        String[] head = {"table", "--origin", origin, "--cow", cow, "--type", type, "--chunk-size", chunk};
        System.arraycopy(head, 0, args, 0, head.length);
        System.arraycopy(more, 0, args, head.length, more.length);
        return CliRun.of(args);
    }

    @ParameterizedTest(name = "{0} {1} -> {2}")
    @CsvSource(
            delimiter = '|',
            value = {
                // type, chunk, what dmsetup table shows after the kernel normalised it (s6-errors cases 1, 4-9, 11, 12)
                "P    | 8 | P 8",
                "NO   | 8 | N 8",
                "N0   | 8 | N 8",
                "p    | 8 | P 8",
                "po   | 8 | PO 8",
                "Po   | 8 | PO 8",
                "POX  | 8 | PO 8",
                "n    | 8 | N 8",
                "Nfoo | 8 | N 8",
                "P    | 1 | P 1",
            })
    void printsTheNormalisedTableLine(String type, String chunk, String store) {
        CliRun run = table(type, chunk);
        assertEquals(ExitStatus.OK, run.status(), run.toString());
        assertEquals("0 8192 snapshot " + origin + " " + cow + " " + store + "\n", run.out());
    }

    @ParameterizedTest(name = "{0} {1} -> {2}")
    @CsvSource(
            delimiter = '|',
            value = {
                // s6-errors cases 2, 3, 10, 13, 14, 15, 18, 19, 20, 21, 25, 26
                "X          | 8       | Couldn't create exception store (Exception store type is not P or N)",
                "PX         | 8       | Couldn't create exception store (Unsupported persistent store option: X)",
                "PP         | 8       | Couldn't create exception store (Unsupported persistent store option: P)",
                "Persistent | 8       | Couldn't create exception store (Unsupported persistent store option: ersistent)",
                "P          | 12      | Couldn't create exception store (Chunk size is not a power of 2)",
                "N          | 12      | Couldn't create exception store (Chunk size is not a power of 2)",
                "N          | 0       | Chunk size not set",
                "P          | abc     | Couldn't create exception store (Invalid chunk size)",
                "P          | -8      | Couldn't create exception store (Invalid chunk size)",
                "P          | 8k      | Couldn't create exception store (Invalid chunk size)",
                "P          | 4194304 | Couldn't create exception store (Chunk size is too high)",
                "P          | 8388608 | Couldn't create exception store (Chunk size is too high)",
            })
    void refusesWithTheKernelsMessage(String type, String chunk, String message) {
        CliRun run = table(type, chunk);
        assertEquals(ExitStatus.USAGE, run.status(), run.toString());
        assertEquals("", run.out());
        assertEquals("snapstore: table: " + message + "\n", run.err());
    }

    @Test
    void featureArgumentsAsTheKernelTakesThem() {
        // s6-errors cases 41-45
        assertEquals(
                "0 8192 snapshot " + origin + " " + cow + " P 8 1 discard_zeroes_cow\n",
                table("P", "8", "1", "discard_zeroes_cow").out());
        assertEquals(
                "0 8192 snapshot " + origin + " " + cow + " P 8 2 discard_zeroes_cow discard_passdown_origin\n",
                table("P", "8", "2", "discard_passdown_origin", "DISCARD_ZEROES_COW")
                        .out());
        assertEquals(
                "snapstore: table: discard_passdown_origin feature depends on discard_zeroes_cow\n",
                table("P", "8", "1", "discard_passdown_origin").err());
        assertEquals(
                "snapstore: table: Unrecognised feature requested\n",
                table("P", "8", "1", "bogus").err());
        assertEquals(
                "snapstore: table: Invalid number of feature arguments\n",
                table("P", "8", "extra").err());
    }

    @Test
    void featureErrorsComeBeforeStoreErrors() {
        // s6 rule: features are parsed before devices and store.
        assertEquals(
                "snapstore: table: Unrecognised feature requested\n",
                table("X", "3", "1", "bogus").err());
    }

    @Test
    void sameFileAsOriginAndCowIsRefused() {
        CliRun run = CliRun.of(
                "table",
                "--origin",
                origin,
                "--cow",
                tmp.resolve(".").resolve("origin.img").toString(),
                "--type",
                "P",
                "--chunk-size",
                "8");
        assertEquals(ExitStatus.USAGE, run.status());
        assertEquals("snapstore: table: COW device cannot be the same as origin device\n", run.err());
    }

    @Test
    void mergeTablesAndTheirRules() {
        CliRun merge = table("PO", "8", "--merge");
        assertEquals("0 8192 snapshot-merge " + origin + " " + cow + " PO 8\n", merge.out(), merge.toString());
        CliRun transientMerge = table("N", "8", "--merge");
        assertEquals(ExitStatus.USAGE, transientMerge.status());
        assertEquals(
                "snapstore: table: Snapshot exception store does not support snapshot-merge.\n", transientMerge.err());
    }

    @Test
    void lengthComesFromTheOriginOrTheOption() {
        assertEquals(
                "0 100 snapshot " + origin + " " + cow + " P 8\n",
                table("P", "8", "--length", "100").out());
        CliRun missing = CliRun.of(
                "table", "--origin", tmp.resolve("none").toString(), "--cow", cow, "--type", "P", "--chunk-size", "8");
        assertEquals(ExitStatus.USAGE, missing.status());
        assertEquals(
                "snapstore: table: cannot read the size of the origin " + tmp.resolve("none")
                        + " (no such file); give --length SECTORS\n",
                missing.err());
        CliRun bad = table("P", "8", "--length", "-5");
        assertEquals("snapstore: table: --length must be a number of 512-byte sectors, not '-5'\n", bad.err());
    }

    @Test
    void missingRequiredOptionsAreNamed() {
        CliRun run = CliRun.of("table", "--cow", cow);
        assertEquals(ExitStatus.USAGE, run.status());
        assertEquals(
                "snapstore: table: Missing required options: origin, type, chunk-size (see 'snapstore table --help')\n",
                run.err());
    }
}
