package dev.snapstore.engine;

import dev.snapstore.spi.CommitCallback;
import dev.snapstore.spi.ExceptionSink;
import dev.snapstore.spi.ExceptionStore;
import dev.snapstore.spi.ExceptionStoreType;
import dev.snapstore.spi.MergeRun;
import dev.snapstore.spi.MetadataState;
import dev.snapstore.spi.StoreContext;
import dev.snapstore.spi.StoreException;
import dev.snapstore.spi.Usage;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Wraps a real store type to watch and steer the engine's calls: records the order of allocations
 * and commits, checks that store calls never overlap (except a prepare during a commit, when the
 * store allows it), and can hold a commit (a slow metadata write)
 * or report it failed (a metadata write error).
 */
final class WrappingStoreType implements ExceptionStoreType {

    private final ExceptionStoreType inner;
    final List<Long> prepared = Collections.synchronizedList(new ArrayList<>());
    final List<Long> committed = Collections.synchronizedList(new ArrayList<>());
    /** Runs inside commitException before the real store is called. */
    volatile Runnable beforeCommit = () -> {};
    /** Report every commit as failed instead of calling the real store. */
    volatile boolean failCommits;
    /** Set when two threads were inside one store instance at once. */
    volatile boolean overlapped;

    WrappingStoreType(ExceptionStoreType inner) {
        this.inner = inner;
    }

    @Override
    public String name() {
        return inner.name();
    }

    @Override
    public String longName() {
        return inner.longName();
    }

    @Override
    public String description() {
        return "watched " + inner.description();
    }

    @Override
    public boolean supportsMerge() {
        return inner.supportsMerge();
    }

    @Override
    public ExceptionStore create(StoreContext context, String options) throws StoreException {
        ExceptionStore store = inner.create(context, options);
        return new ExceptionStore() {
            private final AtomicInteger inside = new AtomicInteger();
            private final AtomicInteger preparing = new AtomicInteger();
            private final boolean concurrent = store.preparesDuringCommit();

            private void enter() {
                if (inside.getAndIncrement() > 0 || (!concurrent && preparing.get() > 0)) {
                    overlapped = true;
                }
            }

            private void leave() {
                inside.decrementAndGet();
            }

            @Override
            public boolean preparesDuringCommit() {
                return concurrent;
            }

            @Override
            public int chunkSize() {
                return store.chunkSize();
            }

            @Override
            public String typeWord() {
                return store.typeWord();
            }

            @Override
            public boolean supportsOverflow() {
                return store.supportsOverflow();
            }

            @Override
            public MetadataState readMetadata(ExceptionSink sink) throws StoreException {
                return store.readMetadata(sink);
            }

            @Override
            public long prepareException(long oldChunk) {
                if (preparing.getAndIncrement() > 0 || (!concurrent && inside.get() > 0)) {
                    overlapped = true;
                }
                try {
                    long n = store.prepareException(oldChunk);
                    if (n != NO_SPACE) {
                        prepared.add(n);
                    }
                    return n;
                } finally {
                    preparing.decrementAndGet();
                }
            }

            @Override
            public void commitException(long oldChunk, long newChunk, boolean copied, CommitCallback callback) {
                enter();
                try {
                    committed.add(newChunk);
                    beforeCommit.run();
                    if (failCommits) {
                        callback.committed(false);
                    } else {
                        store.commitException(oldChunk, newChunk, copied, callback);
                    }
                } finally {
                    leave();
                }
            }

            @Override
            public Optional<MergeRun> prepareMerge() throws StoreException {
                return store.prepareMerge();
            }

            @Override
            public void commitMerge(int count) throws StoreException {
                store.commitMerge(count);
            }

            @Override
            public void dropSnapshot() {
                store.dropSnapshot();
            }

            @Override
            public Usage usage() {
                return store.usage();
            }

            @Override
            public String tableStatus() {
                return store.tableStatus();
            }

            @Override
            public void close() {
                store.close();
            }
        };
    }
}
