package dev.snapstore.dm;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * A {@link DeviceMapper} that runs {@code dmsetup}, one process per operation. Tables go to
 * {@code dmsetup} on standard input, so multi-line tables need no quoting. Each command has a time
 * limit, after which it is killed; a failure carries {@code dmsetup}'s stderr.
 *
 * <p>Without udev (no {@code /run/udev/control}, e.g. in a container or an initramfs) the commands
 * run with {@code --noudevsync} and {@code DM_DISABLE_UDEV=1}, so {@code dmsetup} makes the
 * {@code /dev/mapper} nodes itself and never waits for a udev that will not answer. Before each
 * command the client checks that {@code /dev/mapper/control} exists and is writable, and says
 * what is wrong in one line when it is not.
 *
 * <p>When the kernel refuses a {@code create}, {@code load}, {@code suspend} or {@code resume},
 * the exception also carries the kernel's own {@code device-mapper:} log lines about it
 * ({@link DeviceMapperException#kernelLog()}, read with {@code dmesg}; best effort, absent when
 * the log is not readable).
 *
 * @since 0.1
 */
public final class DmsetupDeviceMapper implements DeviceMapper {

    /** The time limit of one command when none is given. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);
    /** The device-mapper control node. */
    public static final Path CONTROL = Path.of("/dev/mapper/control");
    /** Exists while udev runs; without it, udev synchronisation would wait for nothing. */
    static final Path UDEV_CONTROL = Path.of("/run/udev/control");
    /** The commands whose refusal the kernel explains in its log (table constructors, resume hooks). */
    private static final Set<String> KERNEL_SPEAKS = Set.of("create", "load", "resume", "suspend");

    /** Runs one command; the seam for unit tests. */
    interface Runner {
        /**
         * Runs a command to its end.
         *
         * @param command the command and its arguments
         * @param environment variables to add
         * @param stdin the standard input text
         * @param timeout the time limit
         * @return the result
         * @throws DeviceMapperException when the command cannot be started or does not finish in time
         */
        ProcessRunner.Result run(List<String> command, Map<String, String> environment, String stdin, Duration timeout)
                throws DeviceMapperException;
    }

    private final String executable;
    private final Duration timeout;
    private final Path control;
    private final Boolean udev;
    private final Runner runner;
    private final Dmesg kernelLog;

    DmsetupDeviceMapper(String executable, Duration timeout, Path control, Boolean udev, Runner runner) {
        this(executable, timeout, control, udev, runner, Dmesg.NONE);
    }

    DmsetupDeviceMapper(
            String executable, Duration timeout, Path control, Boolean udev, Runner runner, Dmesg kernelLog) {
        this.executable = Objects.requireNonNull(executable, "executable");
        this.timeout = Objects.requireNonNull(timeout, "timeout");
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout " + timeout);
        }
        this.control = control;
        this.udev = udev;
        this.runner = Objects.requireNonNull(runner, "runner");
        this.kernelLog = Objects.requireNonNull(kernelLog, "kernelLog");
    }

    /**
     * {@code dmsetup} from {@code PATH} with {@link #DEFAULT_TIMEOUT}.
     *
     * @return the client
     */
    public static DmsetupDeviceMapper create() {
        return create("dmsetup", DEFAULT_TIMEOUT);
    }

    /**
     * A given {@code dmsetup} with a given time limit per command; udev synchronisation is used when
     * udev runs.
     *
     * @param executable the program, a name on {@code PATH} or a path
     * @param timeout the time limit of one command, positive
     * @return the client
     */
    public static DmsetupDeviceMapper create(String executable, Duration timeout) {
        return new DmsetupDeviceMapper(executable, timeout, CONTROL, null, ProcessRunner::run, Dmesg.dmesg());
    }

    @Override
    public void create(String name, List<String> table, boolean suspended) throws DeviceMapperException {
        String text = tableText(table);
        if (!suspended) {
            run("create " + name, text, "create", checkName(name));
            return;
        }
        run("create " + name, null, "create", checkName(name), "--notable");
        try {
            run("load " + name, text, "load", name);
        } catch (DeviceMapperException e) {
            // No half-made device: the empty one goes again, and the load's error is what counts.
            try {
                run("remove " + name, null, "remove", name);
            } catch (DeviceMapperException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    @Override
    public void load(String name, List<String> table) throws DeviceMapperException {
        run("load " + name, tableText(table), "load", checkName(name));
    }

    @Override
    public void clear(String name) throws DeviceMapperException {
        run("clear " + name, null, "clear", checkName(name));
    }

    @Override
    public void suspend(String name) throws DeviceMapperException {
        run("suspend " + name, null, "suspend", checkName(name));
    }

    @Override
    public void resume(String name) throws DeviceMapperException {
        run("resume " + name, null, "resume", checkName(name));
    }

    @Override
    public void remove(String name) throws DeviceMapperException {
        run("remove " + name, null, "remove", checkName(name));
    }

    @Override
    public List<String> table(String name) throws DeviceMapperException {
        return lines(run("table " + name, null, "table", checkName(name)));
    }

    @Override
    public List<String> status(String name) throws DeviceMapperException {
        return lines(run("status " + name, null, "status", checkName(name)));
    }

    @Override
    public Optional<DeviceInfo> info(String name) throws DeviceMapperException {
        checkName(name);
        ProcessRunner.Result r = start(List.of("info", name), null);
        if (r.status() != 0) {
            if (r.stderr().contains("does not exist") || r.stdout().contains("does not exist")) {
                return Optional.empty();
            }
            throw failure("info " + name, r);
        }
        if (r.stdout().strip().equals("Device does not exist.")) {
            return Optional.empty();
        }
        return Optional.of(DeviceInfo.parse(r.stdout()));
    }

    @Override
    public List<String> list() throws DeviceMapperException {
        List<String> names = new ArrayList<>();
        for (String line : lines(run("ls", null, "ls"))) {
            if (line.equals("No devices found")) {
                continue;
            }
            int tab = line.indexOf('\t');
            names.add((tab < 0 ? line : line.substring(0, tab)).strip());
        }
        names.sort(null);
        return List.copyOf(names);
    }

    @Override
    public TargetVersions targets() throws DeviceMapperException {
        String out = run("targets", null, "targets");
        try {
            return TargetVersions.parse(out);
        } catch (TargetException e) {
            throw new DeviceMapperException("unreadable output of dmsetup targets: " + e.getMessage(), e);
        }
    }

    /** Whether to synchronise with udev: as configured, else whether udev runs. */
    boolean udevSync() {
        return udev != null ? udev : Files.exists(UDEV_CONTROL);
    }

    private String run(String what, String stdin, String... args) throws DeviceMapperException {
        long mark = kernelLog.mark();
        ProcessRunner.Result r = start(List.of(args), stdin);
        if (r.status() != 0) {
            // The ioctl's errno is all dmsetup says; the table constructor's reason is in the kernel log.
            List<String> kernel = KERNEL_SPEAKS.contains(args[0]) ? kernelLog.since(mark) : List.of();
            throw failure(what, r, kernel);
        }
        return r.stdout();
    }

    private ProcessRunner.Result start(List<String> args, String stdin) throws DeviceMapperException {
        checkControl();
        List<String> command = new ArrayList<>();
        command.add(executable);
        Map<String, String> env = Map.of();
        if (!udevSync()) {
            command.add("--noudevsync");
            env = Map.of("DM_DISABLE_UDEV", "1");
        }
        command.addAll(args);
        return runner.run(command, env, stdin == null ? "" : stdin, timeout);
    }

    private void checkControl() throws DeviceMapperException {
        if (control == null) {
            return;
        }
        if (!Files.exists(control)) {
            throw new DeviceMapperException(control + " is missing: the kernel has no device-mapper "
                    + "(modprobe dm-mod) or /dev is not mounted");
        }
        if (!Files.isWritable(control)) {
            throw new DeviceMapperException("no permission to use " + control + " (device-mapper needs root)");
        }
    }

    private static DeviceMapperException failure(String what, ProcessRunner.Result r) {
        return failure(what, r, List.of());
    }

    private static DeviceMapperException failure(String what, ProcessRunner.Result r, List<String> kernel) {
        String words = r.stderr().strip().replace('\n', ' ');
        if (words.endsWith("Command failed.")) {
            words = words.substring(0, words.length() - "Command failed.".length())
                    .strip();
        }
        return new DeviceMapperException(
                "dmsetup " + what + " failed (exit status " + r.status() + ")" + (words.isEmpty() ? "" : ": " + words)
                        + (kernel.isEmpty() ? "" : "; kernel: " + String.join("; ", kernel)),
                r.status(),
                r.stderr(),
                kernel,
                null);
    }

    private static String checkName(String name) {
        Objects.requireNonNull(name, "name");
        // dmsetup takes the name as one argument; a name that looks like an option or holds a slash or
        // white space is refused here, before any device changes.
        if (name.isEmpty()
                || name.startsWith("-")
                || name.contains("/")
                || name.chars().anyMatch(Character::isWhitespace)
                || name.length() >= 128) {
            throw new IllegalArgumentException("not a device-mapper device name: \"" + name + "\"");
        }
        return name;
    }

    private static String tableText(List<String> table) {
        Objects.requireNonNull(table, "table");
        if (table.isEmpty()) {
            throw new IllegalArgumentException("a table needs at least one line");
        }
        StringBuilder b = new StringBuilder();
        for (String line : table) {
            if (line.isBlank() || line.contains("\n")) {
                throw new IllegalArgumentException("not one table line: \"" + line + "\"");
            }
            b.append(line.strip()).append('\n');
        }
        return b.toString();
    }

    private static List<String> lines(String out) {
        List<String> lines = new ArrayList<>();
        for (String line : out.split("\n")) {
            if (!line.isBlank()) {
                lines.add(line.strip());
            }
        }
        return List.copyOf(lines);
    }
}
