package dev.snapstore.engine;

import dev.snapstore.spi.Errno;
import dev.snapstore.spi.SnapstoreException;
import java.nio.file.Path;
import java.util.Objects;

/**
 * An {@link Activation} refused its images before the snapshot went live: a file is missing or
 * cannot be opened, origin and COW are one device, the COW is too small or its header unreadable,
 * or the COW holds chunks past the origin's end. Nothing was written. The message is one sentence
 * for people; {@link #problem()} and {@link #path()} say what failed for programs, and the cause,
 * if any, is the I/O error underneath. A failure of the table itself (the kernel's
 * {@code snapshot_ctr} errors) is a {@link SnapshotTargetException} instead.
 *
 * @since 0.2
 */
public class ActivationException extends SnapstoreException {

    private static final long serialVersionUID = 1L;

    /** What was wrong. */
    public enum Problem {
        /** The path does not exist. */
        NO_SUCH_FILE(Errno.ENODEV),
        /** The path is a directory. */
        IS_DIRECTORY(Errno.ENODEV),
        /** Origin and COW are one device ({@link dev.snapstore.spi.BlockDevice#identity()}); the path is the COW. */
        SAME_DEVICE(Errno.EINVAL),
        /** The identities of origin and COW could not be read; the path is the COW. */
        CANNOT_COMPARE(Errno.EIO),
        /** The image could not be opened. */
        CANNOT_OPEN(Errno.ENODEV),
        /** The COW's size could not be read. */
        CANNOT_READ_SIZE(Errno.EIO),
        /** The origin is shorter than one sector. */
        EMPTY_ORIGIN(Errno.EINVAL),
        /** The COW is shorter than one sector, so it cannot hold a header. */
        COW_TOO_SMALL(Errno.EINVAL),
        /** The COW's header could not be read. */
        CANNOT_READ_HEADER(Errno.EIO),
        /** A header was required ({@link ActivationRequest#withHeaderRequired}) and the COW has none. */
        NO_HEADER(Errno.EINVAL),
        /** The COW holds an exception for a chunk past the origin's end: it belongs to a longer origin. */
        ORIGIN_TOO_SHORT(Errno.EINVAL),
        /**
         * The image is locked by another process or another activation in this JVM in a mode that
         * excludes this one ({@link ImageLock}); the cause is an {@link ImageInUseException}.
         *
         * @since 0.3
         */
        IN_USE(Errno.EBUSY),
        /**
         * The path is a FIFO, a socket or a character device ({@link ImageLock#specialKind}), which
         * cannot hold an image; refused before it is opened.
         *
         * @since 0.3
         */
        NOT_AN_IMAGE(Errno.ENODEV);

        private final Errno errno;

        Problem(Errno errno) {
            this.errno = errno;
        }
    }

    /** Which image a problem is about. */
    public enum Role {
        /** The origin image. */
        ORIGIN,
        /** The COW image. */
        COW;

        /** @return the word used in messages: {@code "origin"} or {@code "COW"} */
        public String word() {
            return this == ORIGIN ? "origin" : "COW";
        }
    }

    private final Problem problem;
    private final Role role;
    private final transient Path path;

    /**
     * Creates the exception.
     *
     * @param problem what was wrong
     * @param role which image it is about
     * @param path that image's path
     * @param message the sentence for people
     * @param cause the error underneath, or {@code null}
     */
    public ActivationException(Problem problem, Role role, Path path, String message, Throwable cause) {
        super(Objects.requireNonNull(message, "message"), cause);
        this.problem = Objects.requireNonNull(problem, "problem");
        this.role = Objects.requireNonNull(role, "role");
        this.path = Objects.requireNonNull(path, "path");
    }

    /** @return what was wrong */
    public Problem problem() {
        return problem;
    }

    /** @return which image it is about */
    public Role role() {
        return role;
    }

    /** @return that image's path */
    public Path path() {
        return path;
    }

    /**
     * The kernel's error number for a failure of this kind: {@code ENODEV} for a device that cannot
     * be found or opened (as {@code dm_get_device}), {@code EIO} for a read error, {@code EINVAL}
     * otherwise.
     *
     * @return the error number
     */
    @Override
    public Errno errno() {
        return problem.errno;
    }
}
