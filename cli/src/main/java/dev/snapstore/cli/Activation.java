package dev.snapstore.cli;

import dev.snapstore.cow.CowFormat;
import dev.snapstore.cow.CowHeader;
import dev.snapstore.dm.KernelMessages;
import dev.snapstore.engine.Origin;
import dev.snapstore.engine.Snapshot;
import dev.snapstore.engine.SnapshotTargetException;
import dev.snapstore.spi.BlockDevice;
import dev.snapstore.spi.FileBlockDevice;
import dev.snapstore.spi.KernelLog;
import dev.snapstore.spi.StoreException;
import dev.snapstore.spi.StoreTypes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * One activation of a {@code snapshot} target on image files, as {@code dmsetup create} followed
 * by {@code resume} would make it: the origin and the COW opened and checked, the store chosen by the
 * type word and its metadata loaded by the engine, the snapshot active. Closing it is
 * {@code dmsetup remove}: what the store holds in memory only (a {@code PO} overflow, an
 * {@code N} table) is gone.
 *
 * <p>Every input problem becomes a one-line {@link CliException} with exit status 2 before any
 * byte is written. Images are opened writable only where the {@link Access} says so; a read-only
 * activation gives the store a {@link ScratchOverlay}, so that even the initialisation of a new
 * COW stays in memory.
 */
final class Activation implements AutoCloseable {

    /** Which images may change. */
    enum Access {
        /** Neither image is written: {@code status}, {@code read}, {@code export}. */
        READ_ONLY,
        /** Only the COW is written: writes to the snapshot. */
        COW,
        /** Both are written: origin writes (copy-out) and merges. */
        ORIGIN_AND_COW
    }

    private final String command;
    private final Path originPath;
    private final Path cowPath;
    private final FileBlockDevice originFile;
    private final CowFile cowFile;
    private final Origin origin;
    private final Snapshot snapshot;
    private final boolean newCow;

    private Activation(String command, Path originPath, Path cowPath, FileBlockDevice originFile, CowFile cowFile,
            Origin origin, Snapshot snapshot, boolean newCow) {
        this.command = command;
        this.originPath = originPath;
        this.cowPath = cowPath;
        this.originFile = originFile;
        this.cowFile = cowFile;
        this.origin = origin;
        this.snapshot = snapshot;
        this.newCow = newCow;
    }

    /**
     * Opens both images and activates a snapshot of the whole origin.
     *
     * @param command the command, for messages
     * @param types the store types
     * @param originPath the origin image
     * @param cowPath the COW image
     * @param typeWord the type word ({@code P}, {@code PO}, {@code N}, ...)
     * @param chunkSizeArg the chunk size argument; {@code "0"} takes a persistent COW's own
     * @param access which images may be written
     * @param io where the kernel's log lines go once the snapshot is active
     * @return the active snapshot
     * @throws CliException (exit 2) for every input problem, in the kernel's words where it has them
     */
    static Activation open(String command, StoreTypes types, Path originPath, Path cowPath, String typeWord,
            String chunkSizeArg, Access access, Io io) throws CliException {
        return open(command, types, originPath, cowPath, typeWord, chunkSizeArg, access, false, io);
    }

    /**
     * Opens both images and activates a snapshot of the whole origin, optionally refusing a
     * persistent COW that has no header yet (which activation would initialise).
     *
     * @param command the command, for messages
     * @param types the store types
     * @param originPath the origin image
     * @param cowPath the COW image
     * @param typeWord the type word
     * @param chunkSizeArg the chunk size argument
     * @param access which images may be written
     * @param headerRequired whether a persistent COW must already hold a header
     * @param io where the kernel's log lines go once the snapshot is active
     * @return the active snapshot
     * @throws CliException (exit 2) for every input problem
     */
    static Activation open(String command, StoreTypes types, Path originPath, Path cowPath, String typeWord,
            String chunkSizeArg, Access access, boolean headerRequired, Io io) throws CliException {
        boolean persistent = isPersistent(command, types, typeWord);
        checkImage(command, "origin", originPath);
        checkImage(command, "COW", cowPath);
        try {
            if (Files.isSameFile(originPath, cowPath)) {
                throw CliException.usage(command + ": COW device cannot be the same as origin device (" + cowPath + ")");
            }
        } catch (IOException e) {
            throw CliException.usage(command + ": cannot compare " + originPath + " and " + cowPath + " ("
                    + Arguments.describe(e) + ")");
        }
        FileBlockDevice originFile;
        try {
            originFile = FileBlockDevice.open(originPath, access == Access.ORIGIN_AND_COW);
        } catch (IOException | RuntimeException e) {
            throw CliException.usage(command + ": cannot open origin " + originPath + " (" + Arguments.describe(e) + ")");
        }
        CowFile cowFile = null;
        try {
            long originSectors = originFile.sizeInSectors();
            if (originSectors < 1) {
                throw CliException.usage(command + ": origin " + originPath + " is empty (less than one 512-byte sector)");
            }
            cowFile = CowFile.open(command, cowPath, access != Access.READ_ONLY);
            CowHeader header = cowFile.header(command);
            boolean newCow = persistent && header.magic() == 0;
            if (newCow && headerRequired) {
                throw CliException.usage(command + ": COW " + cowPath + " has no snapshot header (magic 0): it was never"
                        + " activated, so it holds no snapshot");
            }
            if (persistent && header.hasMagic() && header.valid() != 0 && header.version() == CowFormat.SNAPSHOT_DISK_VERSION
                    && CowFile.undecodable(header) == null) {
                checkOriginCoversTable(command, cowFile, header, originPath, originSectors);
            }
            BlockDevice cow = access == Access.READ_ONLY ? new ScratchOverlay(cowFile.device()) : cowFile.device();
            List<String> loadLog = new ArrayList<>();
            DeferredLog log = new DeferredLog(loadLog);
            Origin origin = new Origin(originFile, log);
            Snapshot snapshot;
            try {
                snapshot = origin.createSnapshot(types, typeWord, chunkSizeArg, cow, originSectors);
            } catch (SnapshotTargetException e) {
                String inner = e.innerMessage();
                throw CliException.usage(command + ": " + e.getMessage() + (inner == null ? "" : " (" + inner + ")")
                        + hint(e, typeWord, chunkSizeArg));
            }
            snapshot.activate();
            for (String logged : loadLog) {
                io.err().println(Snapstore.PROGRAM + ": kernel: " + logged);
            }
            log.goLive(io);
            return new Activation(command, originPath, cowPath, originFile, cowFile, origin, snapshot, newCow);
        } catch (CliException | RuntimeException e) {
            if (cowFile != null) {
                cowFile.close();
            }
            closeQuietly(originFile);
            throw e;
        }
    }

    private static String hint(SnapshotTargetException e, String typeWord, String chunkSizeArg) {
        if (KernelMessages.CHUNK_SIZE_NOT_SET.equals(e.getMessage()) && "0".equals(chunkSizeArg)) {
            return "; give --chunk-size for a " + typeWord + " snapshot";
        }
        return "";
    }

    private static boolean isPersistent(String command, StoreTypes types, String typeWord) throws CliException {
        try {
            return StoreTypes.PERSISTENT.equals(types.select(typeWord).type().name());
        } catch (StoreException e) {
            throw CliException.usage(command + ": Couldn't create exception store (" + e.getMessage() + ")");
        }
    }

    /**
     * The origin's size, which is the snapshot's: read before activation, so that a range can be
     * refused before anything is written.
     *
     * @param command the command, for messages
     * @param originPath the origin image
     * @return its size in bytes, whole sectors
     * @throws CliException (exit 2) when it cannot be opened
     */
    static long originBytes(String command, Path originPath) throws CliException {
        checkImage(command, "origin", originPath);
        try (FileBlockDevice origin = FileBlockDevice.open(originPath, false)) {
            return origin.sizeInSectors() << 9;
        } catch (IOException | RuntimeException e) {
            throw CliException.usage(command + ": cannot open origin " + originPath + " (" + Arguments.describe(e) + ")");
        }
    }

    /** Missing, a directory: worded before anything is opened. */
    static void checkImage(String command, String role, Path path) throws CliException {
        if (Files.isDirectory(path)) {
            throw CliException.usage(command + ": " + role + " " + path + ": is a directory, not an image");
        }
        if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS) && !Files.exists(path)) {
            throw CliException.usage(command + ": " + role + " " + path + ": no such file");
        }
    }

    /**
     * Refuses an origin that ends before a chunk the COW holds: the kernel never makes such an
     * exception for a snapshot of this length, so the COW belongs to a longer origin, most likely
     * another image, and merging or exporting it here would be wrong.
     */
    private static void checkOriginCoversTable(String command, CowFile cow, CowHeader header, Path originPath,
            long originSectors) throws CliException {
        long chunkSize = header.chunkSize();
        long originChunks = (originSectors + chunkSize - 1) / chunkSize;
        long[] worst = {-1};
        DumpCommand.walk(command, cow, header, (area, index, record) -> {
            if (Long.compareUnsigned(record.oldChunk(), originChunks) >= 0
                    && (worst[0] == -1 || Long.compareUnsigned(record.oldChunk(), worst[0]) > 0)) {
                worst[0] = record.oldChunk();
            }
        });
        if (worst[0] != -1) {
            throw CliException.usage(command + ": origin " + originPath + " (" + (originSectors << 9)
                    + " bytes) is shorter than the snapshot in " + cow.path() + ": it holds origin chunk "
                    + Long.toUnsignedString(worst[0]) + " (chunk size " + chunkSize + " sectors), past the origin's end");
        }
    }

    private static void closeQuietly(FileBlockDevice device) {
        try {
            device.close();
        } catch (IOException e) {
            // closing after a failure: the failure is what the user needs to see
        }
    }

    Origin origin() {
        return origin;
    }

    Snapshot snapshot() {
        return snapshot;
    }

    /** @return whether the COW had no header (magic 0) and this activation initialised it */
    boolean newCow() {
        return newCow;
    }

    Path originPath() {
        return originPath;
    }

    Path cowPath() {
        return cowPath;
    }

    /**
     * Removes the snapshot and closes the images, flushing what was written.
     *
     * @throws CliException (exit 1) when the final flush fails
     */
    @Override
    public void close() throws CliException {
        snapshot.close();
        try {
            if (!originFile.isReadOnly()) {
                originFile.flush();
            }
            if (!cowFile.device().isReadOnly()) {
                cowFile.device().flush();
            }
        } catch (IOException e) {
            throw CliException.no(command + ": flushing the images failed (" + Arguments.describe(e) + ")");
        } finally {
            cowFile.close();
            closeQuietly(originFile);
        }
    }

    /** Holds the kernel's lines while the snapshot is being constructed, then passes them on. */
    private static final class DeferredLog implements KernelLog {
        private final List<String> held;
        private volatile Io live;

        DeferredLog(List<String> held) {
            this.held = held;
        }

        void goLive(Io io) {
            live = io;
        }

        @Override
        public synchronized void log(String line) {
            Io io = live;
            if (io == null) {
                held.add(line);
            } else {
                io.err().println(Snapstore.PROGRAM + ": kernel: " + line);
            }
        }
    }
}
