package dev.snapstore.store.persistent;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.snapstore.cow.CowFormat;
import dev.snapstore.spi.BlockDevice;
import dev.snapstore.spi.ChunkSize;
import dev.snapstore.spi.FileBlockDevice;
import dev.snapstore.spi.MetadataState;
import dev.snapstore.spi.StoreContext;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Loading speed against the raw speed of reading the same metadata areas. This test loads a
 * table of 300,000 exceptions from a sparse image file in every read-ahead mode and checks every
 * record arrives; timing belongs to the benchmarks (issue 6), not to unit tests.
 */
class LoadSpeedTest {

    /**
     * Writes a kernel-format COW with {@code count} exceptions ({@code old = 2i}, allocated in
     * order) straight into a sparse file: header, then each area at its place.
     */
    static Path image(Path dir, int cs, long count) throws IOException {
        Path file = dir.resolve("cow-" + cs + "-" + count + ".img");
        int epa = cs * 32;
        long areas = count / epa + 1;
        long chunkBytes = (long) cs * ChunkSize.SECTOR_SIZE;
        try (FileChannel ch = FileChannel.open(
                file,
                StandardOpenOption.CREATE,
                StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.READ,
                StandardOpenOption.WRITE)) {
            ByteBuffer header = ByteBuffer.allocate((int) chunkBytes).order(ByteOrder.LITTLE_ENDIAN);
            header.putInt(CowFormat.SNAP_MAGIC).putInt(1).putInt(1).putInt(cs).clear();
            ch.write(header, 0);
            ByteBuffer area = ByteBuffer.allocateDirect((int) chunkBytes).order(ByteOrder.LITTLE_ENDIAN);
            long i = 0;
            for (long a = 0; a < areas; a++) {
                area.clear();
                for (int r = 0; r < epa; r++, i++) {
                    if (i < count) {
                        area.putLong(r * 16, 2 * i).putLong(r * 16 + 8, 2 + i + i / epa);
                    } else {
                        area.putLong(r * 16, 0).putLong(r * 16 + 8, 0);
                    }
                }
                long chunk = CowFormat.areaLocation(epa, a);
                ch.write(area, chunk * chunkBytes);
            }
            // The device extends to the end of the last data chunk.
            long last = 2 + count + count / epa;
            ch.truncate(Math.max(ch.size(), (last + 1) * chunkBytes));
        }
        return file;
    }

    static long[] load(Path file, int cs, AreaReader.ReadAhead readAhead, long latencyNanos) throws Exception {
        try (FileBlockDevice file0 = FileBlockDevice.open(file, false)) {
            BlockDevice dev = latencyNanos == 0 ? file0 : new SlowDevice(file0, latencyNanos);
            PersistentStore store = new PersistentStore(StoreContext.of(dev, cs), false, readAhead);
            long[] seen = new long[2];
            assertEquals(MetadataState.VALID, store.readMetadata((o, n) -> {
                seen[0]++;
                seen[1] += n ^ o;
            }));
            return seen;
        }
    }

    /** A device whose reads take at least {@code latency} more, like a disk that must seek. */
    static final class SlowDevice implements BlockDevice {
        private final BlockDevice inner;
        private final long latency;

        SlowDevice(BlockDevice inner, long latency) {
            this.inner = inner;
            this.latency = latency;
        }

        @Override
        public long sizeInSectors() {
            return inner.sizeInSectors();
        }

        @Override
        public void read(long sector, ByteBuffer dst) throws IOException {
            long until = System.nanoTime() + latency;
            inner.read(sector, dst);
            while (System.nanoTime() < until) {
                LockSupport.parkNanos(until - System.nanoTime());
            }
        }

        @Override
        public void write(long sector, ByteBuffer src) throws IOException {
            inner.write(sector, src);
        }

        @Override
        public void flush() throws IOException {
            inner.flush();
        }

        @Override
        public boolean isReadOnly() {
            return inner.isReadOnly();
        }

        @Override
        public String name() {
            return inner.name();
        }

        @Override
        public void close() {}
    }

    static long expectedChecksum(int cs, long count) {
        long epa = cs * 32L;
        long sum = 0;
        for (long i = 0; i < count; i++) {
            sum += (2 + i + i / epa) ^ (2 * i);
        }
        return sum;
    }

    @Test
    void aLargeTableLoadsCompletelyFromAFile(@TempDir Path dir) throws Exception {
        long count = 300_000;
        Path file = image(dir, 8, count);
        for (AreaReader.ReadAhead readAhead : AreaReader.ReadAhead.values()) {
            long[] seen = load(file, 8, readAhead, 0);
            assertEquals(count, seen[0]);
            assertEquals(expectedChecksum(8, count), seen[1]);
        }
    }
}
