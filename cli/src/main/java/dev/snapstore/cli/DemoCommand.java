package dev.snapstore.cli;

import dev.snapstore.dm.Negotiation;
import dev.snapstore.dm.Negotiator;
import dev.snapstore.dm.TargetException;
import dev.snapstore.dm.TargetVersions;
import dev.snapstore.engine.Origin;
import dev.snapstore.engine.Snapshot;
import dev.snapstore.engine.SnapshotTargetException;
import dev.snapstore.spi.BlockDevice;
import dev.snapstore.spi.FileBlockDevice;
import dev.snapstore.spi.KernelLog;
import dev.snapstore.spi.StoreTypes;
import java.io.IOException;
import java.io.PrintStream;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.stream.Stream;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Options;

/**
 * {@code snapstore demo}: a guided tour on image files in a temporary folder, offline, in a few
 * seconds: negotiation, copy-on-write, PO overflow against P invalidation, merge.
 */
final class DemoCommand implements Command {

    static final int ORIGIN_SECTORS = 8192;
    static final int CHUNK = 8;

    private final StoreTypes types;

    DemoCommand(StoreTypes types) {
        this.types = types;
    }

    @Override
    public String name() {
        return "demo";
    }

    @Override
    public String synopsis() {
        return "";
    }

    @Override
    public String summary() {
        return "show what snapstore does, on image files in a temporary folder (deleted at the end)";
    }

    @Override
    public Options options() {
        return new Options();
    }

    @Override
    public String footer() {
        return "Needs no arguments, no kernel and no network. Sector s of an image written with tag T holds"
                + " \"T <s as 12 digits>\", as in the kernel fixtures.";
    }

    @Override
    public ExitStatus run(CommandLine line, Io io) throws CliException {
        Path dir;
        try {
            // In memory where Linux offers it: the stores flush (fdatasync) after every commit, as the
            // kernel does, and throwaway images need not wait for a disk.
            Path shm = Path.of("/dev/shm");
            dir = Files.isDirectory(shm) && Files.isWritable(shm)
                    ? Files.createTempDirectory(shm, "snapstore-demo-")
                    : Files.createTempDirectory("snapstore-demo-");
        } catch (IOException e) {
            throw CliException.usage("demo: cannot create a temporary folder (" + Arguments.describe(e) + ")");
        }
        try {
            tour(io.out(), dir);
            return ExitStatus.OK;
        } catch (IOException | TargetException e) {
            throw new CliException(ExitStatus.INTERNAL, "demo: unexpected failure: " + e.getMessage(), e);
        } finally {
            deleteTree(dir);
            io.out().println();
            io.out().println("removed " + dir);
        }
    }

    private void tour(PrintStream out, Path dir) throws IOException, SnapshotTargetException, TargetException {
        out.println("snapstore demo: the kernel's dm-snapshot exception stores in Java, on image files in " + dir);

        out.println();
        out.println("1. Negotiation: which type word to ask a kernel for ('dmsetup targets' -> Negotiator)");
        for (String version : new String[] {"1.14.0", "1.16.0"}) {
            String targets = "snapshot-merge   v1.5.0\nsnapshot-origin  v1.9.0\nsnapshot         v" + version + "\n";
            Negotiation n = Negotiator.negotiate(TargetVersions.parse(targets), false, false);
            out.printf("   snapshot v%s -> %-2s  %s%n", version, n.typeWord(), n.reason());
        }

        Path originPath = dir.resolve("origin.img");
        Path cowPath = dir.resolve("cow.img");
        writePattern(originPath, "ORIGIN", ORIGIN_SECTORS);
        sparse(cowPath, 2048);
        out.println();
        out.println("2. Copy-on-write: origin.img = " + ORIGIN_SECTORS
                + " sectors of 'ORIGIN <sector>', cow.img = 2048 zero sectors");
        out.println("   table: 0 " + ORIGIN_SECTORS + " snapshot origin.img cow.img P " + CHUNK);
        try (FileBlockDevice originFile = FileBlockDevice.open(originPath, true);
                FileBlockDevice cowFile = FileBlockDevice.open(cowPath, true)) {
            Origin origin = new Origin(originFile, KernelLog.DISCARD);
            Snapshot snap = origin.createSnapshot(types, "P", String.valueOf(CHUNK), cowFile, ORIGIN_SECTORS);
            snap.activate();
            out.println("   activated (new COW: header chunk + metadata area 0)   status: " + snap.status());
            origin.write(0, pattern("W1:origin", 0, CHUNK));
            out.println("   wrote 'W1:origin' to origin sectors 0-7 (the snapshot gets a copy of chunk 0 first)");
            out.println("     origin   reads: '" + head(origin, 0) + "'");
            out.println("     snapshot reads: '" + head(snap, 0) + "'");
            out.println("   status: " + snap.status());
            snap.write(16, pattern("W2:snap", 16, CHUNK));
            out.println("   wrote 'W2:snap' to snapshot sectors 16-23 (the origin does not change)");
            out.println("     origin   reads: '" + head(origin, 16) + "'");
            out.println("     snapshot reads: '" + head(snap, 16) + "'");
            out.println(
                    "   status: " + snap.status() + "   table status: " + snap.tableStatus("origin.img", "cow.img"));

            out.println();
            out.println(
                    "3. A full 64-sector COW (8 chunks: header, area 0, room for 6 exceptions), full-chunk snapshot writes");
            for (String type : new String[] {"PO", "P"}) {
                overflow(out, types, dir, type);
            }

            out.println();
            out.println(
                    "4. Merge the snapshot of step 2 back into the origin (snapshot-merge), newest exceptions first");
            out.println("   before: origin sector 0 '" + head(origin, 0) + "', sector 16 '" + head(origin, 16) + "'");
            snap.startMerge();
            out.println("   merge started    status: " + snap.status());
            int n;
            while ((n = snap.mergeStep()) > 0) {
                out.println("   merged " + n + " chunk" + (n == 1 ? " " : "s") + "  status: " + snap.status());
            }
            out.println("   merge finished   status: " + snap.status() + " (allocated == metadata: the COW is empty)");
            out.println("   after (= the snapshot):  origin sector 0 '" + head(origin, 0) + "', sector 16 '"
                    + head(origin, 16) + "'");
            snap.close();
        }
    }

    private void overflow(PrintStream out, StoreTypes types, Path dir, String type)
            throws IOException, SnapshotTargetException {
        Path originPath = dir.resolve("origin-" + type + ".img");
        Path cowPath = dir.resolve("cow-" + type + ".img");
        writePattern(originPath, "ORIGIN", ORIGIN_SECTORS);
        sparse(cowPath, 64);
        out.println("   table: 0 " + ORIGIN_SECTORS + " snapshot origin.img cow.img " + type + " " + CHUNK);
        try (FileBlockDevice originFile = FileBlockDevice.open(originPath, true);
                FileBlockDevice cowFile = FileBlockDevice.open(cowPath, true)) {
            Origin origin = new Origin(originFile, KernelLog.DISCARD);
            Snapshot snap = origin.createSnapshot(types, type, String.valueOf(CHUNK), cowFile, ORIGIN_SECTORS);
            snap.activate();
            for (int k = 1; k <= 8; k++) {
                String result;
                try {
                    snap.write((long) k * CHUNK, pattern("W" + k + ":snap", k * CHUNK, CHUNK));
                    result = "ok                ";
                } catch (IOException e) {
                    result = "Input/output error";
                }
                out.printf("     %-2s write chunk %d: %s status: %s%n", type, k, result, snap.status());
            }
            out.println("     " + type
                    + (type.equals("PO")
                            ? ": the store is full, the snapshot stays readable; the overflow is not written to the COW"
                            : ": the snapshot is invalidated, and the COW header says so (valid = 0)"));
            snap.close();
        }
    }

    static ByteBuffer pattern(String tag, long firstSector, int sectors) {
        ByteBuffer b = ByteBuffer.allocate(sectors * 512);
        for (int i = 0; i < sectors; i++) {
            b.put(sector(tag, firstSector + i));
        }
        return b.flip();
    }

    /** One sector of the fixtures' pattern: {@code "%s %012d"} space-padded to 511 bytes and a newline. */
    static byte[] sector(String tag, long sector) {
        byte[] s = new byte[512];
        Arrays.fill(s, (byte) ' ');
        byte[] text = String.format("%s %012d", tag, sector).getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(text, 0, s, 0, text.length);
        s[511] = '\n';
        return s;
    }

    private static String head(BlockDevice device, long sector) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(512);
        device.read(sector, b);
        return new String(b.array(), 0, 20, StandardCharsets.US_ASCII);
    }

    private static void writePattern(Path path, String tag, int sectors) throws IOException {
        try (var out = Files.newOutputStream(path)) {
            for (int s = 0; s < sectors; s++) {
                out.write(sector(tag, s));
            }
        }
    }

    private static void sparse(Path path, long sectors) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(path.toFile(), "rw")) {
            f.setLength(sectors * 512);
        }
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (IOException | UncheckedIOException e) {
            // best effort: a temporary folder
        }
    }
}
