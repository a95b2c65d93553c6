package dev.snapstore.cli;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real {@code snapstore serve} process, started on the module path the tests run on, so that it
 * can be stopped with a real SIGTERM or killed with a real SIGKILL.
 */
final class ServeProcess implements AutoCloseable {

    private final Process process;
    private final Path log;
    final Path socket;

    private ServeProcess(Process process, Path log, Path socket) {
        this.process = process;
        this.log = log;
        this.socket = socket;
    }

    static ServeProcess start(Path dir, Path socket, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        String modulePath = System.getProperty("jdk.module.path");
        if (modulePath != null) {
            command.add("--module-path");
            command.add(modulePath);
            command.add("--module");
            command.add("dev.snapstore.cli/dev.snapstore.cli.Main");
        } else {
            command.add("-cp");
            command.add(System.getProperty("java.class.path"));
            command.add("dev.snapstore.cli.Main");
        }
        command.add("serve");
        command.add("--socket");
        command.add(socket.toString());
        command.addAll(List.of(args));
        Path log = Files.createTempFile(dir, "serve", ".log");
        Process p = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        ServeProcess serve = new ServeProcess(p, log, socket);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        // The server prints its URIs once it listens; the socket file alone appears at bind(), a
        // moment before listen(), and a client in between is refused.
        while (!Files.exists(socket) || !Files.readString(log).contains("nbd+unix:///")) {
            if (!p.isAlive()) {
                fail("snapstore serve exited with " + p.exitValue() + ":\n" + serve.log());
            }
            if (System.nanoTime() > deadline) {
                p.destroyForcibly();
                fail("snapstore serve did not listen within 30 s:\n" + serve.log());
            }
            Thread.sleep(20);
        }
        return serve;
    }

    String uri(String export) {
        return "nbd+unix:///" + export + "?socket=" + socket;
    }

    String log() {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return "(cannot read the server's log: " + e + ")";
        }
    }

    long pid() {
        return process.pid();
    }

    /** SIGTERM, then the exit status; fails when the process needs more than {@code seconds}. */
    int terminate(int seconds) throws IOException, InterruptedException {
        process.destroy();
        if (!process.waitFor(seconds, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            fail("snapstore serve did not stop within " + seconds + " s of SIGTERM:\n" + log());
        }
        return process.exitValue();
    }

    /** SIGKILL, as {@code kill -9}. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor();
    }

    @Override
    public void close() throws IOException {
        process.destroyForcibly();
        Files.deleteIfExists(socket);
    }
}
