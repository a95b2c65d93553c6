package dev.snapstore.spi;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * A {@link BlockDevice} over an image file or a Linux block device, with positional
 * {@link FileChannel} I/O and {@code fdatasync} as the flush.
 *
 * @since 0.1
 */
public final class FileBlockDevice implements BlockDevice {

    /** {@code S_IFMT} and {@code S_IFBLK} of {@code stat.st_mode}. */
    private static final int S_IFMT = 0170000;

    private static final int S_IFBLK = 0060000;

    private final Path path;
    private final FileChannel channel;
    private final boolean readOnly;
    private final int logicalBlockSize;
    private final String sysfsDevice;
    private final Object identity;
    /**
     * The size {@link #sizeInSectors()} last read. A range inside it is checked without a system call
     * (an {@code fstat}, or a sysfs read for a block device, per request cost a 10 M-exception load
     * and {@code check} 15-20 % of their time); a range beyond it reads the size again.
     */
    private volatile long knownSectors = -1;

    private FileBlockDevice(
            Path path,
            FileChannel channel,
            boolean readOnly,
            int logicalBlockSize,
            String sysfsDevice,
            Object identity) {
        this.path = path;
        this.channel = channel;
        this.readOnly = readOnly;
        this.logicalBlockSize = logicalBlockSize;
        this.sysfsDevice = sysfsDevice;
        this.identity = identity;
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
        Object identity;
        try {
            if (!Files.isRegularFile(path)) {
                sysfs = sysfsDirectory(path);
                if (sysfs != null) {
                    blockSize = readSysfsBlockSize(sysfs);
                }
            }
            identity = identityOf(path);
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
        return new FileBlockDevice(path, channel, !writable, blockSize, sysfs, identity);
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
        return new FileBlockDevice(
                device.path, device.channel, device.readOnly, logicalBlockSize, device.sysfsDevice, device.identity);
    }

    /**
     * The identity that a device opened at this path reports from {@link #identity()}, without
     * opening it: the device number of a block device node (two nodes of one disk are one device),
     * else the file system's device and inode (a symbolic link is the file it points to). Where the
     * platform has no such numbers, the file system's file key, or else the real path.
     *
     * @param path an existing file or device node
     * @return a value with {@code equals} and {@code hashCode}
     * @throws IOException when the path cannot be examined, e.g. it does not exist
     * @since 0.2
     */
    public static Object identityOf(Path path) throws IOException {
        try {
            Object rdev = Files.getAttribute(path, "unix:rdev");
            Object mode = Files.getAttribute(path, "unix:mode");
            if (rdev instanceof Long dev && mode instanceof Integer m && (m & S_IFMT) == S_IFBLK) {
                return new BlockNode(dev);
            }
            Object dev = Files.getAttribute(path, "unix:dev");
            Object ino = Files.getAttribute(path, "unix:ino");
            if (dev instanceof Long d && ino instanceof Long i) {
                return new Inode(d, i);
            }
        } catch (UnsupportedOperationException | IllegalArgumentException e) {
            // No unix attribute view: fall back to what every platform offers.
        }
        Object key = Files.readAttributes(path, BasicFileAttributes.class).fileKey();
        return key != null ? key : path.toRealPath();
    }

    /** Reads the size now; every call sees a file that grew or shrank since. */
    @Override
    public long sizeInSectors() {
        long sectors;
        try {
            long bytes = channel.size();
            if (bytes == 0 && sysfsDevice != null) {
                // fstat reports 0 for block devices; sysfs has the size in 512-byte sectors.
                sectors = Long.parseLong(
                        Files.readString(Path.of(sysfsDevice, "size")).trim());
            } else {
                sectors = bytes >>> ChunkSize.SECTOR_SHIFT;
            }
        } catch (IOException e) {
            throw new UncheckedIOException(path + ": cannot read the size", e);
        }
        knownSectors = sectors;
        return sectors;
    }

    /**
     * {@link BlockDevice#checkRange} against the size last read when the range fits in it, else
     * against the size read now. A device that shrank since is still caught: a read past its real end
     * finds the end of file, and {@link #read} reports that as beyond the end of the device.
     */
    private void checkRangeKnown(long sector, int bytes) throws BeyondEndOfDeviceException {
        long known = knownSectors;
        if ((bytes & (ChunkSize.SECTOR_SIZE - 1)) == 0
                && sector >= 0
                && sector <= known
                && bytes >>> ChunkSize.SECTOR_SHIFT <= known - sector) {
            return;
        }
        BlockDevice.checkRange(this, sector, bytes);
    }

    @Override
    public int logicalBlockSize() {
        return logicalBlockSize;
    }

    @Override
    public void read(long sector, ByteBuffer dst) throws IOException {
        checkRangeKnown(sector, dst.remaining());
        long position = sector << ChunkSize.SECTOR_SHIFT;
        while (dst.hasRemaining()) {
            int n = channel.read(dst, position);
            if (n < 0) {
                throw new BeyondEndOfDeviceException(
                        name(), sector, dst.remaining() >>> ChunkSize.SECTOR_SHIFT, sizeInSectors());
            }
            position += n;
        }
    }

    /** The kernel copies: {@code sendfile} or {@code copy_file_range} into a file, no user-space buffer. */
    @Override
    public void transferTo(long sector, long bytes, WritableByteChannel target) throws IOException {
        if ((bytes & (ChunkSize.SECTOR_SIZE - 1)) != 0 || sector < 0 || bytes < 0) {
            throw new IllegalArgumentException(
                    "transfer of " + bytes + " bytes at sector " + sector + " is not in whole sectors");
        }
        long position = sector << ChunkSize.SECTOR_SHIFT;
        for (long done = 0; done < bytes; ) {
            long n = channel.transferTo(position + done, bytes - done, target);
            if (n <= 0) {
                // Past the end (transferTo stops there), or a target that takes nothing.
                long size = sizeInSectors();
                if (Long.compareUnsigned(sector + (bytes >>> ChunkSize.SECTOR_SHIFT), size) > 0) {
                    throw new BeyondEndOfDeviceException(name(), sector, bytes >>> ChunkSize.SECTOR_SHIFT, size);
                }
                throw new IOException(name() + ": the target took no bytes");
            }
            done += n;
        }
    }

    @Override
    public void write(long sector, ByteBuffer src) throws IOException {
        if (readOnly) {
            throw new IOException(name() + ": opened read-only");
        }
        if (sysfsDevice != null) {
            // The kernel refuses a write past a block device's end (ENOSPC), so the size last read will do.
            checkRangeKnown(sector, src.remaining());
        } else {
            // A write past a file's real end would grow it: check against its size now.
            BlockDevice.checkRange(this, sector, src.remaining());
        }
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

    /**
     * The device and inode of the file, or the device number of a block device node, taken when it
     * was opened; see {@link #identityOf(Path)}.
     *
     * @return the identity
     */
    @Override
    public Object identity() {
        return identity;
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }

    @Override
    public String toString() {
        return "FileBlockDevice[" + path + (readOnly ? ", read-only" : "") + "]";
    }

    /** A block device node's {@code st_rdev}. */
    private record BlockNode(long rdev) {}

    /** A file's {@code st_dev} and {@code st_ino}. */
    private record Inode(long device, long inode) {}

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
                return Integer.parseInt(
                        Files.readString(Path.of(sysfs, candidate)).trim());
            } catch (IOException | NumberFormatException e) {
                // try the parent device (a partition has no queue folder of its own)
            }
        }
        return ChunkSize.SECTOR_SIZE;
    }
}
