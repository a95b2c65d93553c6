package dev.snapstore.testkit;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.opentest4j.AssertionFailedError;
import org.opentest4j.TestAbortedException;

/**
 * Finds and runs the real tools a test drives (NBD clients, qemu, e2fsprogs). A missing tool fails
 * the test on CI (environment variable {@code CI=true}), naming the Debian package to install, and
 * skips it elsewhere. It throws opentest4j's exceptions, which JUnit reports as a failure and as
 * a skip, so the testkit needs no JUnit API.
 */
public final class ExternalTools {
    private ExternalTools() {}

    /**
     * The tool's path.
     *
     * @param binary the file name looked up on the PATH
     * @param debianPackage the package that brings it, for the message
     * @return its path
     * @throws AssertionFailedError when it is missing and {@code CI=true}
     * @throws TestAbortedException when it is missing elsewhere
     */
    public static Path require(String binary, String debianPackage) {
        return require(binary, debianPackage, System.getenv());
    }

    /**
     * The tool's path, in a given environment.
     *
     * @param binary the file name looked up on {@code env}'s PATH
     * @param debianPackage the package that brings it, for the message
     * @param env the environment: {@code PATH} and {@code CI}
     * @return its path
     * @throws AssertionFailedError when it is missing and {@code CI=true}
     * @throws TestAbortedException when it is missing elsewhere
     */
    public static Path require(String binary, String debianPackage, Map<String, String> env) {
        for (String dir : env.getOrDefault("PATH", "").split(File.pathSeparator)) {
            Path p = Path.of(dir.isEmpty() ? "." : dir, binary);
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        String message = binary + " is not on the PATH: install the Debian package " + debianPackage;
        if ("true".equalsIgnoreCase(env.get("CI"))) {
            throw new AssertionFailedError(message + " (CI=true: the tests that need it must run)");
        }
        throw new TestAbortedException(message);
    }

    /**
     * What a finished command printed.
     *
     * @param exitCode its exit status
     * @param output its stdout and stderr together
     */
    public record Result(int exitCode, String output) {}

    /**
     * Runs a command in a folder, with a limit of two minutes.
     *
     * @param workDir its working folder, which also holds its output file while it runs
     * @param command the command and its arguments
     * @return its exit status (0) and output
     * @throws AssertionFailedError when it exits non-zero or runs longer than two minutes
     * @throws IOException when it cannot be started or its output not read
     * @throws InterruptedException when interrupted while waiting
     */
    public static Result run(Path workDir, String... command) throws IOException, InterruptedException {
        return run(workDir, Duration.ofMinutes(2), command);
    }

    /**
     * Runs a command in a folder, with a time limit.
     *
     * @param workDir its working folder, which also holds its output file while it runs
     * @param limit how long it may run
     * @param command the command and its arguments
     * @return its exit status (0) and output
     * @throws AssertionFailedError when it exits non-zero or runs longer than {@code limit}
     * @throws IOException when it cannot be started or its output not read
     * @throws InterruptedException when interrupted while waiting
     */
    public static Result run(Path workDir, Duration limit, String... command) throws IOException, InterruptedException {
        Path out = Files.createTempFile(workDir, "client", ".out");
        try {
            Process p = new ProcessBuilder(List.of(command))
                    .directory(workDir.toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(out.toFile())
                    .start();
            if (!p.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                throw new AssertionFailedError(String.join(" ", command) + " did not finish in " + limit.toSeconds()
                        + " s:\n" + Files.readString(out));
            }
            String output = Files.readString(out);
            if (p.exitValue() != 0) {
                throw new AssertionFailedError(
                        String.join(" ", command) + " exited with " + p.exitValue() + ":\n" + output);
            }
            return new Result(p.exitValue(), output);
        } finally {
            Files.deleteIfExists(out);
        }
    }
}
