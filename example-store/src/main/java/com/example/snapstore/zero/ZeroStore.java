package com.example.snapstore.zero;

import dev.snapstore.spi.CommitCallback;
import dev.snapstore.spi.ExceptionSink;
import dev.snapstore.spi.ExceptionStore;
import dev.snapstore.spi.MetadataState;
import dev.snapstore.spi.StoreContext;
import dev.snapstore.spi.Usage;

/** A store with no room: {@link #prepareException} always reports {@link #NO_SPACE}. */
final class ZeroStore implements ExceptionStore {

    private final StoreContext context;
    private final boolean overflow;

    ZeroStore(StoreContext context, boolean overflow) {
        this.context = context;
        this.overflow = overflow;
    }

    @Override
    public int chunkSize() {
        return context.chunkSize();
    }

    @Override
    public String typeWord() {
        return overflow ? "ZO" : "Z";
    }

    @Override
    public boolean supportsOverflow() {
        return overflow;
    }

    @Override
    public MetadataState readMetadata(ExceptionSink sink) {
        return MetadataState.VALID;
    }

    @Override
    public long prepareException(long oldChunk) {
        return NO_SPACE;
    }

    @Override
    public void commitException(long oldChunk, long newChunk, boolean copied, CommitCallback callback) {
        // Never reached: nothing is ever prepared. Report failure rather than pretend.
        callback.committed(false);
    }

    @Override
    public Usage usage() {
        long total = context.cow().sizeInSectors();
        return new Usage(total, total, 0);
    }
}
