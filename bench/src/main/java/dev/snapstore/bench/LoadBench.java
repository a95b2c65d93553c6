package dev.snapstore.bench;

import dev.snapstore.cow.CowAreaReader;
import dev.snapstore.cow.CowFormat;
import dev.snapstore.cow.CowHeader;
import dev.snapstore.cow.tools.CheckReport;
import dev.snapstore.cow.tools.CowCheck;
import dev.snapstore.cow.tools.CowTable;
import dev.snapstore.cow.tools.DumpJson;
import dev.snapstore.cow.tools.DumpText;
import dev.snapstore.engine.ExceptionTable;
import dev.snapstore.spi.ChunkSize;
import dev.snapstore.spi.ExceptionStore;
import dev.snapstore.spi.FileBlockDevice;
import dev.snapstore.spi.KernelLog;
import dev.snapstore.spi.MetadataState;
import dev.snapstore.spi.StoreTypes;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Loading a persistent COW's exception table ({@code read_metadata}) against reading the same
 * metadata areas with a bare {@link FileChannel}. The COW is kernel-format, scattered exceptions,
 * warm in the page cache for both, so the figure is CPU cost per exception, not disk speed.
 */
@State(Scope.Benchmark)
// One load is tens of milliseconds on a quiet machine but seconds on a crowded one: single shots
// keep the profile's length bounded by the shot count rather than by timed iterations.
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class LoadBench {

    /** Exceptions in the COW. */
    @Param({"1000000", "10000000"})
    public long count;

    /** Chunk size in sectors (8 = 4 KiB, the previous measurement's). */
    @Param({"8"})
    public int chunkSize;

    /**
     * The records' order on the COW: {@code sorted} by old chunk (what sequential writes leave, and
     * the first measurement) or {@code random} (what random writes leave: the table is sorted
     * while it loads).
     */
    @Param({"sorted", "random"})
    public String order;

    private Path cow;
    private StoreTypes types;
    private long originSectors;

    /** Makes (or finds) the COW and loads the store types once. */
    @Setup
    public void setup() throws IOException {
        cow = image(chunkSize, count, order);
        originSectors = (order.equals("random") ? Images.RANDOM_ORIGIN_CHUNKS : 2 * count) * chunkSize;
        types = StoreTypes.load();
    }

    /**
     * The COW of this many exceptions in this order, made once.
     *
     * @param chunkSize chunk size in sectors
     * @param count exceptions
     * @param order {@code sorted} or {@code random}
     * @return its path
     * @throws IOException when it cannot be written
     */
    static Path image(int chunkSize, long count, String order) throws IOException {
        return order.equals("random")
                ? Images.cow("load-" + chunkSize + "-" + count + "-random.cow", chunkSize, count, Images.RANDOM)
                : Images.cow("load-" + chunkSize + "-" + count + ".cow", chunkSize, count, Images.SCATTERED);
    }

    /**
     * The store alone: type lookup, open, {@code readMetadata} into a sink that only sums.
     *
     * @return a checksum, so the loop cannot be optimised away
     */
    @Benchmark
    public long store() throws Exception {
        long[] sum = new long[1];
        try (FileBlockDevice dev = FileBlockDevice.open(cow, false);
                ExceptionStore store =
                        types.create("P", Integer.toString(chunkSize), dev, ChunkSize.SECTOR_SIZE, KernelLog.DISCARD)) {
            check(store.readMetadata((o, n) -> sum[0] += o ^ n));
        }
        return sum[0];
    }

    /**
     * What the engine does when a snapshot is created: the store's records appended to an
     * {@link ExceptionTable}, then compacted.
     *
     * @return the table's size
     */
    @Benchmark
    public long engine() throws Exception {
        ExceptionTable table = new ExceptionTable();
        try (FileBlockDevice dev = FileBlockDevice.open(cow, false);
                ExceptionStore store =
                        types.create("P", Integer.toString(chunkSize), dev, ChunkSize.SECTOR_SIZE, KernelLog.DISCARD)) {
            check(store.readMetadata(table.loader()));
            table.compact();
        }
        return table.size();
    }

    /**
     * {@code snapstore check}'s work without the process: the header read, every record checked
     * against the kernel's rules, the origin's size and every other record.
     *
     * @return the number of exceptions checked
     */
    @Benchmark
    public long check() throws IOException {
        try (FileBlockDevice dev = FileBlockDevice.open(cow, false)) {
            CheckReport report = CowCheck.check(dev, CowAreaReader.readHeader(dev), OptionalLong.of(originSectors));
            if (!report.clean()) {
                throw new IllegalStateException(report.lines(cow.toString()).toString());
            }
            return report.exceptions();
        }
    }

    /**
     * {@code snapstore dump}'s work without the process: the header read, the table walked and
     * every record printed as text, into a stream that discards it (what writing half a gigabyte
     * to a file costs is the kernel's, not the dump's).
     *
     * @return the number of records dumped
     */
    @Benchmark
    public long dump() throws IOException {
        try (FileBlockDevice dev = FileBlockDevice.open(cow, false)) {
            return DumpText.write(DISCARD, cow.toString(), dev, CowAreaReader.readHeader(dev));
        }
    }

    /**
     * {@code snapstore dump --json}'s work without the process: the counting walk, then the
     * document, into a stream that discards it.
     *
     * @return the number of records dumped
     */
    @Benchmark
    public long dumpJson() throws IOException {
        try (FileBlockDevice dev = FileBlockDevice.open(cow, false)) {
            CowHeader header = CowAreaReader.readHeader(dev);
            CowTable.count(dev, header);
            return DumpJson.write(DISCARD, cow.toString(), dev, header);
        }
    }

    private static final PrintStream DISCARD = new PrintStream(OutputStream.nullOutputStream());

    /**
     * The baseline: each area read with one positional read into a direct buffer, its records
     * summed up to the end marker. Nothing can load the table with less work.
     *
     * @return the same checksum as {@link #store()}
     */
    @Benchmark
    public long raw() throws IOException {
        return rawLoad(cow, chunkSize);
    }

    static long rawLoad(Path cow, int chunkSize) throws IOException {
        int epa = CowFormat.exceptionsPerArea(chunkSize);
        int chunkBytes = chunkSize << CowFormat.SECTOR_SHIFT;
        ByteBuffer area = ByteBuffer.allocateDirect(chunkBytes).order(ByteOrder.LITTLE_ENDIAN);
        long sum = 0;
        try (FileChannel ch = FileChannel.open(cow, StandardOpenOption.READ)) {
            for (long a = 0; ; a++) {
                long at = CowFormat.areaLocation(epa, a) * chunkBytes;
                area.clear();
                while (area.hasRemaining()) {
                    if (ch.read(area, at + area.position()) < 0) {
                        throw new IOException("area " + a + " is past the end of " + cow);
                    }
                }
                for (int off = 0; off < chunkBytes; off += CowFormat.DISK_EXCEPTION_SIZE) {
                    long n = area.getLong(off + 8);
                    if (n == 0) {
                        return sum;
                    }
                    sum += area.getLong(off) ^ n;
                }
            }
        }
    }

    private static void check(MetadataState state) {
        if (state != MetadataState.VALID) {
            throw new IllegalStateException("metadata " + state);
        }
    }
}
