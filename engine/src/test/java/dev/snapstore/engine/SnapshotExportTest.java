package dev.snapstore.engine;

import static dev.snapstore.engine.SnapshotTest.read;
import static dev.snapstore.engine.SnapshotTest.write;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.snapstore.spi.FileBlockDevice;
import dev.snapstore.spi.KernelLog;
import dev.snapstore.spi.MemoryBlockDevice;
import dev.snapstore.spi.StoreTypes;
import dev.snapstore.testkit.FaultInjectingBlockDevice;
import dev.snapstore.testkit.FaultInjectingBlockDevice.Kind;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@link SnapshotExport}: the same bytes as reading the snapshot, through buffers or kernel copies. */
class SnapshotExportTest {

    static final StoreTypes TYPES = StoreTypes.load();

    @TempDir
    Path dir;

    static void scatter(Origin origin, Snapshot snap, long sectors, int cs, long seed, int writes) throws Exception {
        Random r = new Random(seed);
        for (int i = 0; i < writes; i++) {
            long first = r.nextInt((int) sectors);
            int n = (int) Math.min(1 + r.nextInt(3 * cs), sectors - first);
            write(r.nextBoolean() ? origin : snap, first, "w" + i, n);
        }
    }

    /** Memory devices: the default transfer through a buffer, into a stream's channel. */
    @ParameterizedTest
    @CsvSource({"P, 8, 509, 1, 80", "N, 1, 300, 2, 200", "P, 16, 140000, 3, 60", "P, 8, 1024, 4, 0"})
    void givesWhatReadingGives(String type, int cs, long sectors, long seed, int writes) throws Exception {
        Origin origin = new Origin(SnapshotTest.origin(sectors), KernelLog.DISCARD);
        Snapshot snap =
                origin.createSnapshot(TYPES, type, String.valueOf(cs), new MemoryBlockDevice("cow", 32768), sectors);
        snap.activate();
        scatter(origin, snap, sectors, cs, seed, writes);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        AtomicLong progress = new AtomicLong();
        SnapshotExport.copy(snap, Channels.newChannel(out), progress::addAndGet);
        assertArrayEquals(read(snap, 0, (int) sectors), out.toByteArray());
        assertEquals(sectors << 9, progress.get());
    }

    /** Image files, read-only as the CLI opens them: kernel copies into a file, at its position. */
    @Test
    void filesGetKernelCopies() throws Exception {
        long sectors = 8191;
        Path originPath = dir.resolve("origin.img");
        Path cowPath = dir.resolve("cow.img");
        Files.write(originPath, read(SnapshotTest.origin(sectors), 0, (int) sectors));
        Files.write(cowPath, new byte[16 << 20]);
        byte[] view;
        try (FileBlockDevice o = FileBlockDevice.open(originPath, true);
                FileBlockDevice c = FileBlockDevice.open(cowPath, true)) {
            Origin origin = new Origin(o, KernelLog.DISCARD);
            Snapshot snap = origin.createSnapshot(TYPES, "P", "8", c, sectors);
            snap.activate();
            scatter(origin, snap, sectors, 8, 5, 300);
            view = read(snap, 0, (int) sectors);
            snap.close();
        }
        try (FileBlockDevice o = FileBlockDevice.open(originPath, false);
                FileBlockDevice c = FileBlockDevice.open(cowPath, false);
                FileChannel out =
                        FileChannel.open(dir.resolve("out.img"), StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            Origin origin = new Origin(o, KernelLog.DISCARD);
            Snapshot snap = origin.createSnapshot(TYPES, "P", "8", new ScratchOverlay(c), sectors);
            snap.activate();
            out.write(ByteBuffer.wrap(new byte[] {42}));
            SnapshotExport.copy(snap, out, n -> {});
        }
        byte[] got = Files.readAllBytes(dir.resolve("out.img"));
        assertEquals(42, got[0]);
        assertArrayEquals(view, Arrays.copyOfRange(got, 1, got.length));
    }

    @Test
    void refusesAsReadingDoes() throws Exception {
        Origin origin = new Origin(SnapshotTest.origin(512), KernelLog.DISCARD);
        MemoryBlockDevice cow = new MemoryBlockDevice("cow", 8192);
        Snapshot merging = origin.createSnapshot(TYPES, "P", "8", cow, 512);
        merging.activate();
        merging.startMerge();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertThrows(SnapshotIOException.class, () -> SnapshotExport.copy(merging, Channels.newChannel(out), n -> {}));

        Origin other = new Origin(SnapshotTest.origin(512), KernelLog.DISCARD);
        Snapshot inactive = other.createSnapshot(TYPES, "N", "8", new MemoryBlockDevice("n", 8192), 512);
        assertThrows(
                IllegalStateException.class, () -> SnapshotExport.copy(inactive, Channels.newChannel(out), n -> {}));
    }

    /** A device failure names the snapshot's byte where the failing transfer started. */
    @Test
    void aReadFailureSaysWhere() throws Exception {
        FaultInjectingBlockDevice originDevice = FaultInjectingBlockDevice.passThrough(SnapshotTest.origin(512));
        Origin origin = new Origin(originDevice, KernelLog.DISCARD);
        Snapshot snap = origin.createSnapshot(TYPES, "N", "8", new MemoryBlockDevice("n", 8192), 512);
        snap.activate();
        write(snap, 0, "s", 16); // chunks 0 and 1 in the COW, the rest from the origin
        originDevice.failIf(e -> e.kind() == Kind.READ);
        SnapshotExport.ReadException e = assertThrows(
                SnapshotExport.ReadException.class,
                () -> SnapshotExport.copy(snap, Channels.newChannel(new ByteArrayOutputStream()), n -> {}));
        assertEquals(16 * 512, e.offset());
    }
}
