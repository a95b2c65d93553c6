package dev.snapstore.dm;

import java.time.Duration;
import java.util.List;
import java.util.Map;

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
        ProcessRunner.Result result;
        try {
            result = ProcessRunner.execute(command, Map.of(), "", timeout);
        } catch (ProcessRunner.Failure e) {
            throw new TargetException(
                    switch (e.kind()) {
                        case NOT_STARTED ->
                            "cannot run " + shown + ": " + command.get(0)
                                    + " not found or not executable (is the device-mapper userspace, package dmsetup,"
                                    + " installed and on PATH?)";
                        case TIMED_OUT -> shown + " did not finish within " + describe(timeout) + " and was killed";
                        case INTERRUPTED -> "interrupted while waiting for " + shown;
                        case PIPES -> "cannot read the output of " + shown + ": " + e.getMessage();
                    },
                    e.getCause() == null ? e : e.getCause());
        }
        String stderr = result.stderr().strip();
        if (result.status() != 0) {
            throw new TargetException(shown + " exited with status " + result.status()
                    + (stderr.isEmpty() ? "" : ": " + stderr.replace('\n', ' ')));
        }
        try {
            return TargetVersions.parse(result.stdout());
        } catch (TargetException e) {
            throw new TargetException("output of " + shown + ": " + e.getMessage(), e);
        }
    }

    private static String describe(Duration d) {
        long ms = d.toMillis();
        return ms % 1000 == 0 ? ms / 1000 + " s" : ms + " ms";
    }
}
