package dev.snapstore.cli;

import dev.snapstore.engine.Activation;
import dev.snapstore.serve.NbdServer;
import dev.snapstore.serve.engine.EngineExport;
import dev.snapstore.spi.StoreTypes;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Option;
import org.apache.commons.cli.Options;

/**
 * {@code snapstore serve}: the origin and each snapshot as NBD exports, until SIGTERM or SIGINT.
 * Exports {@code origin} (writes copy out to every snapshot first) and one per {@code --cow NAME=FILE}
 * with the snapshot's semantics. A stop signal drains the requests in flight, flushes and closes the
 * files, and exits 0. The work is {@link NbdServer} over {@link EngineExport}s of one engine
 * {@link Activation}; this command parses, starts and waits.
 */
final class ServeCommand implements Command {

    static final String ORIGIN_EXPORT = "origin";

    private final StoreTypes types;

    ServeCommand(StoreTypes types) {
        this.types = types;
    }

    @Override
    public String name() {
        return "serve";
    }

    @Override
    public String synopsis() {
        return "--origin FILE --cow NAME=FILE [--cow NAME=FILE ...] [--type WORD] [--chunk-size N]"
                + " --socket PATH [--listen HOST:PORT [--allow-remote]] [--read-only NAME ...]"
                + " [--handshake-timeout SECONDS] [--max-connections N]";
    }

    @Override
    public String summary() {
        return "serve the origin and its snapshots over NBD (unix socket or loopback TCP) until stopped";
    }

    @Override
    public Options options() {
        return new Options()
                .addOption(SnapshotOptions.origin())
                .addOption(Option.builder()
                        .longOpt("cow")
                        .hasArg()
                        .argName("NAME=FILE")
                        .required()
                        .desc("a snapshot: its export name and its COW image; repeat for several snapshots of the"
                                + " origin (a COW without a header is initialised, as the kernel does)")
                        .get())
                .addOption(Option.builder()
                        .longOpt("type")
                        .hasArg()
                        .argName("WORD")
                        .desc("the store type word for every snapshot: P, PO or N (default P)")
                        .get())
                .addOption(SnapshotOptions.chunkSize(false))
                .addOption(Option.builder()
                        .longOpt("socket")
                        .hasArg()
                        .argName("PATH")
                        .desc("listen on this unix socket (must not exist; removed at stop)")
                        .get())
                .addOption(Option.builder()
                        .longOpt("listen")
                        .hasArg()
                        .argName("HOST:PORT")
                        .desc("listen on TCP; a loopback address unless --allow-remote")
                        .get())
                .addOption(Option.builder()
                        .longOpt("allow-remote")
                        .desc("allow --listen on a non-loopback address (NBD has no authentication)")
                        .get())
                .addOption(Option.builder()
                        .longOpt("read-only")
                        .hasArgs()
                        .argName("NAME")
                        .desc("serve these exports read-only ('origin' or a snapshot's NAME)")
                        .get())
                .addOption(Option.builder()
                        .longOpt("handshake-timeout")
                        .hasArg()
                        .argName("SECONDS")
                        .desc("drop a client that has not finished the handshake after this long (default "
                                + NbdServer.DEFAULT_HANDSHAKE_TIMEOUT.toSeconds() + ")")
                        .get())
                .addOption(Option.builder()
                        .longOpt("max-connections")
                        .hasArg()
                        .argName("N")
                        .desc("refuse connections beyond N open ones (default " + NbdServer.DEFAULT_MAX_CONNECTIONS
                                + ")")
                        .get());
    }

    @Override
    public String footer() {
        return "Exports: 'origin' and each snapshot NAME, e.g. nbd+unix:///NAME?socket=PATH. Stop with SIGTERM or"
                + " SIGINT: requests in flight finish, the files are flushed and closed, and the exit status is 0.";
    }

    @Override
    public ExitStatus run(CommandLine line, Io io) throws CliException {
        Path originPath = SnapshotOptions.path(line, "origin");
        Map<String, Path> cows = cows(line.getOptionValues("cow"));
        Set<String> readOnly = readOnly(line.getOptionValues("read-only"), cows.keySet());
        String typeWord = line.getOptionValue("type", StoreTypes.PERSISTENT);
        String chunkSizeArg = line.getOptionValue("chunk-size", "0");
        Path socket = line.hasOption("socket") ? SnapshotOptions.path(line, "socket") : null;
        InetSocketAddress tcp =
                line.hasOption("listen") ? listen(line.getOptionValue("listen"), line.hasOption("allow-remote")) : null;
        if (socket == null && tcp == null) {
            throw CliException.usage(name() + ": give --socket PATH or --listen HOST:PORT");
        }
        int handshakeSeconds = positive(
                line,
                "handshake-timeout",
                (int) NbdServer.DEFAULT_HANDSHAKE_TIMEOUT.toSeconds(),
                "a whole number of seconds");
        int maxConnections =
                positive(line, "max-connections", NbdServer.DEFAULT_MAX_CONNECTIONS, "a number of connections");
        if (socket != null && Files.exists(socket)) {
            throw CliException.usage(name() + ": --socket " + socket + " exists; remove it or choose another path");
        }
        boolean originWritable = !readOnly.contains(ORIGIN_EXPORT);
        boolean snapshotWritable = !readOnly.containsAll(cows.keySet());
        Activation.Access access = originWritable
                ? Activation.Access.ORIGIN_AND_COW
                : snapshotWritable ? Activation.Access.COW : Activation.Access.READ_ONLY;
        ImageActivation activation = ImageActivation.openAll(
                name(), types, originPath, new ArrayList<>(cows.values()), typeWord, chunkSizeArg, access, io);
        NbdServer server;
        try {
            NbdServer.Builder builder = NbdServer.builder()
                    .export(EngineExport.origin(ORIGIN_EXPORT, activation.origin(), !originWritable))
                    .handshakeTimeout(Duration.ofSeconds(handshakeSeconds))
                    .maxConnections(maxConnections)
                    .log(message -> io.err().println(Snapstore.PROGRAM + ": serve: " + message));
            int i = 0;
            for (String exportName : cows.keySet()) {
                builder.export(EngineExport.snapshot(
                        exportName, activation.snapshots().get(i++), readOnly.contains(exportName)));
            }
            if (socket != null) {
                builder.unixSocket(socket);
            }
            if (tcp != null) {
                builder.tcp(tcp);
                if (line.hasOption("allow-remote")) {
                    builder.allowNonLoopback();
                }
            }
            server = builder.start();
        } catch (IOException | RuntimeException e) {
            activation.close();
            throw CliException.usage(name() + ": cannot listen (" + Arguments.describe(e) + ")");
        }
        Stopper stopper = new Stopper(server, activation);
        Runtime.getRuntime().addShutdownHook(new Thread(stopper::onSignal, "snapstore-serve-stop"));
        List<String> names = new ArrayList<>(server.exports().keySet());
        for (String exportName : names) {
            server.unixSocket().ifPresent(p -> io.out().println("nbd+unix:///" + exportName + "?socket=" + p));
            server.tcpAddress()
                    .ifPresent(a -> io.out().println("nbd://" + hostForUri(a) + ":" + a.getPort() + "/" + exportName));
        }
        io.out().flush();
        return stopper.awaitStopped();
    }

    private static String hostForUri(InetSocketAddress address) {
        String host = address.getAddress().getHostAddress();
        return host.contains(":") ? "[" + host + "]" : host;
    }

    /** NAME=FILE pairs, in order; names unique, not {@code origin}, non-empty, no '/' or '?'. */
    private Map<String, Path> cows(String[] values) throws CliException {
        Map<String, Path> cows = new LinkedHashMap<>();
        for (String value : values) {
            int eq = value.indexOf('=');
            if (eq <= 0 || eq == value.length() - 1) {
                throw CliException.usage(name() + ": --cow " + value + ": expected NAME=FILE");
            }
            String exportName = value.substring(0, eq);
            if (exportName.equals(ORIGIN_EXPORT) || exportName.contains("/") || exportName.contains("?")) {
                throw CliException.usage(name() + ": --cow " + value + ": the export name '" + exportName
                        + "' is taken or not usable in an NBD URI; choose another NAME");
            }
            if (cows.put(exportName, Path.of(value.substring(eq + 1))) != null) {
                throw CliException.usage(name() + ": --cow: the export name '" + exportName + "' is given twice");
            }
        }
        return cows;
    }

    private Set<String> readOnly(String[] values, Set<String> snapshotNames) throws CliException {
        Set<String> names = new LinkedHashSet<>();
        if (values == null) {
            return names;
        }
        for (String value : values) {
            if (!value.equals(ORIGIN_EXPORT) && !snapshotNames.contains(value)) {
                throw CliException.usage(name() + ": --read-only " + value + ": no such export; exports: "
                        + ORIGIN_EXPORT + (snapshotNames.isEmpty() ? "" : ", " + String.join(", ", snapshotNames)));
            }
            names.add(value);
        }
        return names;
    }

    /** A positive int option, or its default when absent. */
    private int positive(CommandLine line, String option, int fallback, String what) throws CliException {
        String value = line.getOptionValue(option);
        if (value == null) {
            return fallback;
        }
        try {
            int n = Integer.parseInt(value);
            if (n > 0) {
                return n;
            }
        } catch (NumberFormatException e) {
            // the message below
        }
        throw CliException.usage(name() + ": --" + option + " " + value + ": expected " + what + " above 0");
    }

    private InetSocketAddress listen(String value, boolean allowRemote) throws CliException {
        int colon = value.lastIndexOf(':');
        if (colon <= 0 || colon == value.length() - 1) {
            throw CliException.usage(name() + ": --listen " + value + ": expected HOST:PORT, e.g. 127.0.0.1:10809");
        }
        String host = value.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        int port;
        try {
            port = Integer.parseInt(value.substring(colon + 1));
        } catch (NumberFormatException e) {
            port = -1;
        }
        if (port < 0 || port > 65535) {
            throw CliException.usage(name() + ": --listen " + value + ": the port must be 0-65535");
        }
        InetAddress address;
        try {
            address = InetAddress.getByName(host);
        } catch (UnknownHostException e) {
            throw CliException.usage(name() + ": --listen " + value + ": unknown host " + host);
        }
        if (!address.isLoopbackAddress() && !allowRemote) {
            throw CliException.usage(name() + ": --listen " + value
                    + " is not a loopback address; NBD has no authentication, so add --allow-remote to serve there");
        }
        return new InetSocketAddress(address, port);
    }

    /**
     * Stops once: the server drains and closes its exports, then the activation flushes and closes
     * the files. A signal runs it from the shutdown hook and ends the process with its status (a JVM
     * ended by a signal would otherwise exit 143 or 130).
     */
    private static final class Stopper {
        private final NbdServer server;
        private final ImageActivation activation;
        private ExitStatus status;

        Stopper(NbdServer server, ImageActivation activation) {
            this.server = server;
            this.activation = activation;
        }

        /** The main thread: waits for a stop, then cleans up (or waits for the hook that does). */
        ExitStatus awaitStopped() {
            boolean interrupted = false;
            while (true) {
                try {
                    server.awaitStopped();
                    break;
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
            return finish();
        }

        void onSignal() {
            server.close();
            Runtime.getRuntime().halt(finish().code());
        }

        private synchronized ExitStatus finish() {
            if (status == null) {
                try {
                    activation.close();
                    status = ExitStatus.OK;
                } catch (CliException e) {
                    System.err.println(Snapstore.PROGRAM + ": " + e.getMessage());
                    status = e.status();
                }
            }
            return status;
        }
    }
}
