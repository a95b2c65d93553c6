package dev.snapstore.engine;

import dev.snapstore.spi.FileBlockDevice;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A lock on one image, as the kernel's exclusive open of a device: a writer holds it
 * {@link Mode#EXCLUSIVE exclusive}, a reader {@link Mode#SHARED shared}. Two exclusive holders, or
 * an exclusive and a shared one, are refused, whether they are two processes or two callers in one
 * JVM; shared holders coexist.
 *
 * <p>Between processes the lock is the operating system's, taken with {@link FileChannel#tryLock}
 * (or {@link FileChannel#lock} when waiting) over the whole file. On Linux the JDK takes it with
 * {@code fcntl(F_SETLK)}: a classic POSIX record lock (listed as {@code POSIX} in
 * {@code /proc/locks} and by {@code lslocks}), not an open-file-description lock and not a
 * {@code flock(2)} lock. Tools that lock with {@code fcntl} or {@code lockf} see it; {@code flock(1)}
 * and other {@code flock(2)} users do not (Linux keeps the two kinds apart on local file systems).
 * The lock is advisory: a program that takes none is not stopped.
 *
 * <p>POSIX locks belong to a process, not to a descriptor: the JVM cannot see its own, and closing
 * any descriptor of the file drops them all. So a registry in this class, keyed by the file's
 * identity ({@link FileBlockDevice#identityOf}), refuses conflicts inside the JVM, and when one of
 * several shared holders in the JVM lets go, the lock is taken again for the others.
 *
 * <p>Thread-safe. {@link #close()} releases the lock and is idempotent.
 *
 * @since 0.3
 */
public final class ImageLock implements AutoCloseable {

    /** How an image is held. */
    public enum Mode {
        /** Readers: any number of shared holders, no exclusive one. */
        SHARED,
        /** A writer: no other holder at all. */
        EXCLUSIVE
    }

    /** What the JVM holds on one file: the channel that carries the OS lock, and how many hold it. */
    private static final class Held {
        final Mode mode;
        final FileChannel channel;
        FileLock lock;
        int holders = 1;

        Held(Mode mode, FileChannel channel) {
            this.mode = mode;
            this.channel = channel;
        }
    }

    private static final int S_IFMT = 0170000;
    private static final int S_IFIFO = 0010000;
    private static final int S_IFCHR = 0020000;
    private static final int S_IFSOCK = 0140000;

    private static final Map<Object, Held> HELD = new HashMap<>();

    private final Path path;
    private final Object identity;
    private final Mode mode;
    private final AtomicBoolean closed = new AtomicBoolean();

    private ImageLock(Path path, Object identity, Mode mode) {
        this.path = path;
        this.identity = identity;
        this.mode = mode;
    }

    /**
     * Locks an image.
     *
     * @param path the image: a file or a block device node, which must exist
     * @param mode shared for a reader, exclusive for a writer (which must be allowed to open the
     *     image for writing)
     * @param wait {@code true} to wait until the other holders let go; {@code false} to be refused at once
     * @return the lock, which the caller must close
     * @throws ImageInUseException when another process or another holder in this JVM holds the image
     *     in a conflicting mode and {@code wait} is {@code false}
     * @throws IOException when the image cannot be opened or locked, or the wait was interrupted
     */
    public static ImageLock acquire(Path path, Mode mode, boolean wait) throws IOException {
        Optional<String> special = specialKind(path);
        if (special.isPresent()) {
            // Opening a FIFO would block until a writer comes: refuse before opening anything.
            throw new IOException(path + ": is " + special.get() + ", not an image");
        }
        Object identity = FileBlockDevice.identityOf(path);
        synchronized (HELD) {
            while (true) {
                Held held = HELD.get(identity);
                if (held == null) {
                    break;
                }
                if (held.lock != null && held.mode == Mode.SHARED && mode == Mode.SHARED) {
                    held.holders++;
                    return new ImageLock(path, identity, mode);
                }
                if (!wait) {
                    throw new ImageInUseException(path, true);
                }
                try {
                    HELD.wait();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted while waiting for the lock on " + path, e);
                }
            }
            // Reserved before the lock is taken, so that no other caller in this JVM opens the file
            // (and drops the process's lock when it closes its descriptor) meanwhile.
            HELD.put(identity, new Held(mode, null));
        }
        Held held = null;
        try {
            FileChannel channel = mode == Mode.SHARED
                    ? FileChannel.open(path, StandardOpenOption.READ)
                    : FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE);
            held = new Held(mode, channel);
            boolean shared = mode == Mode.SHARED;
            FileLock lock;
            try {
                lock = wait ? channel.lock(0, Long.MAX_VALUE, shared) : channel.tryLock(0, Long.MAX_VALUE, shared);
            } catch (OverlappingFileLockException e) {
                // Another channel of this JVM locked the file without this class: it is in use here.
                lock = null;
            }
            if (lock == null) {
                throw new ImageInUseException(path, false);
            }
            held.lock = lock;
        } catch (IOException | RuntimeException e) {
            synchronized (HELD) {
                HELD.remove(identity);
                HELD.notifyAll();
            }
            if (held != null) {
                held.channel.close();
            }
            throw e;
        }
        synchronized (HELD) {
            HELD.put(identity, held);
            HELD.notifyAll();
        }
        return new ImageLock(path, identity, mode);
    }

    /**
     * What kind of special file a path is, if it is one that cannot hold an image: opening a FIFO
     * blocks until someone writes to it, a socket cannot be opened at all, and a character device
     * has no fixed size. Regular files, block devices and missing paths are none of these.
     *
     * @param path the path, following symbolic links
     * @return {@code "a FIFO"}, {@code "a socket"} or {@code "a character device"}, or empty
     */
    public static Optional<String> specialKind(Path path) {
        BasicFileAttributes attributes;
        try {
            attributes = Files.readAttributes(path, BasicFileAttributes.class);
        } catch (IOException e) {
            return Optional.empty();
        }
        if (!attributes.isOther()) {
            return Optional.empty();
        }
        int type;
        try {
            type = (Integer) Files.getAttribute(path, "unix:mode") & S_IFMT;
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
        return switch (type) {
            case S_IFIFO -> Optional.of("a FIFO");
            case S_IFSOCK -> Optional.of("a socket");
            case S_IFCHR -> Optional.of("a character device");
            default -> Optional.empty();
        };
    }

    /** @return the image's path as it was given */
    public Path path() {
        return path;
    }

    /** @return how it is held */
    public Mode mode() {
        return mode;
    }

    /**
     * Lets go of the image. The last holder in the JVM releases the operating system's lock; the
     * others keep it (it is taken again, as closing a descriptor may have dropped it). Closing twice
     * does nothing.
     *
     * @throws IOException when releasing the lock or closing its channel fails
     */
    @Override
    public void close() throws IOException {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        synchronized (HELD) {
            Held held = HELD.get(identity);
            try {
                if (--held.holders > 0) {
                    held.lock.release();
                    FileLock again = held.channel.tryLock(0, Long.MAX_VALUE, true);
                    held.lock = again != null ? again : held.lock;
                    return;
                }
                HELD.remove(identity);
                try {
                    held.lock.release();
                } finally {
                    held.channel.close();
                }
            } finally {
                HELD.notifyAll();
            }
        }
    }

    @Override
    public String toString() {
        return "ImageLock[" + path + ", " + mode + (closed.get() ? ", released" : "") + "]";
    }
}
