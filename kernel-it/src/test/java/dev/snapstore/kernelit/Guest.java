package dev.snapstore.kernelit;

import static org.junit.jupiter.api.Assertions.assertNotNull;

import dev.snapstore.dm.DeviceMapper;
import dev.snapstore.dm.DeviceMapperException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * What the tests know about the guest kernel of kernel/run.sh: its scratch disks (found by serial
 * number, as the order of /dev/vd* is the kernel's), sector I/O on block devices, and cleanup.
 */
final class Guest {

    static final int SECTOR = 512;

    private Guest() {}

    /** Fails unless the test runs inside the harness kernel (the Failsafe fork's java is kernel/jdk/bin/java). */
    static String requireKernel() {
        String release = System.getenv("SNAPSTORE_KERNEL");
        assertNotNull(
                release,
                "not inside the harness kernel: run these tests through Failsafe (mvn verify), "
                        + "whose java is kernel/jdk/bin/java");
        return release;
    }

    /** The scratch disk with serial scratchN: 1 GiB of zeroes at boot, the guest's to use. */
    static Path scratch(int n) throws IOException {
        try (var disks = Files.list(Path.of("/sys/block"))) {
            for (Path d : (Iterable<Path>) disks::iterator) {
                Path serial = d.resolve("serial");
                if (Files.exists(serial) && Files.readString(serial).strip().equals("scratch" + n)) {
                    return Path.of("/dev").resolve(d.getFileName().toString());
                }
            }
        }
        throw new IOException("no scratch disk " + n + " (SNAPSTORE_KERNEL_SCRATCH too small?)");
    }

    /** The kernel fixtures' pattern: sector s holds "TAG %012d" space-padded to 511 bytes and a newline. */
    static byte[] pattern(String tag, long sector, int count) {
        byte[] b = new byte[count * SECTOR];
        for (int i = 0; i < count; i++) {
            byte[] s = String.format("%s %012d", tag, sector + i).getBytes(StandardCharsets.US_ASCII);
            Arrays.fill(b, i * SECTOR, (i + 1) * SECTOR - 1, (byte) ' ');
            System.arraycopy(s, 0, b, i * SECTOR, s.length);
            b[(i + 1) * SECTOR - 1] = '\n';
        }
        return b;
    }

    /** Writes at a sector with one write() and flushes to the device. */
    static void write(Path device, long sector, byte[] data) throws IOException {
        try (FileChannel c = FileChannel.open(device, StandardOpenOption.WRITE)) {
            ByteBuffer buf = ByteBuffer.wrap(data);
            long pos = sector * SECTOR;
            while (buf.hasRemaining()) {
                pos += c.write(buf, pos);
            }
            c.force(true);
        }
    }

    /** Reads sectors (a fresh open, so nothing older than the last flush is cached for this reader). */
    static byte[] read(Path device, long sector, int count) throws IOException {
        try (FileChannel c = FileChannel.open(device, StandardOpenOption.READ)) {
            ByteBuffer buf = ByteBuffer.allocate(count * SECTOR);
            long pos = sector * SECTOR;
            while (buf.hasRemaining()) {
                int n = c.read(buf, pos);
                if (n < 0) {
                    throw new IOException("end of " + device + " at byte " + pos);
                }
                pos += n;
            }
            return buf.array();
        }
    }

    /** Removes the named devices that exist, in the order given (users before the devices they use). */
    static void removeAll(DeviceMapper dm, String... names) throws DeviceMapperException {
        for (String name : names) {
            if (dm.exists(name)) {
                dm.remove(name);
            }
        }
    }

    /** What a {@link #snapstore} process printed, and its exit status. */
    record CliRun(int status, String out, String err) {}

    /**
     * Runs the CLI in its own process, as an operator would, on this JVM's class path; the quick
     * compiler, the serial collector and no perf data keep its start-up short under TCG.
     */
    static CliRun snapstore(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:TieredStopAtLevel=1",
                "-XX:+UseSerialGC",
                "-XX:-UsePerfData",
                "-cp",
                System.getProperty("java.class.path"),
                "dev.snapstore.cli.Main"));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        return new CliRun(p.waitFor(), out, err);
    }
}
