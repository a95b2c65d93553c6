package dev.snapstore.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.File;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code restore} of a million records, text from a file and JSON from standard input, in a JVM of
 * 48 MB: the dump is streamed into some 16 bytes a record (the whole text and a tree of it took
 * some 750 bytes a record, and fail here), and what it wrote dumps back as it was given.
 */
class RestoreMemoryProcessTest {

    private static final int RECORDS = 1_000_000;
    private static final int EPA = 256; // chunk size 8

    @TempDir
    Path dir;

    /** A restorable text dump: new chunks as the kernel allocates them, old chunks scattered. */
    private Path textDump() throws IOException {
        Path dump = dir.resolve("dump.txt");
        try (BufferedWriter out = Files.newBufferedWriter(dump, StandardCharsets.UTF_8)) {
            out.write("snapstore-cow-dump 1\nheader magic=0x70416e53 valid=1 version=1 chunk_size=8\n");
            long next = 2;
            for (int n = 0; n < RECORDS; n++) {
                long old = (n * 7919L) % (RECORDS * 3L);
                out.write("exception area=" + n / EPA + " index=" + n % EPA + " old=" + old + " new=" + next + "\n");
                next++;
                if (next % (EPA + 1) == 1) {
                    next++; // a metadata area
                }
            }
            out.write("end exceptions=" + RECORDS + "\n");
        }
        return dump;
    }

    /** A zero-filled, sparse COW with room for the table. */
    private Path cow(String name) throws IOException {
        Path cow = dir.resolve(name);
        try (RandomAccessFile file = new RandomAccessFile(cow.toFile(), "rw")) {
            file.setLength((RECORDS + RECORDS / EPA + 64L) * 4096);
        }
        return cow;
    }

    private static CliProcess run(Path dir, Path stdin, String... args) throws IOException, InterruptedException {
        List<String> command = CliProcess.command(args);
        command.remove("-XX:TieredStopAtLevel=1"); // this one parses a million records
        command.add(1, "-Xmx48m");
        Path out = Files.createTempFile(dir, "out", ".txt");
        Path err = Files.createTempFile(dir, "err", ".txt");
        Process process = new ProcessBuilder(command)
                .redirectInput(ProcessBuilder.Redirect.from(stdin == null ? new File("/dev/null") : stdin.toFile()))
                .redirectOutput(out.toFile())
                .redirectError(err.toFile())
                .start();
        if (!process.waitFor(300, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IllegalStateException("restore did not finish in 300 s");
        }
        return new CliProcess(process.exitValue(), Files.readString(out), Files.readString(err));
    }

    /** Whether two dumps list the same lines but their comments. */
    private static void assertSameRecords(Path expected, Path actual) throws IOException {
        try (BufferedReader a = Files.newBufferedReader(expected);
                BufferedReader b = Files.newBufferedReader(actual)) {
            for (String x = next(a), y = next(b); x != null || y != null; x = next(a), y = next(b)) {
                assertEquals(x, y);
            }
        }
    }

    private static String next(BufferedReader reader) throws IOException {
        String line;
        do {
            line = reader.readLine();
        } while (line != null && line.startsWith("#"));
        return line;
    }

    @Test
    void aMillionRecordsRestoreInA48MegabyteHeap() throws IOException, InterruptedException {
        Path text = textDump();
        Path first = cow("first.cow");
        CliProcess restore = run(dir, null, "restore", "--input", text.toString(), "--cow", first.toString());
        assertEquals(0, restore.exit(), restore::toString);
        assertEquals("restored 1000000 exceptions in 3907 metadata areas onto " + first + "\n", restore.out());

        Path json = dir.resolve("dump.json");
        CliProcess dump = CliProcess.runTo(dir, json, "dump", "--json", "--cow", first.toString());
        assertEquals(0, dump.exit(), dump::toString);
        Path second = cow("second.cow");
        restore = run(dir, json, "restore", "--input", "-", "--cow", second.toString());
        assertEquals(0, restore.exit(), restore::toString);
        assertTrue(restore.out().startsWith("restored 1000000 exceptions"), restore::toString);

        Path back = dir.resolve("back.txt");
        dump = CliProcess.runTo(dir, back, "dump", "--cow", second.toString());
        assertEquals(0, dump.exit(), dump::toString);
        assertSameRecords(text, back);
    }
}
