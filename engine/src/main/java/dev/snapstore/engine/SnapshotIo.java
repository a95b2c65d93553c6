package dev.snapstore.engine;

import dev.snapstore.dm.KernelMessages;
import dev.snapstore.spi.ChunkSize;
import dev.snapstore.spi.Errno;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * A snapshot's own reads and writes ({@code snapshot_map}): chunks with an exception go to the COW,
 * the others to the origin (reads, tracked until they end so that a copy-out cannot change the
 * origin underneath) or to a new exception (writes, through {@link PendingExceptions}). The caller
 * ({@link Snapshot}) has checked the range and holds the origin's I/O lock.
 */
final class SnapshotIo {

    /**
     * The most one joined read asks of a device: enough to amortise a system call, little enough to
     * keep tracking short.
     */
    private static final int MAX_READ_RUN_BYTES = 1 << 20;

    private final SnapshotCore core;
    private final PendingExceptions pending;

    SnapshotIo(SnapshotCore core, PendingExceptions pending) {
        this.core = core;
        this.pending = pending;
    }

    void read(long sector, ByteBuffer dst) throws IOException {
        while (dst.hasRemaining()) {
            int n = readRun(sector, dst.slice(dst.position(), dst.remaining()));
            dst.position(dst.position() + n);
            sector += n >>> ChunkSize.SECTOR_SHIFT;
        }
    }

    void write(long sector, ByteBuffer src) throws IOException {
        Pieces.split(sector, src, core.chunkSize, this::writePiece);
    }

    /**
     * snapshot_map for reads, over as many whole chunks in a row as map to one place: the origin
     * (each chunk tracked, as {@code track_chunk} does per bio), or consecutive COW chunks. The
     * kernel's bios are one chunk at most; joining them here makes a large read one device read
     * instead of one per chunk, with the same bytes and the same tracking.
     *
     * @return how many bytes of {@code rest} were read
     */
    private int readRun(long sector, ByteBuffer rest) throws IOException {
        int chunkSize = core.chunkSize;
        long firstChunk = sector >>> core.chunkShift;
        int chunkBytes = chunkSize << ChunkSize.SECTOR_SHIFT;
        int bytes = (int) Math.min((chunkSize - (sector & core.chunkMask)) << ChunkSize.SECTOR_SHIFT, rest.remaining());
        int chunks = 1;
        long cowSector = -1;
        ExceptionTable complete = core.complete;
        core.lock.lock();
        try {
            checkUsable(false);
            long newChunk = complete.lookup(firstChunk);
            if (newChunk != ExceptionTable.NONE) {
                cowSector = core.remap(newChunk, sector);
                while (bytes < rest.remaining()
                        && bytes < MAX_READ_RUN_BYTES
                        && complete.lookup(firstChunk + chunks) == newChunk + chunks) {
                    bytes += Math.min(chunkBytes, rest.remaining() - bytes);
                    chunks++;
                }
            } else {
                core.track(firstChunk);
                while (bytes < rest.remaining()
                        && bytes < MAX_READ_RUN_BYTES
                        && complete.lookup(firstChunk + chunks) == ExceptionTable.NONE) {
                    core.track(firstChunk + chunks);
                    bytes += Math.min(chunkBytes, rest.remaining() - bytes);
                    chunks++;
                }
            }
        } finally {
            core.lock.unlock();
        }
        ByteBuffer run = rest.slice(0, bytes);
        if (cowSector >= 0) {
            core.deviceIo(core.cow, cowSector, run, false);
            return bytes;
        }
        try {
            core.deviceIo(core.origin.device(), sector, run, false);
        } finally {
            core.untrack(firstChunk, chunks);
        }
        return bytes;
    }

    /** The checks at the top of snapshot_map; called under lock. */
    private void checkUsable(boolean write) throws SnapshotIOException {
        SnapshotState state = core.state();
        if (state.phase().isMerging()) {
            // After the handover to snapshot-merge the old snapshot device is invalid.
            throw core.eio("the snapshot was handed over to a merge");
        }
        if (!state.valid()) {
            throw core.eio("the snapshot is invalid");
        }
        if (write && state.overflowed()) {
            throw core.eio("the snapshot overflowed");
        }
    }

    /** snapshot_map for a write inside one chunk. */
    private void writePiece(long sector, ByteBuffer piece) throws IOException {
        long chunk = sector >>> core.chunkShift;
        boolean wholeChunk = piece.remaining() == (long) core.chunkSize << ChunkSize.SECTOR_SHIFT;
        while (true) {
            Pending pe = null;
            long cowSector = -1;
            core.lock.lock();
            try {
                checkUsable(true);
                long newChunk = core.complete.lookup(chunk);
                if (newChunk != ExceptionTable.NONE) {
                    cowSector = core.remap(newChunk, sector);
                } else {
                    pe = pending.getOrCreate(chunk);
                }
            } finally {
                core.lock.unlock();
            }
            if (cowSector >= 0) {
                core.deviceIo(core.cow, cowSector, piece, true);
                return;
            }
            if (pe.owner == Thread.currentThread()) {
                if (!pending.allocate(pe)) {
                    // __find_pending_exception failed: PO overflows, P and N invalidate; the bio is killed.
                    if (core.store.supportsOverflow()) {
                        overflow();
                    } else {
                        core.invalidate(Errno.ENOMEM);
                    }
                    pending.abandon(pe);
                    throw core.eio("Unable to allocate exception");
                }
                if (wholeChunk) {
                    // start_full_bio: the write itself is the copy; its completion completes the exception.
                    try {
                        core.cow.write(core.remap(pe.newChunk, sector), piece.duplicate());
                    } catch (IOException e) {
                        pe.copyError = true;
                    }
                    pending.completeCopy(pe);
                    if (!pending.awaitDone(pe)) {
                        throw notStored(chunk);
                    }
                    return;
                }
                pending.startCopy(pe);
            }
            if (!pending.awaitDone(pe)) {
                if (pe.allocationFailed) {
                    continue; // the owner overflowed or invalidated the snapshot: the checks above now fail
                }
                throw notStored(chunk);
            }
            // The bio was queued on the pending exception: it goes to the COW after the commit.
            core.deviceIo(core.cow, core.remap(pe.newChunk, sector), piece, true);
            return;
        }
    }

    private SnapshotIOException notStored(long chunk) {
        return core.eio("the exception for chunk " + Long.toUnsignedString(chunk) + " could not be stored");
    }

    /** A PO snapshot's store is full on a snapshot write: overflowed, once, with the kernel's line. */
    private void overflow() {
        core.lock.lock();
        try {
            SnapshotState state = core.state();
            if (state.valid() && !state.overflowed()) {
                core.update(SnapshotState::overflowedNow);
                core.log.dm(SnapshotCore.LOG_PREFIX, KernelMessages.OVERFLOWED);
            }
        } finally {
            core.lock.unlock();
        }
    }
}
