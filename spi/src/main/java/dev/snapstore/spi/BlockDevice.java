package dev.snapstore.spi;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;

/**
 * A device addressed in 512-byte sectors: an image file, a block device, or memory.
 *
 * <p>Every transfer is a whole number of sectors. A transfer that would reach past the end of the
 * device fails with {@link BeyondEndOfDeviceException} and transfers nothing. Data written is not
 * durable until {@link #flush()} returns.
 *
 * <p>Implementations are safe for concurrent positional reads and writes from many threads.
 *
 * @since 0.1
 */
public interface BlockDevice extends Closeable {

    /**
     * The device's size in whole sectors, read anew on each call, as the kernel re-reads
     * {@code bdev_nr_sectors} on every allocation and status. A trailing partial sector is not
     * counted.
     *
     * @return the size in sectors
     * @throws java.io.UncheckedIOException when the size cannot be read
     */
    long sizeInSectors();

    /**
     * The logical block size in bytes, a power of two of at least 512.
     *
     * @return the block size
     */
    default int logicalBlockSize() {
        return ChunkSize.SECTOR_SIZE;
    }

    /**
     * Reads {@code dst.remaining()} bytes starting at {@code sector}, filling {@code dst} to its
     * limit.
     *
     * @param sector the first sector
     * @param dst where the bytes go; its remaining length must be a multiple of 512
     * @throws BeyondEndOfDeviceException when the range reaches past the end of the device
     * @throws IOException on any other I/O error
     */
    void read(long sector, ByteBuffer dst) throws IOException;

    /**
     * Writes {@code src.remaining()} bytes starting at {@code sector}.
     *
     * @param sector the first sector
     * @param src the bytes; the remaining length must be a multiple of 512
     * @throws BeyondEndOfDeviceException when the range reaches past the end of the device
     * @throws IOException on any other I/O error, or when the device is read-only
     */
    void write(long sector, ByteBuffer src) throws IOException;

    /**
     * Makes every write that completed before this call durable (a cache flush, {@code fdatasync}).
     *
     * @throws IOException when the flush fails
     */
    void flush() throws IOException;

    /**
     * Whether writes are refused.
     *
     * @return {@code true} for a device opened read-only
     */
    boolean isReadOnly();

    /**
     * A short name for messages, such as the file's path.
     *
     * @return the name, never {@code null}
     */
    String name();

    /**
     * What makes two devices the same storage: devices with equal identities read and write the
     * same bytes, however and how often they were opened. The engine compares identities, as the
     * kernel compares {@code dev_t}, to refuse a snapshot whose COW is its origin or whose COW
     * another snapshot of the origin already uses.
     *
     * <p>The default is the object itself, right for a device that owns its storage, such as
     * {@link MemoryBlockDevice}. {@link FileBlockDevice} returns the file's device and inode (the
     * device number for a block device node); a device that only passes I/O through to another
     * returns that device's identity.
     *
     * @return a value with {@code equals} and {@code hashCode}, never {@code null}
     * @since 0.2
     */
    default Object identity() {
        return this;
    }

    /**
     * Copies {@code bytes} bytes from sector {@code sector} on to the end of {@code target}, as an
     * export does. The default reads through a buffer of at most 1 MiB; {@link FileBlockDevice}
     * hands the copy to the kernel ({@link FileChannel#transferTo}).
     *
     * @param sector the first sector
     * @param bytes how many bytes, whole sectors
     * @param target where they go, at its position
     * @throws IOException when the device or the target fails, or the range is beyond the end
     * @since 0.2
     */
    default void transferTo(long sector, long bytes, WritableByteChannel target) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocateDirect((int) Math.min(bytes, 1 << 20));
        for (long done = 0; done < bytes; ) {
            int n = (int) Math.min(bytes - done, buffer.capacity());
            buffer.clear().limit(n);
            read(sector + (done >>> ChunkSize.SECTOR_SHIFT), buffer);
            buffer.flip();
            while (buffer.hasRemaining()) {
                target.write(buffer);
            }
            done += n;
        }
    }

    /**
     * Checks a transfer against the device's size, as the kernel's "attempt to access beyond end of
     * device" check does.
     *
     * @param device the device
     * @param sector the first sector
     * @param bytes the transfer length in bytes
     * @throws BeyondEndOfDeviceException when the transfer does not fit
     * @throws IllegalArgumentException when {@code bytes} is not a whole number of sectors or
     *     {@code sector} is negative
     */
    static void checkRange(BlockDevice device, long sector, int bytes) throws BeyondEndOfDeviceException {
        if ((bytes & (ChunkSize.SECTOR_SIZE - 1)) != 0 || sector < 0) {
            throw new IllegalArgumentException(
                    "transfer of " + bytes + " bytes at sector " + sector + " is not in whole sectors");
        }
        long count = bytes >>> ChunkSize.SECTOR_SHIFT;
        long limit = device.sizeInSectors();
        if (sector > limit || count > limit - sector) {
            throw new BeyondEndOfDeviceException(device.name(), sector, count, limit);
        }
    }
}
