package dev.snapstore.dm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.snapstore.spi.CommitCallback;
import dev.snapstore.spi.Errno;
import dev.snapstore.spi.ExceptionSink;
import dev.snapstore.spi.ExceptionStore;
import dev.snapstore.spi.KernelLog;
import dev.snapstore.spi.MemoryBlockDevice;
import dev.snapstore.spi.MetadataState;
import dev.snapstore.spi.StoreException;
import dev.snapstore.spi.StoreTypes;
import dev.snapstore.spi.Usage;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The exception-store half of snapshot_ctr, in the kernel's order, with the kernel's words and errnos. */
class SnapshotConstructorTest {

    private static final StoreTypes TYPES = StoreTypes.load();
    private static final MemoryBlockDevice COW = new MemoryBlockDevice("cow", 2048);

    @Test
    void aRefusedTypeWordIsCouldntCreateWithTheStoresReason() {
        TableException e = assertThrows(
                TableException.class,
                () -> SnapshotConstructor.createStore(
                        TargetKind.SNAPSHOT, TYPES, "X", "8", COW, 512, KernelLog.DISCARD));
        assertEquals(KernelMessages.STORE_NOT_CREATED, e.kernelMessage());
        assertEquals(Errno.EINVAL, e.errno());
        assertEquals("Exception store type is not P or N", e.innerReason().orElseThrow());
        assertTrue(e.getCause() instanceof StoreException);
    }

    @Test
    void snapshotMergeNeedsAStoreThatMerges() throws Exception {
        TableException e = assertThrows(
                TableException.class,
                () -> SnapshotConstructor.createStore(
                        TargetKind.SNAPSHOT_MERGE, TYPES, "N", "8", COW, 512, KernelLog.DISCARD));
        assertEquals(KernelMessages.MERGE_NOT_SUPPORTED, e.kernelMessage());
        assertEquals(TargetKind.SNAPSHOT_MERGE, e.target().orElseThrow());
        // The plain snapshot target takes the same store.
        try (ExceptionStore store = SnapshotConstructor.createStore(
                        TargetKind.SNAPSHOT, TYPES, "N", "8", COW, 512, KernelLog.DISCARD)
                .store()) {
            assertEquals("N", store.typeWord());
        }
    }

    @Test
    void aTransientStoreWithChunkSizeZeroFailsAfterReadingItsMetadata() throws Exception {
        ExceptionStore store = SnapshotConstructor.createStore(
                        TargetKind.SNAPSHOT, TYPES, "N", "0", COW, 512, KernelLog.DISCARD)
                .store();
        TableException e = assertThrows(
                TableException.class,
                () -> SnapshotConstructor.readMetadata(TargetKind.SNAPSHOT, store, (o, n) -> {}, KernelLog.DISCARD));
        assertEquals(KernelMessages.CHUNK_SIZE_NOT_SET, e.kernelMessage());
        assertEquals(Errno.EINVAL, e.errno());
    }

    @Test
    void readMetadataFailuresKeepTheStoresErrnoAndAFullTableIsEnomem() throws Exception {
        Fake failing = new Fake(new StoreException(Errno.EIO, "Read error"), MetadataState.VALID);
        TableException io = assertThrows(
                TableException.class,
                () -> SnapshotConstructor.readMetadata(TargetKind.SNAPSHOT, failing, (o, n) -> {}, KernelLog.DISCARD));
        assertEquals(KernelMessages.READ_METADATA_FAILED, io.kernelMessage());
        assertEquals(Errno.EIO, io.errno());
        assertEquals("Read error", io.getCause().getMessage());
        assertTrue(failing.closed, "the store is closed when the constructor fails");

        Fake loading = new Fake(null, MetadataState.VALID);
        TableException full = assertThrows(
                TableException.class,
                () -> SnapshotConstructor.readMetadata(
                        TargetKind.SNAPSHOT,
                        loading,
                        (o, n) -> {
                            throw new IllegalArgumentException("cannot hold it");
                        },
                        KernelLog.DISCARD));
        assertEquals(KernelMessages.READ_METADATA_FAILED, full.kernelMessage());
        assertEquals(Errno.ENOMEM, full.errno());
        assertTrue(loading.closed);
    }

    @Test
    void anInvalidatedStoreLoadsAsAnInvalidSnapshotWithTheKernelsWarning() throws Exception {
        List<String> log = new ArrayList<>();
        Fake invalidated = new Fake(null, MetadataState.INVALIDATED);
        assertFalse(SnapshotConstructor.readMetadata(TargetKind.SNAPSHOT, invalidated, (o, n) -> {}, log::add));
        assertEquals(List.of("device-mapper: snapshots: Snapshot is marked invalid."), log);
        assertFalse(invalidated.closed);
        assertTrue(SnapshotConstructor.readMetadata(
                TargetKind.SNAPSHOT, new Fake(null, MetadataState.VALID), (o, n) -> {}, log::add));
    }

    /** A store whose read_metadata fails or reports a state, after handing one exception to the sink. */
    private static final class Fake implements ExceptionStore {
        final StoreException failure;
        final MetadataState state;
        boolean closed;

        Fake(StoreException failure, MetadataState state) {
            this.failure = failure;
            this.state = state;
        }

        @Override
        public int chunkSize() {
            return 8;
        }

        @Override
        public String typeWord() {
            return "F";
        }

        @Override
        public MetadataState readMetadata(ExceptionSink sink) throws StoreException {
            if (failure != null) {
                throw failure;
            }
            sink.add(1, 2);
            return state;
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
            return new Usage(0, 0, 0);
        }

        @Override
        public void close() {
            closed = true;
        }
    }
}
