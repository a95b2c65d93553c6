package dev.snapstore.bench;

import dev.snapstore.cow.CowFormat;
import dev.snapstore.cow.CowHeader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.function.LongUnaryOperator;

/**
 * Builds the files the benchmarks run on, straight in the kernel's COW format (the way a kernel
 * would have left them), so that a 10-million-exception COW takes seconds to make instead of hours
 * of copy-on-write with a flush per commit.
 *
 * <p>Files are made once per directory and reused by every benchmark fork: a file is written under
 * a temporary name and renamed into place, so a half-written file is never taken for a finished
 * one. Data chunks are left sparse unless asked for.
 */
public final class Images {

    /** Where the benchmark files live: {@code -Dsnapstore.bench.dir}, else the JVM's temp dir. */
    public static Path dir() {
        String dir = System.getProperty("snapstore.bench.dir");
        Path path = dir != null ? Path.of(dir) : Path.of(System.getProperty("java.io.tmpdir"), "snapstore-bench");
        try {
            return Files.createDirectories(path);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Old chunk of the {@code i}-th exception: every other chunk, so no two exceptions form a run. */
    public static final LongUnaryOperator SCATTERED = i -> 2 * i;
    /** Old chunk of the {@code i}-th exception: consecutive, the sequential-write case. */
    public static final LongUnaryOperator IN_RUNS = i -> i;

    /** The origin chunks {@link #RANDOM} spreads over: 2<sup>25</sup>, 128 GiB at 4 KiB. */
    public static final long RANDOM_ORIGIN_CHUNKS = 1L << 25;

    /**
     * Old chunk of the {@code i}-th exception in the order random writes leave in a kernel COW: a
     * pseudo-random permutation of the origin's chunks (an odd multiplier is a bijection modulo a
     * power of two), so no two form a run and nothing is sorted. For up to {@link
     * #RANDOM_ORIGIN_CHUNKS} exceptions.
     */
    public static final LongUnaryOperator RANDOM = i -> (i * 0x9E3779B97F4A7C15L) & (RANDOM_ORIGIN_CHUNKS - 1);

    private Images() {}

    /**
     * The COW chunk the {@code i}-th exception of a store gets when chunks are allocated in order
     * from a new COW: the kernel's {@code next_free}, which skips the header and each metadata area.
     *
     * @param exceptionsPerArea records per area
     * @param i the exception's index in table order
     * @return its new chunk
     */
    public static long newChunk(int exceptionsPerArea, long i) {
        return CowFormat.areaLocation(exceptionsPerArea, i / exceptionsPerArea) + 1 + i % exceptionsPerArea;
    }

    /**
     * A persistent COW holding {@code count} exceptions, the {@code i}-th for origin chunk
     * {@code old.applyAsLong(i)}, allocated in order; data chunks are holes.
     *
     * @param name the file name inside {@link #dir()}
     * @param chunkSize the chunk size in sectors
     * @param count how many exceptions
     * @param old the old chunk of each exception
     * @return the file
     * @throws IOException when it cannot be written
     */
    public static Path cow(String name, int chunkSize, long count, LongUnaryOperator old) throws IOException {
        return cow(name, chunkSize, count, old, false);
    }

    /**
     * As {@link #cow(String, int, long, LongUnaryOperator)}; when {@code withData}, every data chunk
     * is written too, each sector holding {@code ~sector}, so that reading the COW moves real bytes.
     *
     * @param name the file name inside {@link #dir()}
     * @param chunkSize the chunk size in sectors
     * @param count how many exceptions
     * @param old the old chunk of each exception
     * @param withData whether to write the data chunks
     * @return the file
     * @throws IOException when it cannot be written
     */
    public static Path cow(String name, int chunkSize, long count, LongUnaryOperator old, boolean withData)
            throws IOException {
        Path file = dir().resolve(name);
        int epa = CowFormat.exceptionsPerArea(chunkSize);
        int chunkBytes = chunkSize << CowFormat.SECTOR_SHIFT;
        // The COW ends after its last data chunk, as a kernel COW does (check reports a record past it).
        long endBytes = (count == 0 ? CowFormat.areaLocation(epa, 0) + 1 : newChunk(epa, count - 1) + 1) * chunkBytes;
        if (Files.exists(file)) {
            // Files made before this rule ended at their last area: extend them in place.
            if (Files.size(file) < endBytes) {
                try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
                    extend(ch, endBytes);
                }
            }
            return file;
        }
        Path tmp = dir().resolve(name + ".tmp");
        try (FileChannel ch = FileChannel.open(
                tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
            ByteBuffer header = ByteBuffer.allocate(chunkBytes);
            header.put(CowHeader.of(1, CowFormat.SNAPSHOT_DISK_VERSION, chunkSize)
                            .encode())
                    .clear();
            ch.write(header, 0);
            ByteBuffer area = ByteBuffer.allocateDirect(chunkBytes).order(ByteOrder.LITTLE_ENDIAN);
            long i = 0;
            // One area past the last full one: it holds the end marker (all zero), as in a kernel COW.
            for (long a = 0; a <= count / epa; a++) {
                area.clear();
                for (int r = 0; r < epa; r++, i++) {
                    boolean live = i < count;
                    area.putLong(r * CowFormat.DISK_EXCEPTION_SIZE, live ? old.applyAsLong(i) : 0);
                    area.putLong(r * CowFormat.DISK_EXCEPTION_SIZE + 8, live ? newChunk(epa, i) : 0);
                }
                ch.write(area, CowFormat.areaLocation(epa, a) * chunkBytes);
            }
            if (withData) {
                writeData(ch, epa, chunkBytes, count);
            }
            extend(ch, endBytes);
        }
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
        return file;
    }

    /** Makes the file {@code bytes} long, sparse, unless it is longer (truncate only shrinks a file). */
    private static void extend(FileChannel ch, long bytes) throws IOException {
        if (ch.size() < bytes) {
            ch.write(ByteBuffer.allocate(1), bytes - 1);
        }
    }

    /** The data chunks between the areas, in pieces of at most 1 MiB. */
    private static void writeData(FileChannel ch, int epa, int chunkBytes, long count) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocateDirect(Math.max(chunkBytes, 1 << 20));
        for (long first = 0; first < count; first += epa) {
            // An area's data chunks follow it back to back.
            long from = newChunk(epa, first) * chunkBytes;
            long bytes = Math.min(epa, count - first) * chunkBytes;
            for (long at = from; at < from + bytes; at += buffer.capacity()) {
                buffer.clear().limit((int) Math.min(buffer.capacity(), from + bytes - at));
                for (int s = 0; s < buffer.limit(); s += 512) {
                    buffer.putLong(s, ~((at + s) >>> 9));
                }
                while (buffer.hasRemaining()) {
                    ch.write(buffer, at + buffer.position());
                }
            }
        }
    }

    /**
     * A file of {@code bytes} bytes; when {@code filled}, every 512-byte sector holds its own number
     * so that reads must really move data, otherwise sparse.
     *
     * @param name the file name inside {@link #dir()}
     * @param bytes the size
     * @param filled whether to write every byte
     * @return the file
     * @throws IOException when it cannot be written
     */
    public static Path plain(String name, long bytes, boolean filled) throws IOException {
        Path file = dir().resolve(name);
        if (Files.exists(file) && Files.size(file) == bytes) {
            return file;
        }
        Path tmp = dir().resolve(name + ".tmp");
        try (FileChannel ch = FileChannel.open(
                tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
            if (filled) {
                ByteBuffer buffer = ByteBuffer.allocateDirect(1 << 20);
                for (long at = 0; at < bytes; at += buffer.capacity()) {
                    buffer.clear();
                    for (int s = 0; s < buffer.capacity(); s += 512) {
                        buffer.putLong(s, (at + s) >>> 9);
                    }
                    buffer.limit((int) Math.min(buffer.capacity(), bytes - at));
                    while (buffer.hasRemaining()) {
                        ch.write(buffer, at + buffer.position());
                    }
                }
            }
            ch.truncate(bytes);
            if (ch.size() < bytes) {
                ch.write(ByteBuffer.allocate(1), bytes - 1);
            }
        }
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        return file;
    }

    /**
     * A fresh, empty (sparse) file of {@code bytes} bytes, replacing any old one.
     *
     * @param name the file name inside {@link #dir()}
     * @param bytes the size
     * @return the file
     * @throws IOException when it cannot be made
     */
    public static Path fresh(String name, long bytes) throws IOException {
        Path file = dir().resolve(name);
        Files.deleteIfExists(file);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.allocate(1), bytes - 1);
        }
        return file;
    }
}
