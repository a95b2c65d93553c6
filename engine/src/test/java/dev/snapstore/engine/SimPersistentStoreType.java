package dev.snapstore.engine;

import dev.snapstore.spi.BlockDevice;
import dev.snapstore.spi.CommitCallback;
import dev.snapstore.spi.Errno;
import dev.snapstore.spi.ExceptionSink;
import dev.snapstore.spi.ExceptionStore;
import dev.snapstore.spi.ExceptionStoreType;
import dev.snapstore.spi.MergeRun;
import dev.snapstore.spi.MetadataState;
import dev.snapstore.spi.StoreContext;
import dev.snapstore.spi.StoreException;
import dev.snapstore.spi.Usage;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A test double for the persistent store type {@code P}/{@code PO}: dm-snap-persistent.c's
 * behaviour as the engine sees it (allocation with metadata chunks skipped, commits batched until no
 * exception is in flight or an area fills, merge runs that never span two areas, usage numbers,
 * drop), with the "disk" kept in memory per COW device instead of in the kernel's on-disk format.
 * A new store on the same COW device sees only what was committed, like a reload after a crash.
 * Faults can be switched on per COW device.
 */
final class SimPersistentStoreType implements ExceptionStoreType {

    /** The durable state of one COW device: the header and the committed records. */
    static final class Disk {
        boolean formatted;
        int chunkSize;
        boolean valid = true;
        final List<long[]> records = new ArrayList<>();
        volatile boolean failMetadataWrites;
        volatile boolean failPrepareMerge;
        volatile boolean failCommitMerge;
        int commitMergeCalls;
    }

    private final Map<BlockDevice, Disk> disks = new IdentityHashMap<>();

    synchronized Disk disk(BlockDevice cow) {
        return disks.computeIfAbsent(cow, c -> new Disk());
    }

    @Override
    public String name() {
        return "P";
    }

    @Override
    public String longName() {
        return "persistent";
    }

    @Override
    public String description() {
        return "test double of the persistent store";
    }

    @Override
    public boolean supportsMerge() {
        return true;
    }

    @Override
    public ExceptionStore create(StoreContext context, String options) throws StoreException {
        boolean overflow = false;
        if (options != null) {
            if (!options.isEmpty() && Character.toUpperCase(options.charAt(0)) == 'O') {
                overflow = true;
            } else {
                throw new StoreException(Errno.EINVAL, "Unsupported persistent store option: " + options);
            }
        }
        return new Store(context, disk(context.cow()), overflow);
    }

    private static final class Store implements ExceptionStore {
        private final StoreContext context;
        private final Disk disk;
        private final boolean overflow;
        private int chunkSize;
        private int epa;
        private boolean valid = true;
        private volatile long nextFree = 2;
        private volatile int currentArea;
        private int currentCommitted;
        /** Prepare may run during a commit (see preparesDuringCommit), so this is atomic. */
        private final AtomicInteger pendingCount = new AtomicInteger();

        private final List<long[]> batch = new ArrayList<>();
        private final List<CommitCallback> callbacks = new ArrayList<>();

        Store(StoreContext context, Disk disk, boolean overflow) {
            this.context = context;
            this.disk = disk;
            this.overflow = overflow;
            this.chunkSize = context.chunkSize();
        }

        @Override
        public int chunkSize() {
            return chunkSize;
        }

        @Override
        public String typeWord() {
            return overflow ? "PO" : "P";
        }

        @Override
        public boolean supportsOverflow() {
            return overflow;
        }

        private long cowSectors() {
            return context.cow().sizeInSectors();
        }

        private long areaLocation(long area) {
            return 1 + (epa + 1L) * area;
        }

        private void skipMetadata() {
            if (nextFree % (epa + 1) == 1) {
                nextFree++;
            }
        }

        @Override
        public MetadataState readMetadata(ExceptionSink sink) throws StoreException {
            synchronized (disk) {
                if (chunkSize == 0) {
                    chunkSize = 32;
                }
                if (!disk.formatted) {
                    if (cowSectors() < 2L * chunkSize) {
                        throw new StoreException(Errno.EIO, "zero_disk_area(0) failed");
                    }
                    disk.formatted = true;
                    disk.chunkSize = chunkSize;
                    disk.valid = true;
                    epa = chunkSize * 32;
                    return MetadataState.VALID;
                }
                chunkSize = disk.chunkSize;
                epa = chunkSize * 32;
                if (!disk.valid) {
                    valid = false;
                    return MetadataState.INVALIDATED;
                }
                for (long[] r : disk.records) {
                    if (nextFree <= r[1]) {
                        nextFree = r[1] + 1;
                    }
                    sink.add(r[0], r[1]);
                }
                currentArea = disk.records.size() / epa;
                currentCommitted = disk.records.size() % epa;
                skipMetadata();
                return MetadataState.VALID;
            }
        }

        @Override
        public boolean preparesDuringCommit() {
            return true;
        }

        @Override
        public long prepareException(long oldChunk) {
            if (cowSectors() < (nextFree + 1) * chunkSize) {
                return NO_SPACE;
            }
            long chunk = nextFree++;
            skipMetadata();
            pendingCount.incrementAndGet();
            return chunk;
        }

        @Override
        public void commitException(long oldChunk, long newChunk, boolean copied, CommitCallback callback) {
            if (!copied) {
                valid = false;
            }
            batch.add(new long[] {oldChunk, newChunk});
            callbacks.add(callback);
            currentCommitted++;
            if (pendingCount.decrementAndGet() != 0 && currentCommitted != epa) {
                return;
            }
            synchronized (disk) {
                if (currentCommitted == epa && (areaLocation(currentArea + 1) + 1) * chunkSize > cowSectors()) {
                    valid = false; // zero_disk_area(current_area + 1) beyond the end of the device
                }
                if (valid && disk.failMetadataWrites) {
                    valid = false;
                }
                if (valid) {
                    disk.records.addAll(batch);
                }
            }
            batch.clear();
            if (currentCommitted == epa) {
                currentCommitted = 0;
                currentArea++;
            }
            List<CommitCallback> fire = new ArrayList<>(callbacks);
            callbacks.clear();
            for (CommitCallback c : fire) {
                c.committed(valid);
            }
        }

        @Override
        public Optional<MergeRun> prepareMerge() throws StoreException {
            synchronized (disk) {
                if (disk.failPrepareMerge) {
                    throw new StoreException(Errno.EIO, "area_io failed");
                }
                if (currentCommitted == 0) {
                    if (currentArea == 0) {
                        return Optional.empty();
                    }
                    currentArea--;
                    currentCommitted = epa;
                }
                int base = currentArea * epa;
                long[] last = disk.records.get(base + currentCommitted - 1);
                int n = 1;
                for (; n < currentCommitted; n++) {
                    long[] e = disk.records.get(base + currentCommitted - 1 - n);
                    if (e[0] != last[0] - n || e[1] != last[1] - n) {
                        break;
                    }
                }
                return Optional.of(new MergeRun(n, last[0], last[1]));
            }
        }

        @Override
        public void commitMerge(int count) throws StoreException {
            synchronized (disk) {
                disk.commitMergeCalls++;
                if (disk.failCommitMerge) {
                    throw new StoreException(Errno.EIO, "area_io failed");
                }
                if (count > currentCommitted) {
                    throw new IllegalStateException("BUG_ON(nr > current_committed)");
                }
                for (int i = 0; i < count; i++) {
                    disk.records.remove(disk.records.size() - 1);
                }
                currentCommitted -= count;
                nextFree = areaLocation(currentArea) + currentCommitted + 1;
            }
        }

        @Override
        public void dropSnapshot() {
            synchronized (disk) {
                valid = false;
                disk.valid = false;
            }
        }

        @Override
        public Usage usage() {
            return new Usage(cowSectors(), nextFree * chunkSize, (currentArea + 2L) * chunkSize);
        }
    }
}
