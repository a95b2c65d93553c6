package dev.snapstore.engine;

import static dev.snapstore.engine.SnapshotTest.read;
import static dev.snapstore.engine.SnapshotTest.write;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.snapstore.spi.KernelLog;
import dev.snapstore.spi.MemoryBlockDevice;
import dev.snapstore.testkit.FaultInjectingBlockDevice;
import dev.snapstore.testkit.FaultInjectingBlockDevice.Kind;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link SnapshotExport}'s two transfer plans: into a file, origin transfers that run across short
 * COW stretches and are then patched; into anything else, one transfer per run. Both must give
 * {@link Snapshot#read}'s bytes at the target's position, whatever the layout.
 */
class SnapshotExportPlanTest {

    @TempDir
    Path dir;

    /** A snapshot over a memory origin with a random layout of COW chunks, and what reading it gives. */
    record Layout(Snapshot snap, long sectors, long window, long patch, String describe) {}

    static Layout layout(Random r) throws Exception {
        int cs = 8 << r.nextInt(8); // 4 KiB .. 512 KiB
        int chunks = 1 + r.nextInt(Math.max(1, 8192 / cs));
        long sectors = Math.max(1, (long) chunks * cs - (r.nextBoolean() ? r.nextInt(cs) : 0));
        long window = 8L << r.nextInt(9); // the export takes at least one chunk
        long patch =
                switch (r.nextInt(4)) {
                    case 0 -> 128; // the real limit, 64 KiB
                    case 1 -> (long) cs * (1 + r.nextInt(4));
                    case 2 -> Long.MAX_VALUE; // every stretch is patched
                    default -> 1; // none is
                };
        Origin origin = new Origin(SnapshotTest.origin(sectors), KernelLog.DISCARD);
        Snapshot snap = origin.createSnapshot(
                SnapshotExportTest.TYPES,
                "P",
                String.valueOf(cs),
                new MemoryBlockDevice("cow", (2L * chunks + 8) * cs),
                sectors);
        snap.activate();
        long last = (sectors - 1) / cs;
        double density = r.nextDouble();
        TreeSet<Long> picked = new TreeSet<>();
        for (long c = 0; c <= last; c++) {
            if (r.nextDouble() < density) {
                picked.add(c);
            }
        }
        // The edges: the first and last chunks, and both sides of each window edge.
        long perWindow = Math.max(window, cs) / cs;
        for (long c = 0; c <= last; c += perWindow) {
            if (r.nextBoolean()) {
                picked.add(c);
            }
            if (c > 0 && r.nextBoolean()) {
                picked.add(c - 1);
            }
        }
        if (r.nextBoolean()) {
            picked.add(last);
        }
        List<Long> order = new ArrayList<>(picked);
        if (r.nextBoolean()) {
            Collections.shuffle(order, r); // COW chunks out of order: runs of one chunk
        } // else in order: neighbours are neighbours in the COW too, long COW runs
        for (long c : order) {
            long first = c * cs;
            int n = (int) Math.min(cs, sectors - first);
            long at = first + r.nextInt(n);
            int count = 1 + r.nextInt((int) (first + n - at));
            // A snapshot write puts new bytes in the COW; an origin write keeps the old ones there
            // and changes the origin under them (an export that reads the origin there is wrong).
            write(r.nextBoolean() ? snap : origin, at, "w" + c, count);
        }
        String describe = "cs " + cs + ", sectors " + sectors + ", window " + window + ", patch " + patch
                + ", COW chunks " + order;
        return new Layout(snap, sectors, window, patch, describe);
    }

    @Property(tries = 200)
    void eitherPlanGivesWhatReadingGivesAtTheTargetsPosition(@ForAll long seed) throws Exception {
        Random r = new Random(seed);
        Layout l = layout(r);
        byte[] view = read(l.snap(), 0, (int) l.sectors());

        ByteArrayOutputStream stream = new ByteArrayOutputStream();
        SnapshotExport.copy(l.snap(), Channels.newChannel(stream), n -> {}, l.window(), l.patch());
        assertArrayEquals(view, stream.toByteArray(), l.describe());

        // A file with old bytes in it, written from a position that need not be 0 nor a sector's.
        Path file = Files.createTempFile("export", ".img");
        try {
            byte[] old = new byte[r.nextInt(view.length + 9000)];
            r.nextBytes(old);
            Files.write(file, old);
            long start = r.nextInt(old.length + 3000);
            long[] total = {0};
            try (FileChannel out = FileChannel.open(file, StandardOpenOption.WRITE)) {
                out.position(start);
                SnapshotExport.copy(l.snap(), out, n -> total[0] += n, l.window(), l.patch());
                assertEquals(start + view.length, out.position(), l.describe());
            }
            assertEquals(view.length, total[0]);
            byte[] expected = Arrays.copyOf(old, (int) Math.max(old.length, start + view.length));
            // Past the old end (a hole when the start lay beyond it) the file reads zeros, then the view.
            Arrays.fill(expected, old.length, expected.length, (byte) 0);
            System.arraycopy(view, 0, expected, (int) start, view.length);
            assertArrayEquals(expected, Files.readAllBytes(file), l.describe());
        } finally {
            Files.delete(file);
        }
    }

    /**
     * The plan, by the devices' reads (a memory device's transfer is reads through a buffer):
     * scattered short exceptions cost one origin transfer into a file, long COW runs are never
     * copied from the origin too, and a stream still gets one transfer per origin run.
     */
    @Test
    void aFileGetsOneOriginTransferAcrossShortStretches() throws Exception {
        FaultInjectingBlockDevice originDevice = FaultInjectingBlockDevice.passThrough(SnapshotTest.origin(1024));
        FaultInjectingBlockDevice cow = FaultInjectingBlockDevice.ofMemory("cow", 4096);
        Origin origin = new Origin(originDevice, KernelLog.DISCARD);
        Snapshot snap = origin.createSnapshot(SnapshotExportTest.TYPES, "N", "8", cow, 1024);
        snap.activate();
        for (long c : new long[] {50, 3, 10}) {
            write(snap, c * 8, "s", 8);
        }
        write(snap, 64 * 8, "long", 32 * 8); // chunks 64..95, one COW run of 128 KiB
        byte[] view = read(snap, 0, 1024);

        int[] stream = reads(originDevice, cow, () -> {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            SnapshotExport.copy(snap, Channels.newChannel(out), n -> {});
            assertArrayEquals(view, out.toByteArray());
        });
        // Origin runs 0-2, 4-9, 11-49, 51-63, 96-127; COW runs 3, 10, 50, 64-95.
        assertArrayEquals(new int[] {5, 4}, stream);

        Path file = dir.resolve("out.img");
        int[] patched = reads(originDevice, cow, () -> {
            try (FileChannel out = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
                SnapshotExport.copy(snap, out, n -> {});
            }
        });
        // Origin 0-63 (across 3, 10 and 50) and 96-127; the COW runs of 3 and 10 lie side by side on
        // the COW (50 came first), so one read takes both; 64-95 in place.
        assertArrayEquals(new int[] {2, 3}, patched);
        assertArrayEquals(view, Files.readAllBytes(file));
    }

    interface Export {
        void run() throws Exception;
    }

    static int[] reads(FaultInjectingBlockDevice origin, FaultInjectingBlockDevice cow, Export export)
            throws Exception {
        int o = origin.events().size();
        int c = cow.events().size();
        export.run();
        return new int[] {
            (int) origin.events().stream()
                    .skip(o)
                    .filter(e -> e.kind() == Kind.READ)
                    .count(),
            (int) cow.events().stream()
                    .skip(c)
                    .filter(e -> e.kind() == Kind.READ)
                    .count()
        };
    }

    /** An active P snapshot of 4096 sectors with 200 chunks written at places picked by {@code seed}. */
    private static Snapshot scattered(long seed) throws Exception {
        Origin origin = new Origin(SnapshotTest.origin(4096), KernelLog.DISCARD);
        Snapshot snap =
                origin.createSnapshot(SnapshotExportTest.TYPES, "P", "8", new MemoryBlockDevice("cow", 16384), 4096);
        snap.activate();
        SnapshotExportTest.scatter(origin, snap, 4096, 8, seed, 200);
        return snap;
    }

    /** A FIFO opened as a file cannot seek: it gets the in-order plan, and every byte in order. */
    @Test
    void aFifoGetsTheBytesInOrder() throws Exception {
        Snapshot snap = scattered(7);
        byte[] view = read(snap, 0, 4096);
        Path fifo = dir.resolve("fifo");
        assertEquals(0, new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor());
        CompletableFuture<byte[]> got = CompletableFuture.supplyAsync(() -> {
            try (InputStream in = Files.newInputStream(fifo)) {
                return in.readAllBytes();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        try (FileChannel out = FileChannel.open(fifo, StandardOpenOption.WRITE)) {
            SnapshotExport.copy(snap, out, n -> {});
        }
        assertArrayEquals(view, got.get());
    }

    /** {@code /dev/null} takes a seek but does not move: the in-order plan, and no failure. */
    @Test
    void devNullTakesEverything() throws Exception {
        Snapshot snap = scattered(8);
        long[] total = {0};
        try (WritableByteChannel out = FileChannel.open(Path.of("/dev/null"), StandardOpenOption.WRITE)) {
            out.write(ByteBuffer.wrap(new byte[] {1}));
            SnapshotExport.copy(snap, out, n -> total[0] += n);
        }
        assertEquals(4096 * 512, total[0]);
    }
}
