package dev.snapstore.cli;

import dev.snapstore.cow.CowFormat;
import dev.snapstore.cow.tools.CowCreate;
import dev.snapstore.dm.SnapshotStatus;
import dev.snapstore.engine.ImageInUseException;
import dev.snapstore.engine.ImageLock;
import dev.snapstore.spi.ChunkSize;
import dev.snapstore.spi.ExceptionStore;
import dev.snapstore.spi.FileBlockDevice;
import dev.snapstore.spi.KernelLog;
import dev.snapstore.spi.StoreException;
import dev.snapstore.spi.StoreTypes;
import dev.snapstore.spi.Usage;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Optional;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Option;
import org.apache.commons.cli.Options;

/**
 * {@code snapstore create}: a new persistent COW ({@link CowCreate}), written by the persistent
 * store's own initialisation, so the bytes are the kernel's on first activation (header chunk,
 * zeroed metadata area 0, nothing else). This command handles the file: creating it sparse,
 * sizing it, and refusing to destroy what it holds without {@code --force}.
 */
final class CreateCommand implements Command {

    private final StoreTypes types;

    CreateCommand(StoreTypes types) {
        this.types = types;
    }

    @Override
    public String name() {
        return "create";
    }

    @Override
    public String synopsis() {
        return "--cow FILE --size SIZE --chunk-size SECTORS [--force]";
    }

    @Override
    public String summary() {
        return "make a new persistent COW (header and zeroed metadata area 0, as the kernel writes them)";
    }

    @Override
    public Options options() {
        return new Options()
                .addOption(Option.builder()
                        .longOpt("cow")
                        .hasArg()
                        .argName("FILE")
                        .required()
                        .desc("the COW image; created when missing (sparse), or a block device")
                        .get())
                .addOption(Option.builder()
                        .longOpt("size")
                        .hasArg()
                        .argName("SIZE")
                        .required()
                        .desc("its size in bytes, or with a unit: 8s (sectors), 64K, 16M, 2G; at least two chunks")
                        .get())
                .addOption(Option.builder()
                        .longOpt("chunk-size")
                        .hasArg()
                        .argName("SECTORS")
                        .required()
                        .desc("chunk size in 512-byte sectors, a power of two (0: the kernel's default, 32)")
                        .get())
                .addOption(Option.builder()
                        .longOpt("force")
                        .desc("overwrite a COW that holds a header, or data in its first two chunks, and shrink a"
                                + " larger file")
                        .get());
    }

    @Override
    public String footer() {
        return "Only the header chunk and metadata area 0 are written; an image whose first two chunks hold anything"
                + " but zeros is refused without --force. Example: snapstore create --cow cow.img --size 64M --chunk-size 8";
    }

    @Override
    public ExitStatus run(CommandLine line, Io io) throws CliException {
        Path path = Path.of(line.getOptionValue("cow"));
        long size = Arguments.sectorAligned(name(), "--size", line.getOptionValue("size"));
        String chunkArg = line.getOptionValue("chunk-size");
        int chunkSize = Arguments.newCowChunkSize(name(), chunkArg);
        long chunkBytes = (long) chunkSize << CowFormat.SECTOR_SHIFT;
        long minimum = CowCreate.minimumBytes(chunkSize);
        if (size < minimum) {
            throw CliException.usage(name() + ": --size " + size + " bytes is too small: a COW with chunk size "
                    + chunkSize + " needs at least two chunks (header and metadata area 0), " + minimum + " bytes");
        }
        boolean force = line.hasOption("force");
        if (Files.isDirectory(path)) {
            throw CliException.usage(name() + ": " + path + ": is a directory, not a COW image");
        }
        Optional<String> special = ImageLock.specialKind(path);
        if (special.isPresent()) {
            throw CliException.usage(name() + ": " + path + ": is " + special.get() + ", not a COW image");
        }
        boolean existed = Files.exists(path);
        boolean blockDevice = existed && !Files.isRegularFile(path);
        // Whoever holds the COW (an activation, a merge) keeps it: a new one must not replace it under them.
        try (ImageLock lock = existed ? lockExisting(path) : null) {
            if (lock != null) {
                refuseToDestroy(path, chunkSize, size, blockDevice, force);
            }
            if (blockDevice) {
                format(path, path, size, chunkSize, chunkArg, chunkBytes, true, io);
                return ExitStatus.OK;
            }
            // A file is made under a temporary name and renamed when it is complete: a failure (a full
            // disk) leaves no partial file, and an existing file as it was.
            Path target = path.toAbsolutePath();
            Path temporary = target.resolveSibling(
                    "." + target.getFileName() + "." + Long.toHexString(System.nanoTime()) + ".partial");
            try {
                try {
                    try (RandomAccessFile file = new RandomAccessFile(temporary.toFile(), "rw")) {
                        file.setLength(size);
                    }
                    if (existed) {
                        Files.setPosixFilePermissions(temporary, Files.getPosixFilePermissions(path));
                    }
                } catch (IOException | UnsupportedOperationException e) {
                    throw CliException.usage(name() + ": cannot create " + path + " (" + Arguments.describe(e) + ")");
                }
                format(temporary, path, size, chunkSize, chunkArg, chunkBytes, false, io);
                try {
                    Files.move(temporary, path, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                } catch (IOException e) {
                    throw CliException.no(
                            name() + ": cannot put " + path + " in place (" + Arguments.describe(e) + ")");
                }
            } finally {
                try {
                    Files.deleteIfExists(temporary);
                } catch (IOException e) {
                    // a temporary name: its own message would only hide the real one
                }
            }
        } catch (IOException e) {
            throw CliException.no(
                    name() + ": releasing the lock on " + path + " failed (" + Arguments.describe(e) + ")");
        }
        return ExitStatus.OK;
    }

    private static ImageLock lockExisting(Path path) throws CliException {
        try {
            return ImageLock.acquire(path, ImageLock.Mode.EXCLUSIVE, false);
        } catch (ImageInUseException e) {
            throw CliException.usage("create: " + e.getMessage() + "; try again later");
        } catch (IOException e) {
            throw CliException.usage("create: cannot open " + path + " (" + Arguments.describe(e) + ")");
        }
    }

    private void format(
            Path work,
            Path path,
            long size,
            int chunkSize,
            String chunkArg,
            long chunkBytes,
            boolean blockDevice,
            Io io)
            throws CliException {
        try (FileBlockDevice cow = FileBlockDevice.open(work, true)) {
            if (blockDevice && cow.sizeInSectors() << CowFormat.SECTOR_SHIFT != size) {
                throw CliException.usage(name() + ": " + path + " is a block device of " + (cow.sizeInSectors() << 9)
                        + " bytes; --size must say so");
            }
            ExceptionStore store;
            try {
                store = types.create(
                        StoreTypes.PERSISTENT,
                        Integer.toString(chunkSize),
                        cow,
                        ChunkSize.SECTOR_SIZE,
                        KernelLog.DISCARD);
            } catch (StoreException e) {
                throw CliException.usage(name() + ": --chunk-size " + chunkArg + ": " + e.getMessage());
            }
            try {
                Usage usage = CowCreate.format(cow, store);
                io.out()
                        .println("created " + path + ": " + size + " bytes, chunk size " + chunkSize + " sectors ("
                                + chunkBytes + " bytes)");
                io.out()
                        .println("status on activation: "
                                + SnapshotStatus.of(usage).format());
            } catch (StoreException e) {
                throw CliException.no(name() + ": " + path + ": " + e.getMessage());
            } finally {
                store.close();
            }
        } catch (IOException e) {
            throw CliException.no(name() + ": writing " + path + " failed (" + Arguments.describe(e) + ")");
        }
    }

    private void refuseToDestroy(Path path, int chunkSize, long size, boolean blockDevice, boolean force)
            throws CliException {
        if (force) {
            return;
        }
        try (FileBlockDevice cow = FileBlockDevice.open(path, false)) {
            CowCreate.Content content = CowCreate.inspect(cow, chunkSize);
            if (content instanceof CowCreate.Header h) {
                throw CliException.usage(name() + ": " + path + " already holds a snapshot header (valid="
                        + Integer.toUnsignedString(h.header().valid()) + ", chunk size "
                        + Integer.toUnsignedString(h.header().chunkSize()) + "); use --force to overwrite it");
            }
            if (content instanceof CowCreate.Data d) {
                throw CliException.usage(name() + ": " + path + " holds data at byte " + d.byteOffset()
                        + ", which a new COW overwrites; use --force if it may go");
            }
            long have = cow.sizeInSectors() << CowFormat.SECTOR_SHIFT;
            if (!blockDevice && have > size) {
                throw CliException.usage(name() + ": " + path + " is " + have + " bytes, larger than --size " + size
                        + "; use --force to shrink it");
            }
        } catch (IOException e) {
            throw CliException.usage(name() + ": cannot read " + path + " (" + Arguments.describe(e) + ")");
        }
    }
}
