package dev.snapstore.cli;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Where {@code read} and {@code export} put bytes: a file (created, or truncated when it is a
 * regular file; a block device is written in place) or standard output for {@code -}.
 */
final class OutputFile implements ByteRanges.Sink, AutoCloseable {

    private final String name;
    private final WritableByteChannel channel;
    private final FileChannel file;
    private final OutputStream stream;

    private OutputFile(String name, WritableByteChannel channel, FileChannel file, OutputStream stream) {
        this.name = name;
        this.channel = channel;
        this.file = file;
        this.stream = stream;
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
        if (text.equals("-")) {
            OutputStream out = io.out();
            return new OutputFile("standard output", Channels.newChannel(out), null, out);
        }
        Path path = Path.of(text);
        if (Files.isDirectory(path)) {
            throw CliException.usage(command + ": --output " + path + ": is a directory");
        }
        try {
            boolean regular = !Files.exists(path) || Files.isRegularFile(path);
            FileChannel file = regular
                    ? FileChannel.open(
                            path,
                            StandardOpenOption.CREATE,
                            StandardOpenOption.WRITE,
                            StandardOpenOption.TRUNCATE_EXISTING)
                    : FileChannel.open(path, StandardOpenOption.WRITE);
            return new OutputFile(path.toString(), file, file, null);
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
        while (src.hasRemaining()) {
            channel.write(src);
        }
    }

    /**
     * Makes the bytes durable (a file) or pushes them out (standard output).
     *
     * @throws IOException when that fails
     */
    void finish() throws IOException {
        if (file != null) {
            file.force(false);
        } else {
            stream.flush();
        }
    }

    @Override
    public void close() throws IOException {
        if (file != null) {
            file.close();
        }
    }
}
