package dev.snapstore.cli;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * Finds and runs the real NBD clients. A missing client fails the test on CI (environment variable
 * {@code CI=true}), naming the Debian package to install, and skips it elsewhere.
 */
final class NbdClients {
    private NbdClients() {}

    /** The client's path; fails on CI or skips locally when it is not on the PATH. */
    static Path require(String binary, String debianPackage) {
        return require(binary, debianPackage, System.getenv());
    }

    static Path require(String binary, String debianPackage, Map<String, String> env) {
        for (String dir : env.getOrDefault("PATH", "").split(File.pathSeparator)) {
            Path p = Path.of(dir.isEmpty() ? "." : dir, binary);
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        String message = binary + " is not on the PATH: install the Debian package " + debianPackage;
        if ("true".equalsIgnoreCase(env.get("CI"))) {
            fail(message + " (CI=true: the real-client tests must run)");
        }
        Assumptions.abort(message);
        return null;
    }

    /** What a finished client printed (stdout and stderr together). */
    record Result(int exitCode, String output) {}

    /** Runs a command, failing the test when it exits non-zero or runs longer than two minutes. */
    static Result run(Path workDir, String... command) throws IOException, InterruptedException {
        Path out = Files.createTempFile(workDir, "client", ".out");
        Process p = new ProcessBuilder(List.of(command))
                .directory(workDir.toFile())
                .redirectErrorStream(true)
                .redirectOutput(out.toFile())
                .start();
        if (!p.waitFor(2, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            fail(String.join(" ", command) + " did not finish in two minutes:\n" + Files.readString(out));
        }
        String output = Files.readString(out);
        if (p.exitValue() != 0) {
            fail(String.join(" ", command) + " exited with " + p.exitValue() + ":\n" + output);
        }
        return new Result(p.exitValue(), output);
    }
}
