package dev.snapstore.serve.engine;

import dev.snapstore.engine.Origin;
import dev.snapstore.engine.Snapshot;
import dev.snapstore.serve.NbdError;
import dev.snapstore.serve.NbdException;
import dev.snapstore.serve.NbdExport;
import dev.snapstore.spi.BlockDevice;
import dev.snapstore.spi.ChunkSize;
import dev.snapstore.spi.SnapstoreException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Objects;

/**
 * The engine's origin or one of its snapshots as an {@link NbdExport}, with the kernel's semantics:
 * a write to the {@code origin} export copies each chunk it changes out to every snapshot first; a
 * write to a snapshot export allocates exceptions; reads of a snapshot show it as it was.
 *
 * <p><b>Durability.</b> An engine write returns only after every exception it needed was committed
 * (data chunk, flush, metadata area, flush), as a bio waiting on a pending exception completes only
 * after {@code commit_exception}'s callback. So no exception is outstanding when a request returns,
 * and {@link #flush()} only has to flush the device the export's own writes land on, as dm remaps
 * a flush: the COW for a snapshot, the origin device for the origin. {@code fua} is the write and
 * then that flush.
 *
 * <p><b>Errors.</b> The engine's kernel errors keep their errno ({@link SnapstoreException#errno()}):
 * a {@code PO} snapshot that overflowed fails writes with EIO and stays readable; an invalidated
 * snapshot fails every request with EIO; other I/O errors are EIO. Zero-writes are writes of zeroes
 * (a snapshot must copy out anyway); trim is not offered, because a trimmed chunk of a snapshot would
 * still need an exception to read as anything but the origin. Block status is the default "data"
 * everywhere: the engine knows where exceptions are, but not whether the origin holds a hole, so
 * it never claims a zero.
 *
 * <p>Thread-safe, as {@link Origin} and {@link Snapshot} are. {@link #close()} does not close the
 * origin, the snapshot or any file: they belong to whoever activated them, who closes them after
 * the server stopped.
 *
 * @since 0.3
 */
public final class EngineExport implements NbdExport {

    /** Zero-writes go to the engine in pieces of this size, from one shared zero buffer. */
    private static final int ZERO_PIECE = 1 << 20;

    private static final ByteBuffer ZEROES =
            ByteBuffer.allocateDirect(ZERO_PIECE).asReadOnlyBuffer();

    private final String name;
    private final String description;
    private final BlockDevice device;
    /** What a flush must reach: the COW for a snapshot, the origin device for the origin. */
    private final BlockDevice flushTarget;

    private final int preferredBlockSize;
    private final boolean readOnly;

    private EngineExport(
            String name,
            String description,
            BlockDevice device,
            BlockDevice flushTarget,
            int chunkSectors,
            boolean readOnly) {
        this.name = Objects.requireNonNull(name, "name");
        this.description = description;
        this.device = device;
        this.flushTarget = flushTarget;
        this.preferredBlockSize = Math.max(device.logicalBlockSize(), chunkSectors << ChunkSize.SECTOR_SHIFT);
        this.readOnly = readOnly;
    }

    /**
     * The origin as an export: writes copy out to every valid, active snapshot first.
     *
     * @param name the export name, e.g. {@code "origin"}
     * @param origin the origin, with its snapshots active
     * @param readOnly whether clients may only read
     * @return the export
     * @throws IllegalArgumentException when a writable export is asked of a read-only origin device
     */
    public static EngineExport origin(String name, Origin origin, boolean readOnly) {
        if (!readOnly && origin.isReadOnly()) {
            throw new IllegalArgumentException("origin " + origin.name() + " is opened read-only");
        }
        int chunk =
                origin.snapshots().stream().mapToInt(Snapshot::chunkSize).min().orElse(8);
        return new EngineExport(name, "origin " + origin.name(), origin, origin.device(), chunk, readOnly);
    }

    /**
     * A snapshot as an export: reads show the origin as it was, plus the snapshot's own writes.
     *
     * @param name the export name
     * @param snapshot an active snapshot
     * @param readOnly whether clients may only read
     * @return the export
     */
    public static EngineExport snapshot(String name, Snapshot snapshot, boolean readOnly) {
        return new EngineExport(
                name,
                snapshot.name() + " (" + snapshot.typeWord() + " " + snapshot.chunkSize() + ")",
                snapshot,
                snapshot.cow(),
                snapshot.chunkSize(),
                readOnly);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public String description() {
        return description;
    }

    @Override
    public long size() {
        return device.sizeInSectors() << ChunkSize.SECTOR_SHIFT;
    }

    @Override
    public int minimumBlockSize() {
        return device.logicalBlockSize();
    }

    @Override
    public int preferredBlockSize() {
        return preferredBlockSize;
    }

    @Override
    public boolean isReadOnly() {
        return readOnly;
    }

    @Override
    public void read(long offset, ByteBuffer dst) throws NbdException {
        try {
            device.read(offset >>> ChunkSize.SECTOR_SHIFT, dst);
        } catch (IOException e) {
            throw wrap("read", offset, e);
        }
    }

    @Override
    public void write(long offset, ByteBuffer src, boolean fua) throws NbdException {
        try {
            device.write(offset >>> ChunkSize.SECTOR_SHIFT, src);
        } catch (IOException e) {
            throw wrap("write", offset, e);
        }
        if (fua) {
            flush();
        }
    }

    @Override
    public void flush() throws NbdException {
        try {
            flushTarget.flush();
        } catch (IOException e) {
            throw wrap("flush", 0, e);
        }
    }

    @Override
    public void writeZeroes(long offset, long length, boolean fua, boolean mayTrim) throws NbdException {
        long at = offset;
        long end = offset + length;
        while (at < end) {
            int n = (int) Math.min(ZERO_PIECE, end - at);
            write(at, ZEROES.duplicate().limit(n), false);
            at += n;
        }
        if (fua) {
            flush();
        }
    }

    /** Nothing to release: the origin, the snapshots and the files belong to the activation. */
    @Override
    public void close() {}

    @Override
    public String toString() {
        return "EngineExport[" + name + ", " + device.name() + (readOnly ? ", read-only" : "") + "]";
    }

    private NbdException wrap(String what, long offset, IOException e) {
        if (e instanceof NbdException n) {
            return n;
        }
        String message = what + " at " + offset + " on " + name + ": " + e.getMessage();
        if (e instanceof SnapstoreException s) {
            return new NbdException(s.errno().number(), message, e);
        }
        return new NbdException(NbdError.EIO.value(), message, e);
    }
}
