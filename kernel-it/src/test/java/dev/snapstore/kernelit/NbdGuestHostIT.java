package dev.snapstore.kernelit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.snapstore.testkit.ExternalTools;
import dev.snapstore.testkit.Hashes;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Issue 14's guest test, run on the host (Failsafe's "host" execution; the other kernel ITs run
 * inside the guest): {@code snapstore serve} serves a snapshot of an ext4 origin; a Linux guest
 * (kernel/run.sh --nbd) attaches it as a virtio disk through qemu's own NBD client, mounts it, writes
 * files (one of 3 MiB, crossing hundreds of 4 KiB chunks, written with fsync), syncs, unmounts and
 * powers off; serve stops on SIGTERM; then a second boot activates the COW file in the kernel's
 * dm-snapshot, e2fsck finds the filesystem clean and every file has the checksum it was written
 * with, while the origin file has not changed by a byte.
 */
class NbdGuestHostIT {

    private static final int CHUNK_SECTORS = 8;
    private static final Pattern CHECKSUM = Pattern.compile("([0-9a-f]{64})  \\./(.+)");
    private static final Pattern STATUS = Pattern.compile("0 (\\d+) snapshot (\\d+)/(\\d+) (\\d+)");

    private Path dir;
    private Path socketDir;
    private Process serve;

    @BeforeEach
    void folders() throws IOException {
        // -Dit.test=... overrides the executions' includes and excludes: inside the guest, leave it to the host's.
        Assumptions.assumeTrue(
                System.getenv("SNAPSTORE_KERNEL") == null,
                "runs on the host (Failsafe's host execution), not in a guest");
        // The guest sees the host's / read-only but has a /tmp of its own: the files it reads live in
        // target/. The socket is only qemu's (on the host), and /tmp keeps its path short.
        Path target = Files.createDirectories(Path.of("target"));
        dir = Files.createTempDirectory(target.toAbsolutePath(), "nbd-guest");
        socketDir = Files.createTempDirectory("nbd-guest");
    }

    @AfterEach
    void cleanUp() throws Exception {
        if (serve != null) {
            serve.destroyForcibly().waitFor();
        }
        for (Path d : new Path[] {dir, socketDir}) {
            if (d != null) {
                try (Stream<Path> files = Files.walk(d)) {
                    for (Path f : (Iterable<Path>) files.sorted(Comparator.reverseOrder())::iterator) {
                        Files.delete(f);
                    }
                }
            }
        }
    }

    @Test
    void aGuestWritesExt4ThroughServeAndTheKernelActivatesTheCowWithTheSameFiles() throws Exception {
        ExternalTools.require("qemu-system-x86_64", "qemu-system-x86");
        ExternalTools.require("cpio", "cpio");
        String mkfs = ExternalTools.require("mkfs.ext4", "e2fsprogs").toString();
        ExternalTools.require("e2fsck", "e2fsprogs"); // the guest runs the host's, chrooted in its /

        // The origin: 32 MiB of ext4 made from a folder, every inode table and the journal written
        // now (lazy init would have the guest's kernel write them in the background).
        Path seed = Files.createDirectories(dir.resolve("seed"));
        String hello = "hello from the origin\n";
        Files.writeString(seed.resolve("hello.txt"), hello);
        Files.write(seed.resolve("keep.bin"), random(1, 200_000));
        Path origin = dir.resolve("origin.img");
        ExternalTools.run(
                dir,
                mkfs,
                "-q",
                "-F",
                "-E",
                "lazy_itable_init=0,lazy_journal_init=0",
                "-d",
                seed.toString(),
                origin.toString(),
                "32M");
        String originSum = Hashes.sha256(Files.readAllBytes(origin));
        long originSectors = Files.size(origin) / Guest.SECTOR;
        Path cow = dir.resolve("s.cow");
        try (RandomAccessFile f = new RandomAccessFile(cow.toFile(), "rw")) {
            f.setLength(32 << 20); // no header: serve initialises it as the kernel's first activation would
        }

        // What the guest writes, and the checksums the snapshot's filesystem must show afterwards.
        Path payload = Files.createDirectories(dir.resolve("payload/nested")).getParent();
        byte[] big = random(2, (3 << 20) + 4321);
        Files.write(payload.resolve("big.bin"), big);
        Files.writeString(payload.resolve("small.txt"), "written by the guest over NBD\n");
        Files.write(payload.resolve("nested/deep.bin"), random(3, 70_000));
        String appended = "appended in the guest\n";
        Map<String, String> expected = new TreeMap<>(Map.of(
                "big.bin", Hashes.sha256(big),
                "small.txt", Hashes.sha256(Files.readAllBytes(payload.resolve("small.txt"))),
                "nested/deep.bin", Hashes.sha256(Files.readAllBytes(payload.resolve("nested/deep.bin"))),
                "hello.txt", Hashes.sha256((hello + appended).getBytes(StandardCharsets.UTF_8)),
                "keep.bin", Hashes.sha256(Files.readAllBytes(seed.resolve("keep.bin")))));

        Path socket = socketDir.resolve("nbd.sock");
        Path log = dir.resolve("serve.log");
        serve = ServeLauncher.start(
                log,
                "--origin",
                origin.toString(),
                "--cow",
                "s=" + cow,
                "--chunk-size",
                String.valueOf(CHUNK_SECTORS),
                "--socket",
                socket.toString());

        Path write = Files.writeString(
                dir.resolve("write.sh"),
                String.join(
                        "\n",
                        "set -eu",
                        "p=$1",
                        "dev=",
                        "for d in /sys/block/vd*; do [ \"$(cat \"$d/serial\")\" = nbd0 ] && dev=/dev/${d##*/}; done",
                        "[ -n \"$dev\" ] || { echo 'no disk with serial nbd0' >&2; exit 1; }",
                        "mkdir /tmp/fs",
                        "mount -t ext4 \"$dev\" /tmp/fs",
                        "dd if=\"$p/big.bin\" of=/tmp/fs/big.bin bs=1M conv=fsync 2>/dev/null",
                        "cp \"$p/small.txt\" /tmp/fs/small.txt",
                        "mkdir /tmp/fs/nested",
                        "cp \"$p/nested/deep.bin\" /tmp/fs/nested/deep.bin",
                        "printf '" + appended.strip() + "\\n' >> /tmp/fs/hello.txt",
                        "sync",
                        "umount /tmp/fs",
                        "echo WRITTEN",
                        ""));
        long t0 = System.nanoTime();
        String written =
                boot(List.of("--nbd", "nbd+unix:///s?socket=" + socket), "sh", write.toString(), payload.toString());
        long t1 = System.nanoTime();
        assertTrue(written.contains("WRITTEN"), written);

        ServeLauncher.stop(serve, log);
        serve = null;
        assertEquals(originSum, Hashes.sha256(Files.readAllBytes(origin)), "the origin file after serve");

        // The kernel's dm-snapshot on the two files, read-only: the filesystem must be clean (no
        // journal to replay: the guest's unmount reached the COW) and hold every file.
        Path check = Files.writeString(
                dir.resolve("check.sh"),
                String.join(
                        "\n",
                        "set -eu",
                        "for d in /sys/block/vd*; do",
                        "  case \"$(cat \"$d/serial\")\" in disk0) o=/dev/${d##*/};; disk1) c=/dev/${d##*/};; esac",
                        "done",
                        "dmsetup create kit-nbd-guest --readonly --table \"0 $(blockdev --getsz $o) snapshot $o $c P "
                                + CHUNK_SECTORS + "\"",
                        "dmsetup mknodes kit-nbd-guest",
                        "dmsetup status kit-nbd-guest",
                        "e2fsck -fn /dev/mapper/kit-nbd-guest >&2",
                        "mkdir /tmp/fs",
                        "mount -t ext4 -o ro /dev/mapper/kit-nbd-guest /tmp/fs",
                        "cd /tmp/fs",
                        "find . -path ./lost+found -prune -o -type f -print | sort | xargs sha256sum",
                        "cd /",
                        "umount /tmp/fs",
                        "dmsetup remove kit-nbd-guest",
                        ""));
        String checked = boot(List.of("--disk", origin.toString(), "--disk", cow.toString()), "sh", check.toString());
        long t2 = System.nanoTime();

        Matcher status = STATUS.matcher(checked);
        assertTrue(status.find(), checked);
        assertEquals(originSectors, Long.parseLong(status.group(1)), checked);
        long chunksOfBig = (big.length + CHUNK_SECTORS * Guest.SECTOR - 1) / (CHUNK_SECTORS * Guest.SECTOR);
        assertTrue(
                Long.parseLong(status.group(2)) >= chunksOfBig * CHUNK_SECTORS,
                "the COW holds at least the big file's chunks: " + status.group());
        Map<String, String> found = new TreeMap<>();
        for (String line : checked.lines().toList()) {
            Matcher m = CHECKSUM.matcher(line);
            if (m.matches()) {
                found.put(m.group(2), m.group(1));
            }
        }
        assertEquals(expected, found, checked);
        assertEquals(
                originSum, Hashes.sha256(Files.readAllBytes(origin)), "the origin file after the kernel's activation");
        System.out.printf(
                "NbdGuestHostIT: guest writing over NBD %.1f s, kernel check %.1f s (wall, boots included)%n",
                (t1 - t0) / 1e9, (t2 - t1) / 1e9);
    }

    /** Boots kernel/run.sh with {@code options} and the command; fails unless it exits 0; its stdout. */
    private String boot(List<String> options, String... command) throws Exception {
        Path runSh = Path.of(System.getProperty("user.dir")).getParent().resolve("kernel/run.sh");
        List<String> args =
                new ArrayList<>(List.of(runSh.toString(), "--cpus", "1", "--mem", "512", "--timeout", "300"));
        args.addAll(options);
        args.add("--");
        args.addAll(List.of(command));
        Path out = Files.createTempFile(dir, "boot", ".out");
        Path err = Files.createTempFile(dir, "boot", ".err");
        Process p = new ProcessBuilder(args)
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                .redirectOutput(out.toFile())
                .redirectError(err.toFile())
                .start();
        if (!p.waitFor(330, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail(String.join(" ", args) + " did not finish in 330 s:\n" + Files.readString(err));
        }
        String stdout = Files.readString(out);
        if (p.exitValue() != 0) {
            fail(String.join(" ", args) + " exited with " + p.exitValue() + ":\n" + stdout + Files.readString(err)
                    + (serve != null ? "\nserve's log:\n" + Files.readString(dir.resolve("serve.log")) : ""));
        }
        return stdout;
    }

    private static byte[] random(long seed, int length) {
        byte[] b = new byte[length];
        new Random(seed).nextBytes(b);
        return b;
    }
}
