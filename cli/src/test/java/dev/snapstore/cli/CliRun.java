package dev.snapstore.cli;

import dev.snapstore.dm.DeviceMapper;
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

    /** A run whose {@code dm} command works on the given device-mapper client. */
    static CliRun withDm(DeviceMapper dm, String... args) {
        return run(new DmCommand(dm), "", args);
    }

    static CliRun withInput(String stdin, String... args) {
        return run(new DmCommand(), stdin, args);
    }

    private static CliRun run(DmCommand dmCommand, String stdin, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Io io = new Io(
                new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8),
                new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)));
        ExitStatus status = new Snapstore(io, StoreTypes.load(), dmCommand).run(args);
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
