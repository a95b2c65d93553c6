package dev.snapstore.engine;

import dev.snapstore.spi.KernelLog;
import dev.snapstore.spi.StoreTypes;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * What to activate: the two images and the table's words, as a {@code snapshot} table line names
 * them ({@code <origin> <cow> <type> <chunk size>}), with which images may change and where the
 * kernel's log lines go. Immutable; each {@code with...} method returns a changed copy, so later
 * versions can add settings without breaking callers.
 *
 * <p>Defaults: chunk size {@code "0"} (a persistent COW's own), {@link Activation.Access#READ_ONLY},
 * no header required, the store types on the module and class path, no log, and
 * {@link Activation.Locking#LOCK}.
 *
 * @since 0.2
 */
public final class ActivationRequest {

    private final Path origin;
    private final Path cow;
    /** Every COW, {@link #cow} first: one snapshot of the origin each. */
    private final List<Path> cows;

    private final String typeWord;
    private final String chunkSize;
    private final Activation.Access access;
    private final boolean headerRequired;
    private final StoreTypes types;
    private final KernelLog log;
    private final Activation.Locking locking;

    private ActivationRequest(
            Path origin,
            List<Path> cows,
            String typeWord,
            String chunkSize,
            Activation.Access access,
            boolean headerRequired,
            StoreTypes types,
            KernelLog log,
            Activation.Locking locking) {
        this.origin = Objects.requireNonNull(origin, "origin");
        this.cows = List.copyOf(cows);
        if (this.cows.isEmpty()) {
            throw new IllegalArgumentException("at least one COW");
        }
        this.cow = this.cows.get(0);
        this.typeWord = Objects.requireNonNull(typeWord, "typeWord");
        this.chunkSize = Objects.requireNonNull(chunkSize, "chunkSize");
        this.access = Objects.requireNonNull(access, "access");
        this.headerRequired = headerRequired;
        this.types = Objects.requireNonNull(types, "types");
        this.log = Objects.requireNonNull(log, "log");
        this.locking = Objects.requireNonNull(locking, "locking");
    }

    /**
     * A read-only request with the defaults.
     *
     * @param origin the origin image: a file or a block device node
     * @param cow the COW image
     * @param typeWord the table's type word, e.g. {@code "P"}, {@code "PO"} or {@code "N"}
     * @return the request
     */
    public static ActivationRequest of(Path origin, Path cow, String typeWord) {
        return new ActivationRequest(
                origin,
                List.of(Objects.requireNonNull(cow, "cow")),
                typeWord,
                "0",
                Activation.Access.READ_ONLY,
                false,
                StoreTypes.load(),
                KernelLog.DISCARD,
                Activation.Locking.LOCK);
    }

    /**
     * Sets the table's chunk size argument.
     *
     * @param chunkSizeArg in sectors, as the table gives it, e.g. {@code "8"}; {@code "0"} takes a
     *     persistent COW's own chunk size (or the default for a new COW)
     * @return a changed copy
     */
    public ActivationRequest withChunkSize(String chunkSizeArg) {
        return new ActivationRequest(origin, cows, typeWord, chunkSizeArg, access, headerRequired, types, log, locking);
    }

    /**
     * Sets which images may be written.
     *
     * @param newAccess the access
     * @return a changed copy
     */
    public ActivationRequest withAccess(Activation.Access newAccess) {
        return new ActivationRequest(origin, cows, typeWord, chunkSize, newAccess, headerRequired, types, log, locking);
    }

    /**
     * Sets whether a persistent COW must already hold a snapshot header. Activation initialises a
     * COW whose magic is 0, as the kernel does; a merge, which needs a snapshot to merge, refuses
     * such a COW instead, before anything is written.
     *
     * @param required {@code true} to refuse a COW without a header
     * @return a changed copy
     */
    public ActivationRequest withHeaderRequired(boolean required) {
        return new ActivationRequest(origin, cows, typeWord, chunkSize, access, required, types, log, locking);
    }

    /**
     * Sets where the store types come from.
     *
     * @param storeTypes the store types
     * @return a changed copy
     */
    public ActivationRequest withTypes(StoreTypes storeTypes) {
        return new ActivationRequest(
                origin, cows, typeWord, chunkSize, access, headerRequired, storeTypes, log, locking);
    }

    /**
     * Sets where the kernel's log lines go. Lines logged while the snapshot is being built are held
     * and passed on, in order, only once the activation succeeded; later lines are passed on at once.
     *
     * @param kernelLog the log, called from any thread
     * @return a changed copy
     */
    public ActivationRequest withLog(KernelLog kernelLog) {
        return new ActivationRequest(
                origin, cows, typeWord, chunkSize, access, headerRequired, types, kernelLog, locking);
    }

    /**
     * Sets how the images are locked ({@link ImageLock}): by default both are locked, exclusive
     * where they may be written and shared otherwise, and an image in use is refused at once.
     *
     * @param newLocking the locking
     * @return a changed copy
     * @since 0.3
     */
    public ActivationRequest withLocking(Activation.Locking newLocking) {
        return new ActivationRequest(origin, cows, typeWord, chunkSize, access, headerRequired, types, log, newLocking);
    }

    /** @return how the images are locked */
    public Activation.Locking locking() {
        return locking;
    }

    /** @return the origin image */
    public Path origin() {
        return origin;
    }

    /** @return the COW image */
    public Path cow() {
        return cow;
    }

    /**
     * Every COW image, {@link #cow()} first: each gets its own snapshot of the origin, with the same
     * type word and chunk size argument, as several {@code snapshot} tables over one origin.
     *
     * @return an immutable list of at least one path
     * @since 0.3
     */
    public List<Path> cows() {
        return cows;
    }

    /**
     * Sets the COW images: one snapshot of the origin each, with this request's type word and chunk
     * size argument. Origin writes copy out to every one of them.
     *
     * @param cowImages at least one path, no two the same image; the first becomes {@link #cow()}
     * @return a changed copy
     * @throws IllegalArgumentException when the list is empty
     * @since 0.3
     */
    public ActivationRequest withCows(List<Path> cowImages) {
        return new ActivationRequest(
                origin, cowImages, typeWord, chunkSize, access, headerRequired, types, log, locking);
    }

    /** @return the table's type word */
    public String typeWord() {
        return typeWord;
    }

    /** @return the table's chunk size argument */
    public String chunkSize() {
        return chunkSize;
    }

    /** @return which images may be written */
    public Activation.Access access() {
        return access;
    }

    /** @return whether a persistent COW must already hold a header */
    public boolean headerRequired() {
        return headerRequired;
    }

    /** @return the store types; unless set, those on the module and class path ({@link StoreTypes#load()}) */
    public StoreTypes types() {
        return types;
    }

    /** @return where the kernel's log lines go */
    public KernelLog log() {
        return log;
    }

    @Override
    public String toString() {
        return "ActivationRequest[origin=" + origin + ", cow=" + (cows.size() == 1 ? cow : cows) + ", type=" + typeWord
                + ", chunkSize=" + chunkSize + ", access=" + access + ", locking=" + locking
                + (headerRequired ? ", header required" : "") + "]";
    }
}
