package dev.snapstore.serve;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Objects;

/**
 * A raw image file served as it is: positional reads and writes, {@code fdatasync} for flush and
 * FUA. Block status reports everything allocated (the JDK has no {@code SEEK_DATA}), which is always
 * correct. The size is the file's size when opened, rounded down to the minimum block size.
 * Thread-safe: {@link FileChannel}'s positional operations are.
 *
 * @since 0.1
 */
public final class FileExport implements NbdExport {
    private static final int ZERO_BUFFER = 1 << 20;

    private final String name;
    private final FileChannel channel;
    private final long size;
    private final int minimumBlockSize;
    private final int preferredBlockSize;
    private final boolean readOnly;

    private FileExport(
            String name,
            FileChannel channel,
            long size,
            int minimumBlockSize,
            int preferredBlockSize,
            boolean readOnly) {
        this.name = name;
        this.channel = channel;
        this.size = size;
        this.minimumBlockSize = minimumBlockSize;
        this.preferredBlockSize = preferredBlockSize;
        this.readOnly = readOnly;
    }

    /**
     * Opens a file to serve.
     *
     * @param name the export name
     * @param file an existing regular file
     * @param minimumBlockSize the logical block size, a power of two up to 65536
     * @param preferredBlockSize a power of two, at least 512 and at least the minimum
     * @param readOnly whether to open the file read-only and refuse writes
     * @return the export, owning the open file
     * @throws IOException when the file cannot be opened
     */
    public static FileExport open(
            String name, Path file, int minimumBlockSize, int preferredBlockSize, boolean readOnly) throws IOException {
        Objects.requireNonNull(name, "name");
        if (Integer.bitCount(minimumBlockSize) != 1
                || minimumBlockSize > 65536
                || Integer.bitCount(preferredBlockSize) != 1
                || preferredBlockSize < Math.max(512, minimumBlockSize)) {
            throw new IllegalArgumentException("bad block sizes: " + minimumBlockSize + ", " + preferredBlockSize);
        }
        FileChannel channel = readOnly
                ? FileChannel.open(file, StandardOpenOption.READ)
                : FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
        long size;
        try {
            size = channel.size() / minimumBlockSize * minimumBlockSize;
        } catch (IOException e) {
            channel.close();
            throw e;
        }
        return new FileExport(name, channel, size, minimumBlockSize, preferredBlockSize, readOnly);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    public int minimumBlockSize() {
        return minimumBlockSize;
    }

    @Override
    public int preferredBlockSize() {
        return preferredBlockSize;
    }

    @Override
    public boolean isReadOnly() {
        return readOnly;
    }

    @Override
    public void read(long offset, ByteBuffer dst) throws NbdException {
        try {
            long pos = offset;
            while (dst.hasRemaining()) {
                int n = channel.read(dst, pos);
                if (n < 0) { // the file shrank under us: what is gone reads as zero, like a hole
                    while (dst.hasRemaining()) {
                        dst.put((byte) 0);
                    }
                    return;
                }
                pos += n;
            }
        } catch (IOException e) {
            throw io("read", offset, e);
        }
    }

    @Override
    public void write(long offset, ByteBuffer src, boolean fua) throws NbdException {
        try {
            long pos = offset;
            while (src.hasRemaining()) {
                pos += channel.write(src, pos);
            }
            if (fua) {
                channel.force(false);
            }
        } catch (IOException e) {
            throw io("write", offset, e);
        }
    }

    @Override
    public void flush() throws NbdException {
        try {
            channel.force(false);
        } catch (IOException e) {
            throw io("flush", 0, e);
        }
    }

    @Override
    public void writeZeroes(long offset, long length, boolean fua, boolean mayTrim) throws NbdException {
        ByteBuffer zeroes = ByteBuffer.allocate((int) Math.min(length, ZERO_BUFFER));
        long pos = offset;
        long end = offset + length;
        while (pos < end) {
            zeroes.clear().limit((int) Math.min(zeroes.capacity(), end - pos));
            write(pos, zeroes, false);
            pos += zeroes.limit();
        }
        if (fua) {
            flush();
        }
    }

    @Override
    public void close() throws NbdException {
        try {
            channel.close();
        } catch (IOException e) {
            throw io("close", 0, e);
        }
    }

    private NbdException io(String what, long offset, IOException e) {
        return new NbdException(
                NbdError.EIO.value(), what + " at " + offset + " of " + name + ": " + e.getMessage(), e);
    }
}
