package dev.snapstore.dm;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/** Runs a command with a time limit, feeding stdin and draining stdout and stderr on threads of their own. */
final class ProcessRunner {

    /**
     * A finished command.
     *
     * @param status the exit status
     * @param stdout the standard output
     * @param stderr the standard error
     */
    record Result(int status, String stdout, String stderr) {}

    private ProcessRunner() {}

    static Result run(List<String> command, Map<String, String> environment, String stdin, Duration timeout)
            throws DeviceMapperException {
        String shown = String.join(" ", command);
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().putAll(environment);
        Process process;
        try {
            process = builder.start();
        } catch (IOException e) {
            throw new DeviceMapperException(
                    "cannot run " + command.get(0) + ": not found or not executable "
                            + "(install the package dmsetup, or put it on PATH)",
                    e);
        }
        ExecutorService pipes = Executors.newFixedThreadPool(3, r -> {
            Thread t = new Thread(r, "dmsetup-pipe");
            t.setDaemon(true);
            return t;
        });
        try {
            Future<?> in = pipes.submit(() -> {
                try (OutputStream o = process.getOutputStream()) {
                    o.write(stdin.getBytes(StandardCharsets.UTF_8));
                } catch (IOException e) {
                    // The command exited without reading its input; its status tells what happened.
                }
                return null;
            });
            Future<String> out = pipes.submit(() -> readAll(process.getInputStream()));
            Future<String> err = pipes.submit(() -> readAll(process.getErrorStream()));
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                kill(process);
                throw new DeviceMapperException("\"" + shown + "\" did not finish within " + timeout.toMillis()
                        + " ms and was killed (a suspended device under it, or udev not answering?)");
            }
            in.get();
            return new Result(process.exitValue(), out.get(), err.get());
        } catch (InterruptedException e) {
            kill(process);
            Thread.currentThread().interrupt();
            throw new DeviceMapperException("interrupted while waiting for \"" + shown + "\"", e);
        } catch (ExecutionException e) {
            throw new DeviceMapperException(
                    "cannot talk to \"" + shown + "\": " + e.getCause().getMessage(), e.getCause());
        } finally {
            if (process.isAlive()) {
                kill(process);
            }
            pipes.shutdownNow();
        }
    }

    private static void kill(Process process) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
    }

    private static String readAll(InputStream in) throws IOException {
        try (in) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
