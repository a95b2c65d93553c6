package dev.snapstore.engine;

import dev.snapstore.dm.KernelMessages;
import dev.snapstore.spi.BlockDevice;
import dev.snapstore.spi.ChunkSize;
import dev.snapstore.spi.StoreException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.function.LongConsumer;

/**
 * A merge with nothing else using the origin ({@link Snapshot#mergeOffline}): every exception is
 * copied back at once, in origin order, origin-adjacent chunks gathered into large writes, then the
 * origin is flushed once and the store forgets the whole table in one commit
 * ({@code ExceptionStore#commitMergeAll}).
 *
 * <p>The origin ends as the kernel's newest-first merge leaves it: each origin chunk gets the COW
 * chunk the table maps it to, which is what the snapshot showed. The order of the copies does not
 * matter because no two exceptions of the table share an origin chunk, and nothing reads or
 * writes the origin meanwhile (the origin's control lock is held throughout). Crash safety is
 * the same as the kernel's: until the store's commit, the COW still holds every exception, and
 * merging again copies the same bytes to the same places; after it, the table is empty.
 */
final class OfflineMerge {

    /** The most gathered into one origin write. */
    private static final int BATCH = 4 << 20;

    private final SnapshotCore core;
    private final BlockDevice originDevice;
    private final long originSectors;
    private final ByteBuffer buffer;
    private final LongConsumer progress;

    /** Origin sector of the batch's first chunk, and how many chunks the batch holds. */
    private long batchSector;

    private int batchChunks;

    private OfflineMerge(SnapshotCore core, LongConsumer progress) {
        this.core = core;
        this.originDevice = core.origin.device();
        this.originSectors = originDevice.sizeInSectors();
        this.buffer = ByteBuffer.allocateDirect(Math.max(BATCH, core.chunkSize << ChunkSize.SECTOR_SHIFT));
        this.progress = progress;
    }

    /** A copy that failed: the kernel's message for it. */
    private static final class Failed extends Exception {
        private static final long serialVersionUID = 1L;

        Failed(String message) {
            super(message, null, false, false);
        }
    }

    /**
     * Merges everything; called under the origin's control lock with the snapshot merging and not
     * stopped, and no other snapshot on the origin.
     *
     * @return how many chunks were merged; 0 when the merge failed or there was nothing to merge
     */
    static long run(SnapshotCore core, LongConsumer progress) {
        if (!core.state().valid()) {
            core.log.dm(SnapshotCore.LOG_PREFIX, KernelMessages.MERGE_INVALID);
            core.update(s -> s.mergeStopped(false));
            return 0;
        }
        ExceptionTable table = core.complete;
        core.lock.lock();
        try {
            // Sorted, delta folded in: forEachRun then goes in origin order.
            table.compact();
        } finally {
            core.lock.unlock();
        }
        OfflineMerge merge = new OfflineMerge(core, progress);
        long total = table.size();
        try {
            merge.copyAll(table);
            try {
                merge.originDevice.flush();
            } catch (IOException e) {
                throw new Failed(KernelMessages.MERGE_FLUSH_FAILED);
            }
            core.storeLock.lock();
            try {
                core.store.commitMergeAll();
            } catch (StoreException | RuntimeException e) {
                throw new Failed(KernelMessages.MERGE_COMMIT_FAILED);
            } finally {
                core.storeLock.unlock();
            }
        } catch (Failed e) {
            core.log.dm(SnapshotCore.LOG_PREFIX, e.getMessage());
            core.lock.lock();
            try {
                core.update(SnapshotState::mergeFailedNow);
                core.changed.signalAll();
            } finally {
                core.lock.unlock();
            }
            return 0;
        }
        core.lock.lock();
        try {
            table.clear();
            core.update(s -> s.mergeStopped(true));
            core.changed.signalAll();
        } finally {
            core.lock.unlock();
        }
        return total;
    }

    private void copyAll(ExceptionTable table) throws Failed {
        Failed[] failure = {null};
        // The table is not changed meanwhile: origin I/O is excluded and the snapshot is merging.
        table.forEachRun((firstOld, firstNew, length) -> {
            if (failure[0] == null) {
                try {
                    addRun(firstOld, firstNew, length);
                } catch (Failed e) {
                    failure[0] = e;
                }
            }
        });
        if (failure[0] != null) {
            throw failure[0];
        }
        writeBatch();
    }

    /** Reads a run from the COW into the batch, writing the batch first when the run does not follow it. */
    private void addRun(long firstOld, long firstNew, int length) throws Failed {
        int shift = core.chunkShift;
        int chunkBytes = core.chunkSize << ChunkSize.SECTOR_SHIFT;
        int done = 0;
        while (done < length) {
            long oldSector = (firstOld + done) << shift;
            if (batchChunks > 0 && oldSector != batchSector + ((long) batchChunks << shift)) {
                writeBatch();
            }
            if (buffer.remaining() < chunkBytes) {
                writeBatch();
            }
            if (batchChunks == 0) {
                batchSector = oldSector;
            }
            int n = Math.min(length - done, buffer.remaining() / chunkBytes);
            ByteBuffer piece = buffer.slice(buffer.position(), n * chunkBytes);
            try {
                core.cow.read((firstNew + done) << shift, piece);
            } catch (IOException e) {
                throw new Failed(KernelMessages.MERGE_READ_FAILED);
            }
            buffer.position(buffer.position() + n * chunkBytes);
            batchChunks += n;
            done += n;
        }
    }

    /** Writes the batch to the origin, cut short at the origin's end as the kernel's merge copy is. */
    private void writeBatch() throws Failed {
        if (batchChunks == 0) {
            return;
        }
        long sectors = (long) batchChunks << core.chunkShift;
        if (Long.compareUnsigned(batchSector, originSectors) < 0) {
            sectors = Math.min(sectors, originSectors - batchSector);
        }
        buffer.flip().limit((int) (sectors << ChunkSize.SECTOR_SHIFT));
        try {
            originDevice.write(batchSector, buffer);
        } catch (IOException e) {
            throw new Failed(KernelMessages.MERGE_WRITE_FAILED);
        }
        progress.accept(batchChunks);
        buffer.clear();
        batchChunks = 0;
    }
}
