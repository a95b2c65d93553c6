package dev.snapstore.cli;

import dev.snapstore.cow.CowAreaReader;
import dev.snapstore.cow.CowFormat;
import dev.snapstore.cow.CowHeader;
import dev.snapstore.cow.tools.CowTable;
import dev.snapstore.cow.tools.TruncatedTableException;
import dev.snapstore.engine.Activation;
import dev.snapstore.engine.ImageInUseException;
import dev.snapstore.engine.ImageLock;
import dev.snapstore.spi.FileBlockDevice;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Optional;

/**
 * A COW image opened for the offline tools ({@code dump}, {@code check}, {@code restore}), with the
 * input errors worded once: a missing file, a directory, an unreadable or tiny file, a header that
 * cannot be decoded. Every such error is a {@link CliException} with exit status 2.
 */
final class CowFile implements AutoCloseable {

    private final Path path;
    private final FileBlockDevice device;
    private final ImageLock lock;

    private CowFile(Path path, FileBlockDevice device, ImageLock lock) {
        this.path = path;
        this.device = device;
        this.lock = lock;
    }

    /**
     * Opens a COW image; read-only unless {@code writable}.
     *
     * @param command the command, for messages
     * @param path the image
     * @param writable whether to open for writing: then the image is locked exclusively, else shared
     * @param locking whether to lock it, and whether to wait for another holder
     * @return the open image, at least one sector long
     * @throws CliException (exit 2) when it cannot be opened, is in use, or is too small to hold a header
     */
    static CowFile open(String command, Path path, boolean writable, Activation.Locking locking) throws CliException {
        if (Files.isDirectory(path)) {
            throw CliException.usage(command + ": " + path + ": is a directory, not a COW image");
        }
        if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS) && !Files.exists(path)) {
            throw CliException.usage(command + ": " + path + ": no such file");
        }
        Optional<String> special = ImageLock.specialKind(path);
        if (special.isPresent()) {
            throw CliException.usage(command + ": " + path + ": is " + special.get() + ", not a COW image");
        }
        ImageLock lock = null;
        if (locking != Activation.Locking.NONE) {
            try {
                lock = ImageLock.acquire(
                        path,
                        writable ? ImageLock.Mode.EXCLUSIVE : ImageLock.Mode.SHARED,
                        locking == Activation.Locking.WAIT);
            } catch (ImageInUseException e) {
                throw CliException.usage(command + ": " + e.getMessage() + "; try again later");
            } catch (IOException e) {
                throw CliException.usage(command + ": cannot open " + path + " (" + Arguments.describe(e) + ")");
            }
        }
        FileBlockDevice device;
        try {
            device = FileBlockDevice.open(path, writable);
        } catch (IOException | RuntimeException e) {
            release(lock);
            throw CliException.usage(command + ": cannot open " + path + " (" + Arguments.describe(e) + ")");
        }
        CowFile file = new CowFile(path, device, lock);
        long sectors;
        try {
            sectors = device.sizeInSectors();
        } catch (RuntimeException e) {
            file.close();
            throw CliException.usage(
                    command + ": cannot read the size of " + path + " (" + Arguments.describe(e) + ")");
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
            throw CliException.usage(
                    command + ": " + path + ": cannot read the header (" + Arguments.describe(e) + ")");
        }
    }

    /**
     * Walks the table ({@link CowTable#walk}), wording a failure.
     *
     * @param command the command, for messages
     * @param header the decodable header
     * @param visitor receives the records
     * @return how many records there were
     * @throws CliException (exit 2) when an area lies beyond the end of the image or cannot be read
     */
    long walk(String command, CowHeader header, CowTable.Visitor visitor) throws CliException {
        try {
            return CowTable.walk(device, header, visitor);
        } catch (IOException e) {
            throw readError(command, e);
        }
    }

    /**
     * The error for a table that could not be read to its end.
     *
     * @param command the command, for messages
     * @param e what the walk threw
     * @return the exception to throw (exit 2)
     */
    CliException readError(String command, IOException e) {
        if (e instanceof TruncatedTableException) {
            return CliException.usage(command + ": " + path + ": " + e.getMessage());
        }
        return CliException.usage(command + ": " + path + ": cannot read the metadata (" + Arguments.describe(e) + ")");
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
        Optional<String> reason = header.whyUndecodable();
        if (reason.isPresent()) {
            throw CliException.usage(command + ": " + path + ": header (byte offset 0): " + reason.get());
        }
        return header;
    }

    @Override
    public void close() {
        try {
            device.close();
        } catch (IOException e) {
            // read-only or already flushed: nothing to lose
        } finally {
            release(lock);
        }
    }

    private static void release(ImageLock lock) {
        if (lock == null) {
            return;
        }
        try {
            lock.close();
        } catch (IOException e) {
            // the process's lock went with the file's descriptor: nothing stays held
        }
    }
}
