package dev.snapstore.cli;

import dev.snapstore.engine.ImageLock;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;

/**
 * Where {@code read} and {@code export} put bytes: standard output for {@code -}; a regular file,
 * written under a temporary name in the same folder and renamed over the name only when every byte
 * is written (and flushed, when asked for), so that a failure leaves no partial file and an existing
 * file as it was; or a device, a FIFO or {@code /dev/null}, written in place, flushed (when asked
 * for) only when it is a block device (a character device or a FIFO has nothing to flush).
 * {@code read} always flushes; {@code export} only with {@code --fsync}, like {@code cp} and
 * {@code qemu-img convert}, which never do.
 */
final class OutputFile implements ByteRanges.Sink, AutoCloseable {

    private static final SecureRandom RANDOM = new SecureRandom();

    private final String name;
    private final FileChannel file;
    private final PrintStream stream;
    private final Path target;
    private final Path temporary;
    private final boolean durable;
    private boolean finished;

    private OutputFile(
            String name, FileChannel file, PrintStream stream, Path target, Path temporary, boolean durable) {
        this.name = name;
        this.file = file;
        this.stream = stream;
        this.target = target;
        this.temporary = temporary;
        this.durable = durable;
    }

    /**
     * Opens the output.
     *
     * @param command the command, for messages
     * @param text the {@code --output} value; {@code -} is standard output
     * @param io the streams
     * @return the open output
     * @throws CliException (exit 2) when it cannot be opened
     */
    static OutputFile open(String command, String text, Io io) throws CliException {
        return open(command, text, io, true);
    }

    /**
     * Opens the output.
     *
     * @param command the command, for messages
     * @param text the {@code --output} value; {@code -} is standard output
     * @param io the streams
     * @param flush whether {@link #finish} makes a file or block device durable ({@code fdatasync})
     * @return the open output
     * @throws CliException (exit 2) when it cannot be opened
     */
    static OutputFile open(String command, String text, Io io, boolean flush) throws CliException {
        if (text.equals("-")) {
            return new OutputFile("standard output", null, io.out(), null, null, false);
        }
        Path path = Path.of(text);
        if (Files.isDirectory(path)) {
            throw CliException.usage(command + ": --output " + path + ": is a directory");
        }
        try {
            if (!Files.exists(path) || Files.isRegularFile(path)) {
                // A link to a file is replaced through: the file it names gets the new content.
                Path target = Files.exists(path) ? path.toRealPath() : path.toAbsolutePath();
                Path temporary = target.resolveSibling(
                        "." + target.getFileName() + "." + Long.toHexString(RANDOM.nextLong()) + ".partial");
                // Created as the file itself would be (the umask's mode), not createTempFile's 0600.
                FileChannel file = FileChannel.open(temporary, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
                if (Files.exists(target)) {
                    try {
                        Files.setPosixFilePermissions(temporary, Files.getPosixFilePermissions(target));
                    } catch (IOException | UnsupportedOperationException e) {
                        // the new file keeps the default mode
                    }
                }
                return new OutputFile(path.toString(), file, null, target, temporary, flush);
            }
            // A block device, a character device (/dev/null) or a FIFO: written where it is.
            boolean block = ImageLock.specialKind(path).isEmpty();
            FileChannel file = FileChannel.open(path, StandardOpenOption.WRITE);
            return new OutputFile(path.toString(), file, null, null, null, flush && block);
        } catch (IOException e) {
            throw CliException.usage(command + ": cannot open --output " + path + " (" + Arguments.describe(e) + ")");
        }
    }

    String name() {
        return name;
    }

    /** @return the file written, for kernel copies into it; {@code null} for standard output */
    FileChannel file() {
        return file;
    }

    @Override
    public void take(ByteBuffer src) throws IOException {
        if (stream != null) {
            // A PrintStream keeps its errors to itself: ask, so that a cut pipe stops the copy at once.
            byte[] bytes = new byte[src.remaining()];
            src.get(bytes);
            stream.write(bytes, 0, bytes.length);
            if (stream.checkError()) {
                throw new IOException("cannot write to standard output (disk full or pipe closed)");
            }
            return;
        }
        while (src.hasRemaining()) {
            file.write(src);
        }
    }

    /**
     * Makes the bytes durable (when opened to flush) and puts a regular file in place under its name,
     * or pushes them out (standard output).
     *
     * @throws IOException when that fails
     */
    void finish() throws IOException {
        if (stream != null) {
            stream.flush();
            if (stream.checkError()) {
                throw new IOException("cannot write to standard output (disk full or pipe closed)");
            }
            return;
        }
        if (durable) {
            file.force(false);
        }
        if (temporary != null) {
            file.close();
            Files.move(temporary, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        }
        finished = true;
    }

    /** Closes the output; a regular file that was not {@link #finish finished} is removed, the old one kept. */
    @Override
    public void close() throws IOException {
        if (file == null) {
            return;
        }
        try {
            file.close();
        } finally {
            if (temporary != null && !finished) {
                Files.deleteIfExists(temporary);
            }
        }
    }
}
