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

    /** Why a command gave no {@link Result}; each caller words it for its own user. */
    static final class Failure extends Exception {
        private static final long serialVersionUID = 1L;

        /** What went wrong. */
        enum Kind {
            /** The program could not be started (missing, not executable). */
            NOT_STARTED,
            /** It ran past the time limit and was killed. */
            TIMED_OUT,
            /** The waiting thread was interrupted; the command was killed. */
            INTERRUPTED,
            /** Its pipes could not be read or written. */
            PIPES
        }

        private final Kind kind;

        Failure(Kind kind, String message, Throwable cause) {
            super(message, cause);
            this.kind = kind;
        }

        Kind kind() {
            return kind;
        }
    }

    /**
     * Runs a dmsetup command, wording a failure for the device-mapper client.
     *
     * @throws DeviceMapperException when it cannot be run, times out or is interrupted
     */
    static Result run(List<String> command, Map<String, String> environment, String stdin, Duration timeout)
            throws DeviceMapperException {
        String shown = String.join(" ", command);
        try {
            return execute(command, environment, stdin, timeout);
        } catch (Failure e) {
            throw new DeviceMapperException(
                    switch (e.kind()) {
                        case NOT_STARTED ->
                            "cannot run " + command.get(0) + ": not found or not executable "
                                    + "(install the package dmsetup, or put it on PATH)";
                        case TIMED_OUT ->
                            "\"" + shown + "\" did not finish within " + timeout.toMillis()
                                    + " ms and was killed (a suspended device under it, or udev not answering?)";
                        case INTERRUPTED -> "interrupted while waiting for \"" + shown + "\"";
                        case PIPES -> "cannot talk to \"" + shown + "\": " + e.getMessage();
                    },
                    e.getCause());
        }
    }

    /**
     * Runs a command with a time limit; stdin is written and closed, stdout and stderr are drained
     * on threads of their own so that neither can block the child.
     *
     * @param command the program and its arguments
     * @param environment variables to add
     * @param stdin what to write to its standard input
     * @param timeout the time limit, after which it and its children are killed
     * @return its status and output
     * @throws Failure when it could not be started, timed out, or was interrupted
     */
    static Result execute(List<String> command, Map<String, String> environment, String stdin, Duration timeout)
            throws Failure {
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().putAll(environment);
        Process process;
        try {
            process = builder.start();
        } catch (IOException e) {
            throw new Failure(Failure.Kind.NOT_STARTED, e.getMessage(), e);
        }
        ExecutorService pipes = Executors.newFixedThreadPool(3, r -> {
            Thread t = new Thread(r, "process-pipe");
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
                throw new Failure(Failure.Kind.TIMED_OUT, "timed out", null);
            }
            in.get();
            return new Result(process.exitValue(), out.get(), err.get());
        } catch (InterruptedException e) {
            kill(process);
            Thread.currentThread().interrupt();
            throw new Failure(Failure.Kind.INTERRUPTED, "interrupted", e);
        } catch (ExecutionException e) {
            throw new Failure(Failure.Kind.PIPES, e.getCause().getMessage(), e.getCause());
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
