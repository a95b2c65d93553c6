package dev.snapstore.bench;

import dev.snapstore.cow.CowFormat;
import dev.snapstore.engine.Origin;
import dev.snapstore.engine.Snapshot;
import dev.snapstore.spi.FileBlockDevice;
import dev.snapstore.spi.StoreTypes;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.TimeUnit;
import java.util.function.LongUnaryOperator;
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
 * Export and merge of a persistent snapshot, against raw copies of the same bytes.
 *
 * <p>The scene: a {@value #ORIGIN_MIB} MiB origin full of data, and a kernel-format {@code P} COW
 * whose snapshot differs from it in the first MiB of every four ({@value #CHANGED_MIB} MiB of
 * exceptions, written in that order, so each MiB is one run of consecutive exceptions).
 *
 * <p>{@code export}: the whole snapshot device read front to back in 1 MiB requests through
 * {@link Snapshot#read}; {@code exportRaw}: the origin file read the same way with a
 * {@link FileChannel}. {@code merge}: {@link Snapshot#startMerge()} and {@link Snapshot#mergeAll()}
 * on fresh copies of the files; {@code mergeRaw}: the same runs copied COW to origin with a
 * {@link FileChannel}, newest first as the merge does, and one {@code fdatasync} at the end.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class ExportMergeBench {

    static final int ORIGIN_MIB = 256;
    static final int CHANGED_MIB = ORIGIN_MIB / 4;
    private static final int IO = 1 << 20;

    /** Chunk size in KiB. */
    @Param({"4", "64"})
    public int chunkKiB;

    private Path pristineOrigin;
    private Path pristineCow;
    private ByteBuffer buffer;

    /**
     * Bytes moved by one export shot.
     *
     * @return the snapshot's size
     */
    public static long exportBytes() {
        return (long) ORIGIN_MIB << 20;
    }

    /**
     * Bytes moved by one merge shot.
     *
     * @return the exceptions' data
     */
    public static long mergeBytes() {
        return (long) CHANGED_MIB << 20;
    }

    /** Makes (or finds) the pristine origin and COW. */
    @Setup(Level.Trial)
    public void setupTrial() throws IOException {
        int chunkSectors = chunkKiB * 2;
        long perMib = 1024 / chunkKiB;
        LongUnaryOperator old = i -> (i / perMib) * 4 * perMib + i % perMib;
        pristineOrigin = Images.plain("export-origin.img", exportBytes(), true);
        pristineCow = Images.cow("export-" + chunkKiB + ".cow", chunkSectors, CHANGED_MIB * perMib, old, true);
        buffer = ByteBuffer.allocateDirect(IO);
    }

    /** Export state: the snapshot over the pristine files, which an export never changes. */
    @State(Scope.Benchmark)
    public static class Exporting {
        Origin origin;
        Snapshot snapshot;
        FileBlockDevice originDevice;
        FileBlockDevice cowDevice;

        /** Loads the snapshot. */
        @Setup(Level.Trial)
        public void open(ExportMergeBench b) throws Exception {
            originDevice = FileBlockDevice.open(b.pristineOrigin, false);
            cowDevice = FileBlockDevice.open(b.pristineCow, false);
            origin = new Origin(originDevice);
            snapshot = origin.createSnapshot(
                    StoreTypes.load(), "P", Integer.toString(b.chunkKiB * 2), cowDevice, originDevice.sizeInSectors());
            snapshot.activate();
        }

        /** Closes the snapshot and the files. */
        @TearDown(Level.Trial)
        public void close() throws IOException {
            origin.close();
            originDevice.close();
            cowDevice.close();
        }
    }

    /**
     * The whole snapshot device through the engine.
     *
     * @param e the loaded snapshot
     * @return a byte of the last request
     */
    @Benchmark
    public long export(Exporting e) throws IOException {
        long sectors = e.snapshot.sizeInSectors();
        for (long s = 0; s < sectors; s += IO >>> 9) {
            buffer.clear();
            e.snapshot.read(s, buffer);
        }
        return buffer.get(0);
    }

    /**
     * The same number of bytes straight from the origin file.
     *
     * @return a byte of the last request
     */
    @Benchmark
    public long exportRaw() throws IOException {
        try (FileChannel ch = FileChannel.open(pristineOrigin, StandardOpenOption.READ)) {
            long size = ch.size();
            for (long at = 0; at < size; at += IO) {
                buffer.clear();
                while (buffer.hasRemaining()) {
                    if (ch.read(buffer, at + buffer.position()) < 0) {
                        throw new IOException("short origin");
                    }
                }
            }
        }
        return buffer.get(0);
    }

    /** Merge state: fresh copies of the pristine files for every shot, since a merge changes both. */
    @State(Scope.Benchmark)
    public static class Merging {
        Path originFile;
        Path cowFile;
        FileBlockDevice originDevice;
        FileBlockDevice cowDevice;
        Origin origin;

        /** Copies the files; not timed. */
        @Setup(Level.Iteration)
        public void copy(ExportMergeBench b) throws IOException {
            originFile = Images.dir().resolve("merge-origin.img");
            cowFile = Images.dir().resolve("merge-" + b.chunkKiB + ".cow");
            Files.copy(b.pristineOrigin, originFile, StandardCopyOption.REPLACE_EXISTING);
            Files.copy(b.pristineCow, cowFile, StandardCopyOption.REPLACE_EXISTING);
        }

        /** Closes what the shot opened and deletes the copies. */
        @TearDown(Level.Iteration)
        public void close() throws IOException {
            if (origin != null) {
                origin.close();
                originDevice.close();
                cowDevice.close();
                origin = null;
            }
            Files.deleteIfExists(originFile);
            Files.deleteIfExists(cowFile);
        }
    }

    /**
     * Loads the snapshot from the fresh copies and merges it completely. Loading takes a few
     * milliseconds next to the merge's flushes; it is inside the shot so that nothing but the copy
     * happens in the untimed setup.
     *
     * @param m fresh copies of the files
     * @return chunks merged
     */
    @Benchmark
    public long merge(Merging m) throws Exception {
        m.originDevice = FileBlockDevice.open(m.originFile, true);
        m.cowDevice = FileBlockDevice.open(m.cowFile, true);
        m.origin = new Origin(m.originDevice);
        Snapshot snapshot = m.origin.createSnapshot(
                StoreTypes.load(), "P", Integer.toString(chunkKiB * 2), m.cowDevice, m.originDevice.sizeInSectors());
        snapshot.startMerge();
        long merged = snapshot.mergeAll();
        if (!snapshot.isMergeFinished()) {
            throw new IllegalStateException("merge stopped after " + merged + " chunks");
        }
        return merged;
    }

    /**
     * The same data copied with FileChannel, newest MiB first, then one fdatasync.
     *
     * @param m fresh copies of the files
     * @return bytes copied
     */
    @Benchmark
    public long mergeRaw(Merging m) throws IOException {
        int chunkBytes = chunkKiB << 10;
        int epa = CowFormat.exceptionsPerArea(chunkKiB * 2);
        long perMib = IO / chunkBytes;
        long copied = 0;
        try (FileChannel cow = FileChannel.open(m.cowFile, StandardOpenOption.READ);
                FileChannel org = FileChannel.open(m.originFile, StandardOpenOption.WRITE)) {
            for (long mib = CHANGED_MIB - 1; mib >= 0; mib--) {
                long first = mib * perMib;
                // One MiB never straddles an area: areas hold a whole number of MiB at these sizes.
                long from = Images.newChunk(epa, first) * chunkBytes;
                buffer.clear();
                while (buffer.hasRemaining()) {
                    cow.read(buffer, from + buffer.position());
                }
                buffer.flip();
                long to = mib * 4 * IO;
                while (buffer.hasRemaining()) {
                    org.write(buffer, to + buffer.position());
                }
                copied += IO;
            }
            org.force(false);
        }
        return copied;
    }
}
