package dev.snapstore.bench;

import dev.snapstore.engine.Origin;
import dev.snapstore.engine.Snapshot;
import dev.snapstore.spi.FileBlockDevice;
import dev.snapstore.spi.StoreTypes;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Copy-on-write throughput, the device-mapper test suite's matrix: origin writes of {@code ioKiB}
 * through an {@link Origin} with one active snapshot of chunk size {@code chunkKiB}, against the
 * same writes to a bare {@link FileChannel} on a file of the same size ({@code store = raw}).
 *
 * <p>{@code breaking}: every write lands on chunks the snapshot does not hold yet, so each chunk is
 * first copied to the COW and the exception committed (for {@code P} with the kernel's two flushes
 * per commit). Each shot writes a fresh region of {@link #REGION_CHUNKS} chunks. {@code broken}:
 * the region was broken once in the trial's setup; each shot rewrites it until
 * {@link #BROKEN_SHOT_BYTES} are written, so only the lookup and the split at chunk boundaries
 * remain. One shot's bytes are {@link #shotBytes}; the runner turns seconds per shot into MB/s.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class CowBench {

    /** Chunks in one region: enough for a timeable shot while one P commit costs two flushes. */
    static final int REGION_CHUNKS = 128;
    /** Bytes one already-broken shot writes, rewriting its region as often as needed. */
    static final long BROKEN_SHOT_BYTES = 32L << 20;
    /** Fresh regions available for breaking shots; the runner's iterations must not exceed it. */
    static final int MAX_SHOTS = 16;

    /** {@code P}, {@code N} or {@code raw} (no snapshot at all). */
    @Param({"P", "N", "raw"})
    public String store;

    /** Chunk size in KiB. */
    @Param({"4", "16", "64"})
    public int chunkKiB;

    /** Bytes per write in KiB. */
    @Param({"64", "1024"})
    public int ioKiB;

    /** {@code breaking} (first writes) or {@code broken} (rewrites). */
    @Param({"breaking", "broken"})
    public String phase;

    private Path originFile;
    private Path cowFile;
    private FileBlockDevice originDevice;
    private FileBlockDevice cowDevice;
    private Origin origin;
    private FileChannel rawChannel;
    private ByteBuffer data;
    private long regionBytes;
    private int shot;
    private long regionStart;

    /**
     * The bytes one shot writes.
     *
     * @param chunkKiB chunk size in KiB
     * @param phase {@code breaking} or {@code broken}
     * @return bytes per shot
     */
    public static long shotBytes(int chunkKiB, String phase) {
        long region = (long) REGION_CHUNKS * chunkKiB << 10;
        return phase.equals("breaking") ? region : Math.max(region, BROKEN_SHOT_BYTES);
    }

    /** Fresh sparse files, the snapshot created and activated; for broken, region 0 broken once. */
    @Setup(Level.Trial)
    public void setupTrial() throws Exception {
        regionBytes = (long) REGION_CHUNKS * chunkKiB << 10;
        long originBytes = (MAX_SHOTS + 1) * regionBytes;
        String tag = store + "-" + chunkKiB + "-" + ioKiB + "-" + phase;
        originFile = Images.fresh("cow-bench-origin-" + tag + ".img", originBytes);
        data = ByteBuffer.allocateDirect(ioKiB << 10);
        for (int i = 0; i < data.capacity(); i += 8) {
            data.putLong(i, 0x5EED_0000_0000_0000L + i);
        }
        if (store.equals("raw")) {
            rawChannel = FileChannel.open(originFile, StandardOpenOption.READ, StandardOpenOption.WRITE);
        } else {
            // Room for every chunk of the origin plus the metadata areas.
            cowFile = Images.fresh("cow-bench-cow-" + tag + ".img", originBytes + originBytes / 8 + (1 << 20));
            originDevice = FileBlockDevice.open(originFile, true);
            cowDevice = FileBlockDevice.open(cowFile, true);
            origin = new Origin(originDevice);
            int chunkSectors = chunkKiB * 2;
            Snapshot snapshot = origin.createSnapshot(
                    StoreTypes.load(), store, Integer.toString(chunkSectors), cowDevice, originDevice.sizeInSectors());
            snapshot.activate();
        }
        if (phase.equals("broken")) {
            writeRegion(0, regionBytes);
        }
        shot = 0;
    }

    /** Picks the region: a fresh one per breaking shot, always region 0 when already broken. */
    @Setup(Level.Iteration)
    public void setupShot() {
        if (phase.equals("breaking")) {
            if (shot >= MAX_SHOTS) {
                throw new IllegalStateException("more than " + MAX_SHOTS + " breaking shots");
            }
            // Region 0 is left alone so that breaking and broken trials write the same offsets.
            regionStart = (++shot) * regionBytes;
        } else {
            regionStart = 0;
        }
    }

    /**
     * One shot.
     *
     * @return bytes written
     */
    @Benchmark
    public long write() throws IOException {
        long total = shotBytes(chunkKiB, phase);
        long done = 0;
        while (done < total) {
            long n = Math.min(regionBytes, total - done);
            writeRegion(regionStart, n);
            done += n;
        }
        return done;
    }

    private void writeRegion(long start, long bytes) throws IOException {
        int io = data.capacity();
        for (long at = start; at < start + bytes; at += io) {
            ByteBuffer src = data.duplicate();
            if (rawChannel != null) {
                while (src.hasRemaining()) {
                    rawChannel.write(src, at + src.position());
                }
            } else {
                origin.write(at >>> 9, src);
            }
        }
    }

    /** Closes everything and deletes the files, so trials do not fill the disk. */
    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        if (origin != null) {
            origin.close();
        }
        for (Closeable c : new Closeable[] {rawChannel, originDevice, cowDevice}) {
            if (c != null) {
                c.close();
            }
        }
        Files.deleteIfExists(originFile);
        if (cowFile != null) {
            Files.deleteIfExists(cowFile);
        }
    }
}
