package dev.snapstore.spi;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A {@link BlockDevice} over an image file or a Linux block device, with positional
 * {@link FileChannel} I/O and {@code fdatasync} as the flush.
 *
 * @since 0.1
 */
public final class FileBlockDevice implements BlockDevice {

    private final Path path;
    private final FileChannel channel;
    private final boolean readOnly;
    private final int logicalBlockSize;
    private final String sysfsDevice;

    private FileBlockDevice(Path path, FileChannel channel, boolean readOnly, int logicalBlockSize, String sysfsDevice) {
        this.path = path;
        this.channel = channel;
        this.readOnly = readOnly;
        this.logicalBlockSize = logicalBlockSize;
        this.sysfsDevice = sysfsDevice;
    }

    /**
     * Opens an existing file or block device.
     *
     * @param path the image file or device node
     * @param writable {@code false} to open read-only, so that nothing can change the image
     * @return the device
     * @throws NoSuchFileException when the path does not exist
     * @throws IOException when it is a directory or cannot be opened
     */
    public static FileBlockDevice open(Path path, boolean writable) throws IOException {
        if (Files.isDirectory(path)) {
            throw new IOException(path + ": is a directory");
        }
        FileChannel channel = writable
                ? FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE)
                : FileChannel.open(path, StandardOpenOption.READ);
        String sysfs = null;
        int blockSize = ChunkSize.SECTOR_SIZE;
        try {
            if (!Files.isRegularFile(path)) {
                sysfs = sysfsDirectory(path);
                if (sysfs != null) {
                    blockSize = readSysfsBlockSize(sysfs);
                }
            }
        } catch (RuntimeException e) {
            channel.close();
            throw e;
        }
        return new FileBlockDevice(path, channel, !writable, blockSize, sysfs);
    }

    /**
     * Opens an image file with a chosen logical block size, for images that stand in for devices
     * with 4096-byte sectors.
     *
     * @param path the image file
     * @param writable {@code false} to open read-only
     * @param logicalBlockSize the block size to report, a power of two of at least 512
     * @return the device
     * @throws IOException when the file cannot be opened
     */
    public static FileBlockDevice open(Path path, boolean writable, int logicalBlockSize) throws IOException {
        if (logicalBlockSize < ChunkSize.SECTOR_SIZE || Integer.bitCount(logicalBlockSize) != 1) {
            throw new IllegalArgumentException("logical block size " + logicalBlockSize);
        }
        FileBlockDevice device = open(path, writable);
        return new FileBlockDevice(device.path, device.channel, device.readOnly, logicalBlockSize, device.sysfsDevice);
    }

    @Override
    public long sizeInSectors() {
        try {
            long bytes = channel.size();
            if (bytes == 0 && sysfsDevice != null) {
                // fstat reports 0 for block devices; sysfs has the size in 512-byte sectors.
                return Long.parseLong(Files.readString(Path.of(sysfsDevice, "size")).trim());
            }
            return bytes >>> ChunkSize.SECTOR_SHIFT;
        } catch (IOException e) {
            throw new UncheckedIOException(path + ": cannot read the size", e);
        }
    }

    @Override
    public int logicalBlockSize() {
        return logicalBlockSize;
    }

    @Override
    public void read(long sector, ByteBuffer dst) throws IOException {
        BlockDevice.checkRange(this, sector, dst.remaining());
        long position = sector << ChunkSize.SECTOR_SHIFT;
        while (dst.hasRemaining()) {
            int n = channel.read(dst, position);
            if (n < 0) {
                throw new BeyondEndOfDeviceException(name(), sector, dst.remaining() >>> ChunkSize.SECTOR_SHIFT,
                        sizeInSectors());
            }
            position += n;
        }
    }

    @Override
    public void write(long sector, ByteBuffer src) throws IOException {
        if (readOnly) {
            throw new IOException(name() + ": opened read-only");
        }
        BlockDevice.checkRange(this, sector, src.remaining());
        long position = sector << ChunkSize.SECTOR_SHIFT;
        while (src.hasRemaining()) {
            position += channel.write(src, position);
        }
    }

    @Override
    public void flush() throws IOException {
        if (!readOnly) {
            channel.force(false);
        }
    }

    @Override
    public boolean isReadOnly() {
        return readOnly;
    }

    @Override
    public String name() {
        return path.toString();
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }

    @Override
    public String toString() {
        return "FileBlockDevice[" + path + (readOnly ? ", read-only" : "") + "]";
    }

    /** The sysfs folder of a block device node (e.g. /sys/dev/block/254:16), or null. */
    private static String sysfsDirectory(Path path) {
        try {
            Object rdev = Files.getAttribute(path, "unix:rdev");
            if (rdev instanceof Long dev && dev != 0) {
                // glibc's gnu_dev_major/minor encoding of dev_t.
                long major = ((dev >>> 8) & 0xfff) | ((dev >>> 32) & ~0xfffL);
                long minor = (dev & 0xff) | ((dev >>> 12) & ~0xffL);
                Path dir = Path.of("/sys/dev/block/" + major + ":" + minor);
                return Files.isDirectory(dir) ? dir.toString() : null;
            }
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            // Not a block device, or no unix attribute view: treat as a plain file.
        }
        return null;
    }

    private static int readSysfsBlockSize(String sysfs) {
        for (String candidate : new String[] {"queue/logical_block_size", "../queue/logical_block_size"}) {
            try {
                return Integer.parseInt(Files.readString(Path.of(sysfs, candidate)).trim());
            } catch (IOException | NumberFormatException e) {
                // try the parent device (a partition has no queue folder of its own)
            }
        }
        return ChunkSize.SECTOR_SIZE;
    }
}
