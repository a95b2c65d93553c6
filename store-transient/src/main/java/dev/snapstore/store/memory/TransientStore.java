package dev.snapstore.store.memory;

import dev.snapstore.spi.BlockDevice;
import dev.snapstore.spi.CommitCallback;
import dev.snapstore.spi.ExceptionSink;
import dev.snapstore.spi.ExceptionStore;
import dev.snapstore.spi.MetadataState;
import dev.snapstore.spi.StoreContext;
import dev.snapstore.spi.Usage;

/**
 * A transient store, as dm-snap-transient.c: the only state is the next free sector. Nothing is
 * read from or written to the COW device by the store itself.
 */
final class TransientStore implements ExceptionStore {

    private final BlockDevice cow;
    private final int chunkSize;
    private final int chunkShift;
    /** In sectors, as the kernel keeps it. */
    private long nextFree;

    TransientStore(StoreContext context) {
        this.cow = context.cow();
        this.chunkSize = context.chunkSize();
        this.chunkShift = Integer.numberOfTrailingZeros(Math.max(chunkSize, 1));
    }

    @Override
    public int chunkSize() {
        return chunkSize;
    }

    @Override
    public String typeWord() {
        return "N";
    }

    @Override
    public MetadataState readMetadata(ExceptionSink sink) {
        return MetadataState.VALID;
    }

    @Override
    public long prepareException(long oldChunk) {
        if (chunkSize == 0 || Long.compareUnsigned(cow.sizeInSectors(), nextFree + chunkSize) < 0) {
            return NO_SPACE;
        }
        long chunk = nextFree >>> chunkShift;
        nextFree += chunkSize;
        return chunk;
    }

    @Override
    public void commitException(long oldChunk, long newChunk, boolean copied, CommitCallback callback) {
        callback.committed(copied);
    }

    @Override
    public Usage usage() {
        return new Usage(cow.sizeInSectors(), nextFree, 0);
    }
}
