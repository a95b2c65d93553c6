package dev.snapstore.dm;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * Runs a command that prints a {@code dmsetup targets} listing. The command is a constructor
 * argument so that tests can run {@code /bin/sh -c ...} instead of {@code dmsetup}.
 */
final class DmsetupCommand implements VersionSource {

    private final List<String> command;
    private final Duration timeout;

    DmsetupCommand(List<String> command, Duration timeout) {
        if (command.isEmpty()) {
            throw new IllegalArgumentException("empty command");
        }
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout " + timeout);
        }
        this.command = List.copyOf(command);
        this.timeout = timeout;
    }

    @Override
    public TargetVersions read() throws TargetException {
        String shown = "\"" + String.join(" ", command) + "\"";
        Process process;
        try {
            process = new ProcessBuilder(command)
                    .redirectInput(ProcessBuilder.Redirect.PIPE)
                    .start();
        } catch (IOException e) {
            throw new TargetException(
                    "cannot run " + shown + ": " + command.get(0)
                            + " not found or not executable (is the device-mapper userspace, package dmsetup, installed and on PATH?)",
                    e);
        }
        // Both pipes are drained at once, on threads of their own, so that a chatty stderr cannot
        // block the child and a blocking read cannot starve a shared pool.
        ExecutorService readers = Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "dmsetup-output");
            t.setDaemon(true);
            return t;
        });
        try {
            process.getOutputStream().close();
            Future<String> out = readers.submit(() -> readAll(process.getInputStream()));
            Future<String> err = readers.submit(() -> readAll(process.getErrorStream()));
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                kill(process);
                throw new TargetException(shown + " did not finish within " + describe(timeout) + " and was killed");
            }
            String stdout = out.get();
            String stderr = err.get().strip();
            int status = process.exitValue();
            if (status != 0) {
                throw new TargetException(shown + " exited with status " + status
                        + (stderr.isEmpty() ? "" : ": " + stderr.replace('\n', ' ')));
            }
            try {
                return TargetVersions.parse(stdout);
            } catch (TargetException e) {
                throw new TargetException("output of " + shown + ": " + e.getMessage(), e);
            }
        } catch (IOException e) {
            throw new TargetException("cannot talk to " + shown + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            kill(process);
            Thread.currentThread().interrupt();
            throw new TargetException("interrupted while waiting for " + shown, e);
        } catch (ExecutionException e) {
            throw new TargetException(
                    "cannot read the output of " + shown + ": " + e.getCause().getMessage(), e.getCause());
        } finally {
            if (process.isAlive()) {
                kill(process);
            }
            readers.shutdownNow();
        }
    }

    /** Kills the command and anything it started, which may still hold the output pipes open. */
    private static void kill(Process process) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
    }

    private static String readAll(InputStream in) throws IOException {
        try (in) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static String describe(Duration d) {
        long ms = d.toMillis();
        return ms % 1000 == 0 ? ms / 1000 + " s" : ms + " ms";
    }
}
