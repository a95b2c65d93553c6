package dev.snapstore.serve;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * An NBD server over a fixed set of {@link NbdExport}s: the fixed newstyle handshake (no oldstyle),
 * {@code NBD_OPT_GO}/{@code INFO}/{@code LIST}/{@code ABORT}/{@code EXPORT_NAME}/{@code STRUCTURED_REPLY}/
 * {@code SET_META_CONTEXT}/{@code LIST_META_CONTEXT} with {@code base:allocation}, and the commands
 * READ, WRITE, FLUSH, WRITE_ZEROES, TRIM, CACHE, BLOCK_STATUS and DISC.
 *
 * <p>Each connection has a reader thread that parses requests in order and hands them to a worker
 * pool shared by all connections, so many requests of one connection run at once and their replies
 * go out as they finish, each reply written whole. A per-connection budget of in-flight bytes stops
 * the reader when a client sends faster than the exports answer.
 *
 * <p>A client that breaks the protocol (bad magic, a huge option, a request cut short) loses its
 * own connection with one log line; every other client keeps being served. Requests that are well
 * framed but wrong (past the end, unaligned, too large, unknown command or flag) get the protocol's
 * error and the connection stays. A client that has not finished the handshake within the handshake
 * timeout (one that connects and says nothing, or stalls mid-option) is dropped, and connections
 * beyond the connection limit are closed at once, each with one log line: idle or surplus sockets
 * cannot pin the server's threads.
 *
 * <p>Lifecycle: {@link Builder#start()} binds and accepts; {@link #stop()} stops accepting, lets
 * every request already read finish and be answered (later ones get {@code ESHUTDOWN} or are not
 * read), flushes and closes the exports and removes the unix socket; {@link #awaitStopped()} blocks
 * until that is done; {@link #close()} does both. Thread-safe.
 *
 * @since 0.1
 */
public final class NbdServer implements AutoCloseable {
    /** The largest READ or WRITE payload by default: 32 MiB, what the protocol says to accept. */
    public static final int DEFAULT_MAX_PAYLOAD = 32 << 20;

    /** How long a client may take to finish the handshake by default (see {@link Builder#handshakeTimeout}). */
    public static final Duration DEFAULT_HANDSHAKE_TIMEOUT = Duration.ofSeconds(10);

    /** The most connections open at once by default (see {@link Builder#maxConnections}). */
    public static final int DEFAULT_MAX_CONNECTIONS = 64;

    /** The fewest worker threads by default (see {@link Builder#workers}). */
    private static final int DEFAULT_MIN_WORKERS = 32;

    /** Where a server is in its life. */
    public enum State {
        /** Accepting connections and serving requests. */
        RUNNING,
        /** No longer accepting; draining in-flight requests, then flushing and closing the exports. */
        STOPPING,
        /** Every connection closed, every export flushed and closed. */
        STOPPED
    }

    private final Map<String, NbdExport> exports;
    private final String defaultExport;
    private final int maxPayload;
    private final long maxInFlightBytes;
    private final Consumer<String> log;
    private final Duration drainTimeout;
    private final Duration handshakeTimeout;
    private final int maxConnections;
    private final ExecutorService workers;
    private final ScheduledThreadPoolExecutor timer;
    private final BufferPool buffers = new BufferPool();
    private final List<ServerSocketChannel> listeners = new ArrayList<>();
    private final List<Thread> acceptors = new ArrayList<>();
    private final Set<NbdConnection> connections = ConcurrentHashMap.newKeySet();
    private final AtomicInteger connectionIds = new AtomicInteger();
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final Object lock = new Object();
    private Path unixSocket;
    private InetSocketAddress tcpAddress;
    private volatile State state = State.RUNNING;

    private NbdServer(Builder b) {
        this.exports = Collections.unmodifiableMap(new LinkedHashMap<>(b.exports));
        this.defaultExport = b.defaultExport;
        this.maxPayload = b.maxPayload;
        this.maxInFlightBytes = b.maxInFlightBytes;
        this.log = b.log;
        this.drainTimeout = b.drainTimeout;
        this.handshakeTimeout = b.handshakeTimeout;
        this.maxConnections = b.maxConnections;
        this.timer = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "nbd-handshake-timer");
            t.setDaemon(true);
            return t;
        });
        timer.setRemoveOnCancelPolicy(true); // a finished handshake leaves nothing queued
        AtomicInteger workerIds = new AtomicInteger();
        this.workers =
                new ThreadPoolExecutor(b.workers, b.workers, 0, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
                    Thread t = new Thread(r, "nbd-worker-" + workerIds.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
    }

    /**
     * A builder with no exports and no listener yet.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * The unix socket the server listens on.
     *
     * @return its path, or empty when not listening on one
     */
    public Optional<Path> unixSocket() {
        return Optional.ofNullable(unixSocket);
    }

    /**
     * The TCP address the server listens on, with the actual port when port 0 was asked for.
     *
     * @return the bound address, or empty when not listening on TCP
     */
    public Optional<InetSocketAddress> tcpAddress() {
        return Optional.ofNullable(tcpAddress);
    }

    /**
     * The exports by name, in the order they were added.
     *
     * @return an unmodifiable map
     */
    public Map<String, NbdExport> exports() {
        return exports;
    }

    /**
     * Where the server is in its life.
     *
     * @return the current state
     */
    public State state() {
        return state;
    }

    /**
     * Starts a graceful stop and returns at once; does nothing when already stopping or stopped.
     * See the class comment for the order of things.
     */
    public void stop() {
        synchronized (lock) {
            if (state != State.RUNNING) {
                return;
            }
            state = State.STOPPING;
        }
        Thread t = new Thread(this::shutdown, "nbd-stop");
        t.setDaemon(false); // the JVM waits for the exports to be flushed and closed
        t.start();
    }

    /**
     * Blocks until the server has stopped: connections closed, exports flushed and closed.
     *
     * @throws InterruptedException when interrupted while waiting
     */
    public void awaitStopped() throws InterruptedException {
        stopped.await();
    }

    /**
     * Blocks until the server has stopped or the time is up.
     *
     * @param timeout how long to wait
     * @param unit its unit
     * @return {@code true} when stopped
     * @throws InterruptedException when interrupted while waiting
     */
    public boolean awaitStopped(long timeout, TimeUnit unit) throws InterruptedException {
        return stopped.await(timeout, unit);
    }

    /** Stops the server and waits until it has stopped; idempotent. */
    @Override
    public void close() {
        stop();
        boolean interrupted = false;
        while (true) {
            try {
                awaitStopped();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    private void shutdown() {
        try {
            for (ServerSocketChannel l : listeners) {
                closeQuietly(l);
            }
            joinAll(acceptors);
            timer.shutdownNow(); // connections still haggling are closed below anyway
            List<NbdConnection> open = new ArrayList<>(connections);
            for (NbdConnection c : open) {
                c.shutdown();
            }
            long deadline = System.nanoTime() + drainTimeout.toNanos();
            for (NbdConnection c : open) {
                long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                if (left > 0) {
                    c.thread().join(left);
                }
                if (c.thread().isAlive()) { // a client that stopped reading its replies: drop it
                    log.accept("nbd: dropping a connection that did not drain within " + drainTimeout);
                    c.abort();
                }
            }
            for (NbdConnection c : open) {
                c.thread().join();
            }
            workers.shutdown();
            while (!workers.awaitTermination(1, TimeUnit.MINUTES)) {
                log.accept("nbd: still waiting for export operations to finish");
            }
            for (NbdExport e : exports.values()) {
                try {
                    if (!e.isReadOnly()) {
                        e.flush();
                    }
                } catch (IOException | RuntimeException ex) {
                    log.accept("nbd: flushing export '" + e.name() + "' at stop failed: " + ex);
                }
                try {
                    e.close();
                } catch (Exception ex) {
                    log.accept("nbd: closing export '" + e.name() + "' failed: " + ex);
                }
            }
            if (unixSocket != null) {
                Files.deleteIfExists(unixSocket);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException e) {
            log.accept("nbd: removing " + unixSocket + " failed: " + e);
        } finally {
            state = State.STOPPED;
            stopped.countDown();
        }
    }

    private static void joinAll(List<Thread> threads) throws InterruptedException {
        for (Thread t : threads) {
            t.join();
        }
    }

    private void listen(ServerSocketChannel listener, String what) {
        listeners.add(listener);
        Thread t = new Thread(() -> acceptLoop(listener, what), "nbd-accept-" + what);
        t.setDaemon(true);
        acceptors.add(t);
    }

    private void acceptLoop(ServerSocketChannel listener, String what) {
        while (true) {
            SocketChannel channel;
            try {
                channel = listener.accept();
            } catch (ClosedChannelException e) {
                return; // stop() closed it
            } catch (IOException e) {
                if (state != State.RUNNING) {
                    return;
                }
                log.accept("nbd: accepting on " + what + " failed: " + e);
                continue;
            }
            try {
                if (channel.getRemoteAddress() instanceof InetSocketAddress) {
                    channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
                }
            } catch (IOException e) {
                closeQuietly(channel);
                continue;
            }
            NbdConnection c = new NbdConnection(this, channel, what + "#" + connectionIds.incrementAndGet());
            synchronized (lock) {
                if (state != State.RUNNING) {
                    closeQuietly(channel);
                    return;
                }
                if (connections.size() >= maxConnections) {
                    closeQuietly(channel);
                    log.accept("nbd " + c.id() + ": refusing the connection: " + maxConnections
                            + " connections are open already (the limit)");
                    continue;
                }
                connections.add(c);
            }
            c.start();
        }
    }

    static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception e) {
            // nothing left to do with it
        }
    }

    // --- what connections need ---

    /** The export a client names, with the empty name meaning the default export. */
    NbdExport lookup(String name) {
        if (name.isEmpty() && defaultExport != null) {
            return exports.get(defaultExport);
        }
        return exports.get(name);
    }

    boolean isRunning() {
        return state == State.RUNNING;
    }

    int maxPayload() {
        return maxPayload;
    }

    long maxInFlightBytes() {
        return maxInFlightBytes;
    }

    ExecutorService workers() {
        return workers;
    }

    /** Runs {@code onTimeout} when the handshake timeout has passed, unless cancelled first. */
    ScheduledFuture<?> handshakeDeadline(Runnable onTimeout) {
        return timer.schedule(onTimeout, handshakeTimeout.toNanos(), TimeUnit.NANOSECONDS);
    }

    Duration handshakeTimeout() {
        return handshakeTimeout;
    }

    BufferPool buffers() {
        return buffers;
    }

    void log(String line) {
        log.accept(line);
    }

    /** How many connections were accepted since start, for tests that check clients really used several. */
    int acceptedConnections() {
        return connectionIds.get();
    }

    /** How many connections are open now, haggling or transmitting. */
    int openConnections() {
        return connections.size();
    }

    void closed(NbdConnection c) {
        connections.remove(c);
    }

    /**
     * Collects exports and listeners, then {@link #start()}s a server.
     *
     * @since 0.1
     */
    public static final class Builder {
        private final Map<String, NbdExport> exports = new LinkedHashMap<>();
        private String defaultExport;
        private Path unixSocket;
        private InetSocketAddress tcp;
        private boolean allowNonLoopback;
        // Export calls block on I/O (a snapshot write waits for its commit's flushes), so the pool bounds
        // how many requests a store sees at once and can batch into one commit, not CPU use: 32 lets a
        // queue depth of 32 (fio's usual, a guest's) reach the export whole.
        private int workers =
                Math.max(DEFAULT_MIN_WORKERS, 2 * Runtime.getRuntime().availableProcessors());
        private int maxPayload = DEFAULT_MAX_PAYLOAD;
        private long maxInFlightBytes = 128L << 20;
        private Duration drainTimeout = Duration.ofSeconds(30);
        private Duration handshakeTimeout = DEFAULT_HANDSHAKE_TIMEOUT;
        private int maxConnections = DEFAULT_MAX_CONNECTIONS;
        private Consumer<String> log =
                line -> System.getLogger("dev.snapstore.serve").log(System.Logger.Level.WARNING, line);

        private Builder() {}

        /**
         * Adds an export; the server owns it from {@link #start()} on (it flushes and closes it at stop).
         *
         * @param export the export; its name must be unique, valid UTF-8 of at most 4096 bytes
         * @return this builder
         */
        public Builder export(NbdExport export) {
            Objects.requireNonNull(export, "export");
            String name = export.name();
            if (name.getBytes(StandardCharsets.UTF_8).length > Wire.MAX_STRING) {
                throw new IllegalArgumentException("export name longer than 4096 bytes");
            }
            checkBlockSizes(export);
            if (exports.putIfAbsent(name, export) != null) {
                throw new IllegalArgumentException("two exports named '" + name + "'");
            }
            return this;
        }

        private static void checkBlockSizes(NbdExport e) {
            int min = e.minimumBlockSize();
            int pref = e.preferredBlockSize();
            if (Integer.bitCount(min) != 1 || min > 65536) {
                throw new IllegalArgumentException(
                        "export '" + e.name() + "': minimum block size " + min + " is not a power of two up to 65536");
            }
            if (Integer.bitCount(pref) != 1 || pref < Math.max(512, min)) {
                throw new IllegalArgumentException("export '" + e.name() + "': preferred block size " + pref
                        + " is not a power of two of at least 512 and the minimum");
            }
            if (e.size() < 0 || e.size() % min != 0) {
                throw new IllegalArgumentException("export '" + e.name() + "': size " + e.size()
                        + " is not a multiple of the minimum block size " + min);
            }
        }

        /**
         * Names the export that clients get when they ask for the empty name.
         *
         * @param name the name of an export added to this builder
         * @return this builder
         */
        public Builder defaultExport(String name) {
            this.defaultExport = Objects.requireNonNull(name, "name");
            return this;
        }

        /**
         * Listens on a unix socket, created at start (an existing file is an error) and removed at stop.
         *
         * @param path the socket path, short enough for {@code sun_path} (about 107 bytes)
         * @return this builder
         */
        public Builder unixSocket(Path path) {
            this.unixSocket = Objects.requireNonNull(path, "path");
            return this;
        }

        /**
         * Listens on TCP on the loopback address.
         *
         * @param port the port, or 0 for any free one (see {@link NbdServer#tcpAddress()})
         * @return this builder
         */
        public Builder tcpLoopback(int port) {
            return tcp(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
        }

        /**
         * Listens on TCP on the given address; an address that is not loopback is refused at
         * {@link #start()} unless {@link #allowNonLoopback()} was called: the protocol has no
         * authentication, so exposing an export is the operator's explicit decision.
         *
         * @param address the address and port to bind
         * @return this builder
         */
        public Builder tcp(InetSocketAddress address) {
            this.tcp = Objects.requireNonNull(address, "address");
            return this;
        }

        /**
         * Allows {@link #tcp(InetSocketAddress)} to bind an address other than loopback.
         *
         * @return this builder
         */
        public Builder allowNonLoopback() {
            this.allowNonLoopback = true;
            return this;
        }

        /**
         * The number of worker threads, shared by all connections.
         *
         * @param count at least 1; twice the processors, at least 32, by default
         * @return this builder
         */
        public Builder workers(int count) {
            if (count < 1) {
                throw new IllegalArgumentException("workers: " + count);
            }
            this.workers = count;
            return this;
        }

        /**
         * The largest READ or WRITE payload, advertised in {@code NBD_INFO_BLOCK_SIZE}; larger
         * requests get EINVAL.
         *
         * @param bytes at least 65536 (and at least every export's preferred block size)
         * @return this builder
         */
        public Builder maxPayload(int bytes) {
            if (bytes < 65536) {
                throw new IllegalArgumentException("max payload below 64 KiB: " + bytes);
            }
            this.maxPayload = bytes;
            return this;
        }

        /**
         * The bytes of READ and WRITE payload one connection may have in flight before its reader
         * waits; bounds the server's memory per client.
         *
         * @param bytes at least the max payload; 128 MiB by default
         * @return this builder
         */
        public Builder maxInFlightBytes(long bytes) {
            this.maxInFlightBytes = bytes;
            return this;
        }

        /**
         * How long {@link NbdServer#stop()} waits for a connection's in-flight requests to be answered
         * before it drops the connection (a client that no longer reads its replies).
         *
         * @param timeout 30 seconds by default
         * @return this builder
         */
        public Builder drainTimeout(Duration timeout) {
            this.drainTimeout = Objects.requireNonNull(timeout, "timeout");
            return this;
        }

        /**
         * How long a client may take from connecting to the end of the handshake (its
         * {@code NBD_OPT_GO} or {@code NBD_OPT_EXPORT_NAME}); a client still haggling then, or one that
         * never sent a byte, is dropped with one log line. The transmission phase has no such limit:
         * an idle attached client is normal.
         *
         * @param timeout positive; {@link #DEFAULT_HANDSHAKE_TIMEOUT} by default
         * @return this builder
         */
        public Builder handshakeTimeout(Duration timeout) {
            Objects.requireNonNull(timeout, "timeout");
            if (timeout.isNegative() || timeout.isZero()) {
                throw new IllegalArgumentException("handshake timeout not positive: " + timeout);
            }
            this.handshakeTimeout = timeout;
            return this;
        }

        /**
         * The most connections open at once, haggling or transmitting; a client connecting beyond it
         * is closed before the handshake, with one log line.
         *
         * @param count at least 1; {@link #DEFAULT_MAX_CONNECTIONS} by default
         * @return this builder
         */
        public Builder maxConnections(int count) {
            if (count < 1) {
                throw new IllegalArgumentException("max connections: " + count);
            }
            this.maxConnections = count;
            return this;
        }

        /**
         * Where the one-line reports go (dropped connections, failed operations); the
         * {@code dev.snapstore.serve} {@link System.Logger} at WARNING by default.
         *
         * @param sink receives single lines
         * @return this builder
         */
        public Builder log(Consumer<String> sink) {
            this.log = Objects.requireNonNull(sink, "sink");
            return this;
        }

        /**
         * Binds the listeners and starts accepting.
         *
         * @return the running server
         * @throws IOException when a listener cannot be bound (the socket file exists, the port is taken)
         * @throws IllegalStateException when there is no export or no listener, a non-loopback address
         *         was not allowed, the default export is unknown, or the max payload is below a
         *         preferred block size
         */
        public NbdServer start() throws IOException {
            if (exports.isEmpty()) {
                throw new IllegalStateException("no export to serve");
            }
            if (unixSocket == null && tcp == null) {
                throw new IllegalStateException("no unix socket and no TCP address to listen on");
            }
            if (defaultExport != null && !exports.containsKey(defaultExport)) {
                throw new IllegalStateException("default export '" + defaultExport + "' is not an export");
            }
            if (maxInFlightBytes < maxPayload) {
                throw new IllegalStateException("max in-flight bytes below the max payload");
            }
            for (NbdExport e : exports.values()) {
                if (e.preferredBlockSize() > maxPayload) {
                    throw new IllegalStateException(
                            "export '" + e.name() + "': preferred block size above the max payload");
                }
            }
            if (tcp != null
                    && !allowNonLoopback
                    && (tcp.isUnresolved() || !tcp.getAddress().isLoopbackAddress())) {
                throw new IllegalStateException(tcp + " is not a loopback address: NBD has no authentication, "
                        + "so listening there must be allowed explicitly");
            }
            NbdServer server = new NbdServer(this);
            try {
                if (unixSocket != null) {
                    ServerSocketChannel l = bind(
                            ServerSocketChannel.open(StandardProtocolFamily.UNIX),
                            UnixDomainSocketAddress.of(unixSocket));
                    server.unixSocket = unixSocket;
                    server.listen(l, "unix");
                }
                if (tcp != null) {
                    ServerSocketChannel l = bind(ServerSocketChannel.open(), tcp);
                    server.tcpAddress = (InetSocketAddress) l.getLocalAddress();
                    server.listen(l, "tcp");
                }
            } catch (IOException | RuntimeException e) {
                for (ServerSocketChannel l : server.listeners) {
                    closeQuietly(l);
                }
                if (server.unixSocket != null) {
                    Files.deleteIfExists(server.unixSocket);
                }
                server.workers.shutdown();
                server.timer.shutdownNow();
                throw e;
            }
            for (Thread t : server.acceptors) {
                t.start();
            }
            return server;
        }

        private static ServerSocketChannel bind(ServerSocketChannel l, SocketAddress address) throws IOException {
            try {
                return l.bind(address);
            } catch (IOException | RuntimeException e) {
                closeQuietly(l);
                throw e;
            }
        }
    }
}
