package dev.snapstore.cli;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One run of the CLI in its own JVM, started from this test's own module path: what two operators
 * running {@code snapstore} at once are. Standard output and error go to files, so that a test can
 * also send standard output somewhere else ({@code /dev/full}, a pipe).
 */
record CliProcess(int exit, String out, String err) {

    /**
     * The command that starts the CLI with these arguments.
     *
     * @param args the CLI's arguments
     * @return the command line
     */
    static List<String> command(String... args) {
        String modulePath = System.getProperty("jdk.module.path");
        if (modulePath == null) {
            throw new IllegalStateException("the tests are not on the module path");
        }
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        // Start-up only: these JVMs live for a second.
        command.add("-XX:TieredStopAtLevel=1");
        command.add("-Xshare:auto");
        command.add("--module-path");
        command.add(modulePath);
        command.add("-m");
        command.add("dev.snapstore.cli/dev.snapstore.cli.Main");
        command.addAll(List.of(args));
        return command;
    }

    /**
     * Starts the CLI, standard output and error to files in {@code dir}.
     *
     * @param dir a scratch folder
     * @param args the arguments
     * @return the running process
     * @throws IOException when it cannot be started
     */
    static Process start(Path dir, String... args) throws IOException {
        Path out = Files.createTempFile(dir, "out", ".txt");
        Path err = Files.createTempFile(dir, "err", ".txt");
        return new ProcessBuilder(command(args))
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectOutput(out.toFile())
                .redirectError(err.toFile())
                .start();
    }

    /**
     * Runs the CLI to its end.
     *
     * @param dir a scratch folder
     * @param args the arguments
     * @return its exit status and what it printed
     */
    static CliProcess run(Path dir, String... args) throws IOException, InterruptedException {
        Path out = Files.createTempFile(dir, "out", ".txt");
        Path err = Files.createTempFile(dir, "err", ".txt");
        Process process = new ProcessBuilder(command(args))
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectOutput(out.toFile())
                .redirectError(err.toFile())
                .start();
        return finish(process, out, err);
    }

    /**
     * Runs the CLI with standard output sent to a file or device.
     *
     * @param dir a scratch folder
     * @param stdout where standard output goes, e.g. {@code /dev/full}
     * @param args the arguments
     * @return its exit status and standard error ({@code out} is empty)
     */
    static CliProcess runTo(Path dir, Path stdout, String... args) throws IOException, InterruptedException {
        Path err = Files.createTempFile(dir, "err", ".txt");
        Process process = new ProcessBuilder(command(args))
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectOutput(ProcessBuilder.Redirect.to(stdout.toFile()))
                .redirectError(err.toFile())
                .start();
        return finish(process, null, err);
    }

    /**
     * Runs a shell command line (for pipes), with {@code $SNAPSTORE} standing for the CLI.
     *
     * @param dir a scratch folder
     * @param script the shell script
     * @return its exit status, output and error
     */
    static CliProcess shell(Path dir, String script) throws IOException, InterruptedException {
        Path out = Files.createTempFile(dir, "out", ".txt");
        Path err = Files.createTempFile(dir, "err", ".txt");
        ProcessBuilder builder = new ProcessBuilder("bash", "-c", script)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectOutput(out.toFile())
                .redirectError(err.toFile());
        builder.environment().put("SNAPSTORE", String.join(" ", command()));
        return finish(builder.start(), out, err);
    }

    private static CliProcess finish(Process process, Path out, Path err) throws IOException, InterruptedException {
        if (!process.waitFor(120, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IllegalStateException("the CLI did not finish in 120 s");
        }
        return new CliProcess(
                process.exitValue(),
                out == null ? "" : Files.readString(out, StandardCharsets.UTF_8),
                Files.readString(err, StandardCharsets.UTF_8));
    }

    @Override
    public String toString() {
        return exit + "\n--- out\n" + out + "--- err\n" + err;
    }
}
