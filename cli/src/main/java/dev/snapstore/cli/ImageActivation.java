package dev.snapstore.cli;

import dev.snapstore.cow.CowFormat;
import dev.snapstore.cow.CowHeader;
import dev.snapstore.dm.KernelMessages;
import dev.snapstore.engine.Activation;
import dev.snapstore.engine.ActivationException;
import dev.snapstore.engine.ActivationRequest;
import dev.snapstore.engine.Origin;
import dev.snapstore.engine.Snapshot;
import dev.snapstore.engine.SnapshotTargetException;
import dev.snapstore.spi.StoreException;
import dev.snapstore.spi.StoreTypes;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * The image commands' view of an engine {@link Activation}: it opens one with the command's
 * arguments and turns each refusal into the command's one-line {@link CliException} (exit 2 for
 * input, 1 for a failed final flush), in the words the CLI has always printed. The work is the
 * engine's; this class only words it.
 */
final class ImageActivation implements AutoCloseable {

    private final String command;
    private final Activation activation;

    private ImageActivation(String command, Activation activation) {
        this.command = command;
        this.activation = activation;
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
     * @param locking how the images are locked
     * @param io where the kernel's log lines go once the snapshot is active
     * @return the active snapshot
     * @throws CliException (exit 2) for every input problem, in the kernel's words where it has them
     */
    static ImageActivation open(
            String command,
            StoreTypes types,
            Path originPath,
            Path cowPath,
            String typeWord,
            String chunkSizeArg,
            Activation.Access access,
            Activation.Locking locking,
            Io io)
            throws CliException {
        return open(command, types, originPath, cowPath, typeWord, chunkSizeArg, access, false, locking, io);
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
     * @param locking how the images are locked
     * @param io where the kernel's log lines go once the snapshot is active
     * @return the active snapshot
     * @throws CliException (exit 2) for every input problem
     */
    static ImageActivation open(
            String command,
            StoreTypes types,
            Path originPath,
            Path cowPath,
            String typeWord,
            String chunkSizeArg,
            Activation.Access access,
            boolean headerRequired,
            Activation.Locking locking,
            Io io)
            throws CliException {
        ActivationRequest request = ActivationRequest.of(originPath, cowPath, typeWord)
                .withChunkSize(chunkSizeArg)
                .withAccess(access)
                .withHeaderRequired(headerRequired)
                .withTypes(types)
                .withLocking(locking)
                .withLog(line -> io.err().println(Snapstore.PROGRAM + ": kernel: " + line));
        return activate(command, request);
    }

    /**
     * Opens the origin and several COWs and activates one snapshot of the whole origin on each, as
     * several {@code snapshot} tables over one origin.
     *
     * @param command the command, for messages
     * @param types the store types
     * @param originPath the origin image
     * @param cowPaths the COW images, at least one
     * @param typeWord the type word, for every snapshot
     * @param chunkSizeArg the chunk size argument, for every snapshot
     * @param access which images may be written
     * @param io where the kernel's log lines go once the snapshots are active
     * @return the active snapshots, in the order of {@code cowPaths}
     * @throws CliException (exit 2) for every input problem
     */
    static ImageActivation openAll(
            String command,
            StoreTypes types,
            Path originPath,
            List<Path> cowPaths,
            String typeWord,
            String chunkSizeArg,
            Activation.Access access,
            Io io)
            throws CliException {
        ActivationRequest request = ActivationRequest.of(originPath, cowPaths.get(0), typeWord)
                .withCows(cowPaths)
                .withChunkSize(chunkSizeArg)
                .withAccess(access)
                .withTypes(types)
                .withLog(line -> io.err().println(Snapstore.PROGRAM + ": kernel: " + line));
        return activate(command, request);
    }

    private static ImageActivation activate(String command, ActivationRequest request) throws CliException {
        String typeWord = request.typeWord();
        String chunkSizeArg = request.chunkSize();
        try {
            return new ImageActivation(command, Activation.open(request));
        } catch (ActivationException e) {
            throw refusal(command, request, e);
        } catch (SnapshotTargetException e) {
            diagnoseTable(command, request);
            String inner = e.innerMessage();
            throw CliException.usage(command + ": " + e.getMessage() + (inner == null ? "" : " (" + inner + ")")
                    + hint(e, typeWord, chunkSizeArg));
        }
    }

    /** The engine's refusal in the CLI's words: its sentence, or one with the CLI's wording of the I/O error. */
    private static CliException refusal(String command, ActivationRequest request, ActivationException e) {
        String detail = e.getCause() instanceof Exception cause ? Arguments.describe(cause) : "";
        String text =
                switch (e.problem()) {
                    case CANNOT_COMPARE ->
                        "cannot compare " + request.origin() + " and " + request.cow() + " (" + detail + ")";
                    case CANNOT_OPEN ->
                        e.role() == ActivationException.Role.ORIGIN
                                ? "cannot open origin " + e.path() + " (" + detail + ")"
                                : "cannot open " + e.path() + " (" + detail + ")";
                    case CANNOT_READ_SIZE -> "cannot read the size of " + e.path() + " (" + detail + ")";
                    case CANNOT_READ_HEADER -> e.path() + ": cannot read the header (" + detail + ")";
                    default -> e.getMessage();
                };
        return CliException.usage(command + ": " + text);
    }

    /**
     * After the store refused a persistent COW, walks its table as the CLI did before activating,
     * so that a truncated or unreadable table, or one holding chunks past the origin's end, is
     * worded as before. Only on failure: an activation that succeeds reads the table once.
     */
    private static void diagnoseTable(String command, ActivationRequest request) throws CliException {
        try {
            if (!StoreTypes.PERSISTENT.equals(
                    request.types().select(request.typeWord()).type().name())) {
                return;
            }
        } catch (StoreException e) {
            return;
        }
        long originSectors;
        try {
            originSectors = Activation.originSectors(request.origin());
        } catch (ActivationException e) {
            return;
        }
        try (CowFile cow = CowFile.open(command, request.cow(), false, Activation.Locking.NONE)) {
            CowHeader header = cow.header(command);
            if (header.hasMagic()
                    && header.valid() != 0
                    && header.version() == CowFormat.SNAPSHOT_DISK_VERSION
                    && header.whyUndecodable().isEmpty()) {
                long chunkSize = header.chunkSize();
                long originChunks = (originSectors + chunkSize - 1) / chunkSize;
                long[] worst = {-1};
                cow.walk(command, header, record -> {
                    if (Long.compareUnsigned(record.oldChunk(), originChunks) >= 0
                            && (worst[0] == -1 || Long.compareUnsigned(record.oldChunk(), worst[0]) > 0)) {
                        worst[0] = record.oldChunk();
                    }
                });
                if (worst[0] != -1) {
                    throw CliException.usage(command + ": origin " + request.origin() + " (" + (originSectors << 9)
                            + " bytes) is shorter than the snapshot in " + cow.path() + ": it holds origin chunk "
                            + Long.toUnsignedString(worst[0]) + " (chunk size " + chunkSize
                            + " sectors), past the origin's end");
                }
            }
        }
    }

    private static String hint(SnapshotTargetException e, String typeWord, String chunkSizeArg) {
        if (KernelMessages.CHUNK_SIZE_NOT_SET.equals(e.getMessage()) && "0".equals(chunkSizeArg)) {
            return "; give --chunk-size for a " + typeWord + " snapshot";
        }
        return "";
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
        try {
            return Activation.originSectors(originPath) << 9;
        } catch (ActivationException e) {
            throw refusal(command, ActivationRequest.of(originPath, originPath, StoreTypes.PERSISTENT), e);
        }
    }

    Origin origin() {
        return activation.origin();
    }

    Snapshot snapshot() {
        return activation.snapshot();
    }

    /** @return every snapshot, in the order of the COWs */
    List<Snapshot> snapshots() {
        return activation.snapshots();
    }

    /** @return whether the COW had no header (magic 0) and this activation initialised it */
    boolean newCow() {
        return activation.isNewCow();
    }

    Path originPath() {
        return activation.request().origin();
    }

    Path cowPath() {
        return activation.request().cow();
    }

    /**
     * Removes the snapshot and closes the images, flushing what was written.
     *
     * @throws CliException (exit 1) when the final flush fails
     */
    @Override
    public void close() throws CliException {
        try {
            activation.close();
        } catch (IOException e) {
            throw CliException.no(command + ": flushing the images failed (" + Arguments.describe(e) + ")");
        }
    }
}
