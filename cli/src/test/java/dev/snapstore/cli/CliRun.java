package dev.snapstore.cli;

import dev.snapstore.spi.StoreTypes;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

/** One in-process run of the CLI with captured streams. */
record CliRun(ExitStatus status, String out, String err) {

    static CliRun of(String... args) {
        return withInput("", args);
    }

    static CliRun withInput(String stdin, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Io io = new Io(
                new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8),
                new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)));
        ExitStatus status = new Snapstore(io, StoreTypes.load()).run(args);
        return new CliRun(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    List<String> lines() {
        return out.lines().toList();
    }

    @Override
    public String toString() {
        return status + "\n--- out\n" + out + "--- err\n" + err;
    }
}
