package dev.snapstore.kernelit;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Starts {@code snapstore serve} from the cli's packaged jar and lib/, as its own JVM that a real
 * SIGTERM stops: in the guest (which sees the host's checkout read-only) and on the host alike.
 */
final class ServeLauncher {
    private ServeLauncher() {}

    /**
     * Starts serve with {@code args}, its stdout and stderr in {@code log}, and returns once it prints
     * its URIs (it listens then; the socket file alone appears at bind(), a moment earlier).
     */
    static Process start(Path log, String... args) throws Exception {
        Path target = Path.of(System.getProperty("user.dir")).getParent().resolve("cli/target");
        Path jar;
        try (Stream<Path> files = Files.list(target)) {
            jar = files.filter(p -> {
                        String n = p.getFileName().toString();
                        return n.startsWith("snapstore-cli-")
                                && n.endsWith(".jar")
                                && !n.endsWith("-sources.jar")
                                && !n.endsWith("-javadoc.jar");
                    })
                    .findFirst()
                    .orElseThrow(() -> new IOException("no snapstore-cli jar in " + target + ": package the cli"));
        }
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m",
                // C1 only: under TCG the JIT's time is the guest's time.
                "-XX:TieredStopAtLevel=1",
                "--module-path",
                jar + File.pathSeparator + target.resolve("lib"),
                "--module",
                "dev.snapstore.cli/dev.snapstore.cli.Main",
                "serve"));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
        while (!readLog(log).contains("nbd+unix:///")) {
            if (!p.isAlive()) {
                fail("snapstore serve exited with " + p.exitValue() + ":\n" + readLog(log));
            }
            if (System.nanoTime() > deadline) {
                p.destroyForcibly();
                fail("snapstore serve did not listen within 180 s:\n" + readLog(log));
            }
            Thread.sleep(50);
        }
        return p;
    }

    /** SIGTERM, then fails unless serve exits 0 within 60 s. */
    static void stop(Process serve, Path log) throws Exception {
        serve.destroy();
        if (!serve.waitFor(60, TimeUnit.SECONDS)) {
            fail("snapstore serve did not stop within 60 s of SIGTERM:\n" + readLog(log));
        }
        if (serve.exitValue() != 0) {
            fail("snapstore serve exited with " + serve.exitValue() + " after SIGTERM; its log:\n" + readLog(log));
        }
    }

    static String readLog(Path log) {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return "(cannot read the log: " + e + ")";
        }
    }
}
