package dev.snapstore.store.persistent;

import dev.snapstore.spi.CommitCallback;
import dev.snapstore.spi.Errno;
import dev.snapstore.spi.ExceptionSink;
import dev.snapstore.spi.ExceptionStore;
import dev.snapstore.spi.MetadataState;
import dev.snapstore.spi.StoreContext;
import dev.snapstore.spi.StoreException;
import dev.snapstore.spi.Usage;

/** Placeholder until the on-disk format is implemented (issue 3). */
final class PersistentStore implements ExceptionStore {

    private final StoreContext context;
    private final boolean overflow;

    PersistentStore(StoreContext context, boolean overflow) {
        this.context = context;
        this.overflow = overflow;
    }

    @Override
    public int chunkSize() {
        return context.chunkSize();
    }

    @Override
    public String typeWord() {
        return overflow ? "PO" : "P";
    }

    @Override
    public boolean supportsOverflow() {
        return overflow;
    }

    @Override
    public MetadataState readMetadata(ExceptionSink sink) throws StoreException {
        throw new StoreException(Errno.EINVAL, "persistent store not implemented yet");
    }

    @Override
    public long prepareException(long oldChunk) {
        return NO_SPACE;
    }

    @Override
    public void commitException(long oldChunk, long newChunk, boolean copied, CommitCallback callback) {
        callback.committed(false);
    }

    @Override
    public Usage usage() {
        return new Usage(context.cow().sizeInSectors(), 0, 0);
    }
}
