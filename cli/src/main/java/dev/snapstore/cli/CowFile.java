package dev.snapstore.cli;

import dev.snapstore.cow.CowAreaReader;
import dev.snapstore.cow.CowFormat;
import dev.snapstore.cow.CowHeader;
import dev.snapstore.spi.FileBlockDevice;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;

/**
 * A COW image opened for the offline tools ({@code dump}, {@code check}, {@code restore}), with the
 * input errors worded once: a missing file, a directory, an unreadable or tiny file, a header that
 * cannot be decoded. Every such error is a {@link CliException} with exit status 2.
 */
final class CowFile implements AutoCloseable {

    /** The largest chunk size the kernel accepts: {@code INT_MAX >> SECTOR_SHIFT} rounded down to a power of two. */
    static final int MAX_CHUNK_SIZE = 1 << 21;

    private final Path path;
    private final FileBlockDevice device;

    private CowFile(Path path, FileBlockDevice device) {
        this.path = path;
        this.device = device;
    }

    /**
     * Opens a COW image; read-only unless {@code writable}.
     *
     * @param command the command, for messages
     * @param path the image
     * @param writable whether to open for writing
     * @return the open image, at least one sector long
     * @throws CliException (exit 2) when it cannot be opened or is too small to hold a header
     */
    static CowFile open(String command, Path path, boolean writable) throws CliException {
        if (Files.isDirectory(path)) {
            throw CliException.usage(command + ": " + path + ": is a directory, not a COW image");
        }
        if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS) && !Files.exists(path)) {
            throw CliException.usage(command + ": " + path + ": no such file");
        }
        FileBlockDevice device;
        try {
            device = FileBlockDevice.open(path, writable);
        } catch (IOException | RuntimeException e) {
            throw CliException.usage(command + ": cannot open " + path + " (" + Arguments.describe(e) + ")");
        }
        CowFile file = new CowFile(path, device);
        long sectors;
        try {
            sectors = device.sizeInSectors();
        } catch (RuntimeException e) {
            file.close();
            throw CliException.usage(command + ": cannot read the size of " + path + " (" + Arguments.describe(e) + ")");
        }
        if (sectors < 1) {
            file.close();
            throw CliException.usage(command + ": " + path + ": too small to be a COW (" + bytes(path)
                    + " bytes; the snapshot header needs at least one 512-byte sector)");
        }
        return file;
    }

    private static String bytes(Path path) {
        try {
            return Long.toString(Files.size(path));
        } catch (IOException e) {
            return "?";
        }
    }

    Path path() {
        return path;
    }

    FileBlockDevice device() {
        return device;
    }

    long sizeInBytes() {
        return device.sizeInSectors() << CowFormat.SECTOR_SHIFT;
    }

    /**
     * Reads the header.
     *
     * @param command the command, for messages
     * @return the header, whatever it holds
     * @throws CliException (exit 2) on a read error
     */
    CowHeader header(String command) throws CliException {
        try {
            return CowAreaReader.readHeader(device);
        } catch (IOException | RuntimeException e) {
            throw CliException.usage(command + ": " + path + ": cannot read the header (" + Arguments.describe(e) + ")");
        }
    }

    /**
     * Why a header cannot be decoded, in the kernel's words ({@code read_header}), or null when its
     * magic and chunk size are usable. The version and the valid flag are not judged here.
     *
     * @param header the header
     * @return the reason, or null
     */
    static String undecodable(CowHeader header) {
        if (header.magic() == 0) {
            return "no snapshot header (magic 0: a COW the kernel would treat as new)";
        }
        if (!header.hasMagic()) {
            return "Invalid or corrupt snapshot (magic 0x" + String.format("%08x", header.magic()) + ", expected 0x"
                    + String.format("%08x", CowFormat.SNAP_MAGIC) + ")";
        }
        String chunkError = chunkSizeError(header.chunkSize());
        if (chunkError != null) {
            return "invalid on-disk chunk size " + Integer.toUnsignedString(header.chunkSize()) + ": " + chunkError + ".";
        }
        return null;
    }

    /**
     * The kernel's {@code dm_exception_store_set_chunk_size} rules for a 512-byte-sector device.
     *
     * @param chunkSize the chunk size in sectors (unsigned)
     * @return the kernel's message, or null when valid
     */
    static String chunkSizeError(int chunkSize) {
        if (chunkSize == 0 || Integer.bitCount(chunkSize) != 1) {
            return "Chunk size is not a power of 2";
        }
        if (Integer.compareUnsigned(chunkSize, Integer.MAX_VALUE >> CowFormat.SECTOR_SHIFT) > 0) {
            return "Chunk size is too high";
        }
        return null;
    }

    /**
     * Reads the header and insists that the table can be decoded (magic and chunk size).
     *
     * @param command the command, for messages
     * @return the header
     * @throws CliException (exit 2) when it cannot
     */
    CowHeader decodableHeader(String command) throws CliException {
        CowHeader header = header(command);
        String reason = undecodable(header);
        if (reason != null) {
            throw CliException.usage(command + ": " + path + ": header (byte offset 0): " + reason);
        }
        return header;
    }

    @Override
    public void close() {
        try {
            device.close();
        } catch (IOException e) {
            // read-only or already flushed: nothing to lose
        }
    }
}
