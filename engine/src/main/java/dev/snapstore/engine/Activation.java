package dev.snapstore.engine;

import dev.snapstore.cow.CowAreaReader;
import dev.snapstore.cow.CowHeader;
import dev.snapstore.dm.KernelMessages;
import dev.snapstore.engine.ActivationException.Problem;
import dev.snapstore.engine.ActivationException.Role;
import dev.snapstore.spi.BlockDevice;
import dev.snapstore.spi.ChunkSize;
import dev.snapstore.spi.Errno;
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
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One activation of a {@code snapshot} target on image files, as {@code dmsetup create} followed by
 * {@code resume} makes it: the origin and the COW opened and checked, the store chosen by the type
 * word and its metadata loaded once, the snapshot active. Closing it is {@code dmsetup remove}: the
 * snapshot is removed, what was written is flushed, the files are closed; what a store holds in
 * memory only (a {@code PO} overflow, an {@code N} table) is gone.
 *
 * <p>{@link #open} refuses, before any byte is written: a missing or unopenable image, origin and COW
 * that are one file ({@link FileBlockDevice#identityOf}), an empty origin, a COW too small for a
 * header, a COW without a header when one is required, and a COW holding chunks past the origin's
 * end (the kernel would never make such an exception for a snapshot of this length, so the COW
 * belongs to a longer origin). The store's own failures are the kernel's {@code snapshot_ctr}
 * errors, as {@link Origin#createSnapshot(StoreTypes, String, String, BlockDevice, long)} reports them.
 *
 * <p>Images are opened writable only where the {@link Access} says so. A read-only activation gives
 * the store a {@link ScratchOverlay}, so that even the initialisation of a new COW stays in memory.
 *
 * <p>The activation owns the files it opened for its whole lifetime, so a server can hold one open
 * and serve {@link #origin()} and {@link #snapshot()} from many threads.
 *
 * <p>Like the kernel's exclusive open of its devices, {@link #open} locks both images
 * ({@link ImageLock}) before it reads them, the origin first, and the activation holds the locks
 * until {@link #close()}: an image that may be written ({@link Access}) exclusively, one that is
 * only read shared. So a second writer, or a reader during a write, in this JVM or another process,
 * is refused with {@link ActivationException.Problem#IN_USE} (or waits, with {@link Locking#WAIT}).
 * A snapshot write ({@link Access#COW}) holds the origin shared: it does not change the origin, and
 * an origin writer or a merge is still kept out.
 *
 * @since 0.2
 */
public final class Activation implements AutoCloseable {

    /** Which images may change. */
    public enum Access {
        /** Neither image is written; the store writes to a {@link ScratchOverlay}. */
        READ_ONLY,
        /** Only the COW is written: writes to the snapshot. */
        COW,
        /** Both are written: origin writes (copy-out) and merges. */
        ORIGIN_AND_COW
    }

    /** Whether and how {@link #open} locks the images. */
    public enum Locking {
        /** Lock both images; refuse at once when one is in use. The default. */
        LOCK,
        /** Lock both images, waiting as long as another holder keeps one. */
        WAIT,
        /** Take no lock: for a caller that holds its own, or images nobody else can reach. */
        NONE
    }

    private final ActivationRequest request;
    private final FileBlockDevice originFile;
    /** In the request's order, as {@link #snapshots}. */
    private final List<FileBlockDevice> cowFiles;

    private final Origin origin;
    private final List<Snapshot> snapshots;
    private final List<Boolean> newCows;
    private final List<ImageLock> locks;
    private final AtomicBoolean closed = new AtomicBoolean();

    private Activation(
            ActivationRequest request,
            FileBlockDevice originFile,
            List<FileBlockDevice> cowFiles,
            Origin origin,
            List<Snapshot> snapshots,
            List<Boolean> newCows,
            List<ImageLock> locks) {
        this.request = request;
        this.originFile = originFile;
        this.cowFiles = List.copyOf(cowFiles);
        this.origin = origin;
        this.snapshots = List.copyOf(snapshots);
        this.newCows = List.copyOf(newCows);
        this.locks = locks;
    }

    /**
     * Opens both images and activates a snapshot of the whole origin. The kernel's log lines of the
     * construction reach the request's log only if this succeeds.
     *
     * @param request what to activate
     * @return the active snapshot, which the caller must close
     * @throws ActivationException when the images are refused; nothing was written
     * @throws SnapshotTargetException with the kernel's {@code ti->error} when the type word, the
     *     chunk size or the store's metadata is refused; nothing was written unless the store
     *     initialised a new COW
     */
    public static Activation open(ActivationRequest request) throws ActivationException, SnapshotTargetException {
        StoreTypes types = request.types();
        boolean persistent;
        try {
            persistent = StoreTypes.PERSISTENT.equals(
                    types.select(request.typeWord()).type().name());
        } catch (StoreException e) {
            throw new SnapshotTargetException(Errno.EINVAL, "Couldn't create exception store", e);
        }
        Path originPath = request.origin();
        checkImage(Role.ORIGIN, originPath);
        for (Path cowPath : request.cows()) {
            checkImage(Role.COW, cowPath);
            checkNotOrigin(originPath, cowPath);
        }
        Access access = request.access();
        List<ImageLock> locks = new ArrayList<>(1 + request.cows().size());
        FileBlockDevice originFile = null;
        List<FileBlockDevice> cowFiles = new ArrayList<>();
        List<Snapshot> snapshots = new ArrayList<>();
        List<Boolean> newCows = new ArrayList<>();
        boolean done = false;
        try {
            // Locks first, as the kernel opens its devices exclusively: nothing is opened, let alone
            // written, while another process holds one of the images.
            if (request.locking() != Locking.NONE) {
                boolean wait = request.locking() == Locking.WAIT;
                locks.add(lock(Role.ORIGIN, originPath, access == Access.ORIGIN_AND_COW, wait));
                for (Path cowPath : request.cows()) {
                    locks.add(lock(Role.COW, cowPath, access != Access.READ_ONLY, wait));
                }
            }
            originFile = openImage(Role.ORIGIN, originPath, access == Access.ORIGIN_AND_COW);
            long originSectors = originFile.sizeInSectors();
            if (originSectors < 1) {
                throw new ActivationException(
                        Problem.EMPTY_ORIGIN,
                        Role.ORIGIN,
                        originPath,
                        "origin " + originPath + " is empty (less than one 512-byte sector)",
                        null);
            }
            DeferredLog log = new DeferredLog();
            Origin origin = new Origin(originFile, log);
            for (Path cowPath : request.cows()) {
                FileBlockDevice cowFile = openImage(Role.COW, cowPath, access != Access.READ_ONLY);
                cowFiles.add(cowFile);
                CowHeader header = readHeader(cowFile, cowPath);
                boolean newCow = persistent && header.magic() == 0;
                if (newCow && request.headerRequired()) {
                    throw new ActivationException(
                            Problem.NO_HEADER,
                            Role.COW,
                            cowPath,
                            "COW " + cowPath
                                    + " has no snapshot header (magic 0): it was never activated, so it holds no"
                                    + " snapshot",
                            null);
                }
                BlockDevice cow = access == Access.READ_ONLY ? new ScratchOverlay(cowFile) : cowFile;
                Snapshot snapshot =
                        origin.createSnapshot(types, request.typeWord(), request.chunkSize(), cow, originSectors);
                snapshots.add(snapshot);
                newCows.add(newCow);
                checkOriginCoversTable(snapshot, originPath, cowPath, originSectors);
            }
            for (Snapshot snapshot : snapshots) {
                snapshot.activate();
            }
            log.goLive(request.log());
            done = true;
            return new Activation(request, originFile, cowFiles, origin, snapshots, newCows, List.copyOf(locks));
        } finally {
            if (!done) {
                for (Snapshot snapshot : snapshots) {
                    snapshot.close();
                }
                for (int i = cowFiles.size() - 1; i >= 0; i--) {
                    closeQuietly(cowFiles.get(i));
                }
                closeQuietly(originFile);
                releaseQuietly(locks);
            }
        }
    }

    private static void checkNotOrigin(Path originPath, Path cowPath) throws ActivationException {
        boolean same;
        try {
            // One path is one device even before it can be examined, as Files.isSameFile has it.
            same = originPath.equals(cowPath)
                    || FileBlockDevice.identityOf(originPath).equals(FileBlockDevice.identityOf(cowPath));
        } catch (IOException e) {
            throw new ActivationException(
                    Problem.CANNOT_COMPARE,
                    Role.COW,
                    cowPath,
                    "cannot compare " + originPath + " and " + cowPath + " (" + e.getMessage() + ")",
                    e);
        }
        if (same) {
            throw new ActivationException(
                    Problem.SAME_DEVICE, Role.COW, cowPath, KernelMessages.SAME_DEVICE + " (" + cowPath + ")", null);
        }
    }

    /**
     * The size of an origin image in sectors, checked and opened read-only as {@link #open} does:
     * what a caller needs to refuse a range before it activates anything.
     *
     * @param originPath the origin image
     * @return its size in whole sectors
     * @throws ActivationException when it is missing, a directory or cannot be opened
     */
    public static long originSectors(Path originPath) throws ActivationException {
        checkImage(Role.ORIGIN, originPath);
        FileBlockDevice originFile = openImage(Role.ORIGIN, originPath, false);
        try {
            return originFile.sizeInSectors();
        } catch (RuntimeException e) {
            throw new ActivationException(
                    Problem.CANNOT_OPEN,
                    Role.ORIGIN,
                    originPath,
                    "cannot open origin " + originPath + " (" + e.getMessage() + ")",
                    e);
        } finally {
            closeQuietly(originFile);
        }
    }

    private static ImageLock lock(Role role, Path path, boolean exclusive, boolean wait) throws ActivationException {
        try {
            return ImageLock.acquire(path, exclusive ? ImageLock.Mode.EXCLUSIVE : ImageLock.Mode.SHARED, wait);
        } catch (ImageInUseException e) {
            throw new ActivationException(
                    Problem.IN_USE, role, path, role.word() + " " + e.getMessage() + "; try again later", e);
        } catch (IOException e) {
            throw new ActivationException(
                    Problem.CANNOT_OPEN,
                    role,
                    path,
                    "cannot open " + role.word() + " " + path + " (" + e.getMessage() + ")",
                    e);
        }
    }

    private static void releaseQuietly(List<ImageLock> locks) {
        for (ImageLock lock : locks) {
            try {
                lock.close();
            } catch (IOException e) {
                // the process's lock goes when the file is closed: nothing is left held
            }
        }
    }

    private static void checkImage(Role role, Path path) throws ActivationException {
        if (Files.isDirectory(path)) {
            throw new ActivationException(
                    Problem.IS_DIRECTORY,
                    role,
                    path,
                    role.word() + " " + path + ": is a directory, not an image",
                    null);
        }
        if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS) && !Files.exists(path)) {
            throw new ActivationException(
                    Problem.NO_SUCH_FILE, role, path, role.word() + " " + path + ": no such file", null);
        }
        Optional<String> special = ImageLock.specialKind(path);
        if (special.isPresent()) {
            throw new ActivationException(
                    Problem.NOT_AN_IMAGE,
                    role,
                    path,
                    role.word() + " " + path + ": is " + special.get() + ", not an image",
                    null);
        }
    }

    private static FileBlockDevice openImage(Role role, Path path, boolean writable) throws ActivationException {
        FileBlockDevice device;
        try {
            device = FileBlockDevice.open(path, writable);
        } catch (IOException | RuntimeException e) {
            throw new ActivationException(
                    Problem.CANNOT_OPEN,
                    role,
                    path,
                    "cannot open " + role.word() + " " + path + " (" + e.getMessage() + ")",
                    e);
        }
        if (role == Role.ORIGIN) {
            return device;
        }
        long sectors;
        try {
            sectors = device.sizeInSectors();
        } catch (RuntimeException e) {
            closeQuietly(device);
            throw new ActivationException(
                    Problem.CANNOT_READ_SIZE,
                    role,
                    path,
                    "cannot read the size of " + path + " (" + e.getMessage() + ")",
                    e);
        }
        if (sectors < 1) {
            closeQuietly(device);
            throw new ActivationException(
                    Problem.COW_TOO_SMALL,
                    role,
                    path,
                    path + ": too small to be a COW (" + bytes(path)
                            + " bytes; the snapshot header needs at least one 512-byte sector)",
                    null);
        }
        return device;
    }

    private static String bytes(Path path) {
        try {
            return Long.toString(Files.size(path));
        } catch (IOException e) {
            return "?";
        }
    }

    private static CowHeader readHeader(FileBlockDevice cow, Path cowPath) throws ActivationException {
        try {
            return CowAreaReader.readHeader(cow);
        } catch (IOException | RuntimeException e) {
            throw new ActivationException(
                    Problem.CANNOT_READ_HEADER,
                    Role.COW,
                    cowPath,
                    cowPath + ": cannot read the header (" + e.getMessage() + ")",
                    e);
        }
    }

    /** On the table the store loaded: the COW is read once. */
    private static void checkOriginCoversTable(Snapshot snapshot, Path originPath, Path cowPath, long originSectors)
            throws ActivationException {
        long chunkSize = snapshot.chunkSize();
        long originChunks = (originSectors + chunkSize - 1) / chunkSize;
        long highest = snapshot.highestOldChunk();
        if (highest != ExceptionTable.NONE && Long.compareUnsigned(highest, originChunks) >= 0) {
            throw new ActivationException(
                    Problem.ORIGIN_TOO_SHORT,
                    Role.ORIGIN,
                    originPath,
                    "origin " + originPath
                            + " (" + (originSectors << ChunkSize.SECTOR_SHIFT)
                            + " bytes) is shorter than the snapshot in " + cowPath
                            + ": it holds origin chunk " + Long.toUnsignedString(highest) + " (chunk size " + chunkSize
                            + " sectors), past the origin's end",
                    null);
        }
    }

    private static void closeQuietly(FileBlockDevice device) {
        if (device == null) {
            return;
        }
        try {
            device.close();
        } catch (IOException e) {
            // closing after a failure: the failure is what the caller needs to see
        }
    }

    /** @return what was activated */
    public ActivationRequest request() {
        return request;
    }

    /** @return the origin, with this activation's snapshots as its only ones; I/O through it copies out first */
    public Origin origin() {
        return origin;
    }

    /** @return the active snapshot of the first COW ({@link ActivationRequest#cow()}) */
    public Snapshot snapshot() {
        return snapshots.get(0);
    }

    /**
     * Every active snapshot, in the order of {@link ActivationRequest#cows()}.
     *
     * @return an immutable list of at least one snapshot
     * @since 0.3
     */
    public List<Snapshot> snapshots() {
        return snapshots;
    }

    /**
     * Whether the persistent COW at {@code index} of {@link ActivationRequest#cows()} had no header,
     * so that this activation initialised it; see {@link #isNewCow()}.
     *
     * @param index the COW's index in the request
     * @return {@code true} for a new COW
     * @since 0.3
     */
    public boolean isNewCow(int index) {
        return newCows.get(index);
    }

    /**
     * Whether the persistent COW had no header (magic 0), so that this activation initialised it,
     * as the kernel does; on a {@link Access#READ_ONLY read-only} activation only in memory.
     *
     * @return {@code true} for a new COW
     */
    public boolean isNewCow() {
        return newCows.get(0);
    }

    /**
     * Removes the snapshots, flushes the images that were opened writable and closes them, the COWs
     * first, then releases the locks. Closing twice does nothing.
     *
     * @throws IOException when the final flush fails; the files are closed all the same
     */
    @Override
    public void close() throws IOException {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        for (Snapshot snapshot : snapshots) {
            snapshot.close();
        }
        try {
            if (!originFile.isReadOnly()) {
                originFile.flush();
            }
            for (FileBlockDevice cowFile : cowFiles) {
                if (!cowFile.isReadOnly()) {
                    cowFile.flush();
                }
            }
        } finally {
            for (int i = cowFiles.size() - 1; i >= 0; i--) {
                closeQuietly(cowFiles.get(i));
            }
            closeQuietly(originFile);
            releaseQuietly(locks);
        }
    }

    @Override
    public String toString() {
        return "Activation[" + request.origin() + ", "
                + String.join(", ", request.cows().stream().map(Path::toString).toList()) + ", "
                + snapshot().typeWord() + "]";
    }

    /** Holds the kernel's lines while the snapshot is being constructed, then passes them on. */
    private static final class DeferredLog implements KernelLog {
        private final List<String> held = new ArrayList<>();
        private KernelLog live;

        synchronized void goLive(KernelLog target) {
            for (String line : held) {
                target.log(line);
            }
            held.clear();
            live = target;
        }

        @Override
        public synchronized void log(String line) {
            if (live == null) {
                held.add(line);
            } else {
                live.log(line);
            }
        }
    }
}
