package dev.snapstore.spi;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The two BlockDevice implementations agree with each other and with a plain byte array. */
class BlockDeviceTest {

    @TempDir
    Path tmp;

    @Property(tries = 200)
    void memoryDeviceBehavesLikeAByteArray(@ForAll long seed, @ForAll @IntRange(min = 1, max = 600) int sectors)
            throws IOException {
        Random random = new Random(seed);
        byte[] model = new byte[sectors * 512];
        MemoryBlockDevice device = new MemoryBlockDevice("m", sectors);
        for (int op = 0; op < 30; op++) {
            int start = random.nextInt(sectors);
            int count = 1 + random.nextInt(Math.min(sectors - start, 300));
            byte[] data = new byte[count * 512];
            random.nextBytes(data);
            device.write(start, ByteBuffer.wrap(data));
            System.arraycopy(data, 0, model, start * 512, data.length);
        }
        ByteBuffer all = ByteBuffer.allocate(model.length);
        device.read(0, all);
        assertArrayEquals(model, all.array());
    }

    @Property(tries = 100)
    void transfersPastTheEndFailAndTransferNothing(
            @ForAll @LongRange(min = 0, max = 100) long size,
            @ForAll @LongRange(min = 0, max = 120) long sector,
            @ForAll @IntRange(min = 1, max = 30) int count)
            throws IOException {
        MemoryBlockDevice device = new MemoryBlockDevice("m", size);
        ByteBuffer data = ByteBuffer.wrap(new byte[count * 512]);
        if (sector + count <= size) {
            device.write(sector, data);
            assertEquals(0, data.remaining());
        } else {
            BeyondEndOfDeviceException e =
                    assertThrows(BeyondEndOfDeviceException.class, () -> device.write(sector, data));
            assertEquals(count * 512, data.remaining());
            assertEquals(
                    "m: attempt to access beyond end of device: sector=" + sector + ", nr_sectors = " + count
                            + " limit=" + size,
                    e.getMessage());
        }
    }

    @Test
    void partialSectorsAreRefused() {
        MemoryBlockDevice device = new MemoryBlockDevice("m", 8);
        assertThrows(IllegalArgumentException.class, () -> device.read(0, ByteBuffer.allocate(100)));
    }

    @Test
    void fileDeviceReadsWritesAndCountsWholeSectors() throws IOException {
        Path file = tmp.resolve("cow.img");
        Files.write(file, new byte[4096 + 100]);
        try (FileBlockDevice device = FileBlockDevice.open(file, true)) {
            assertEquals(8, device.sizeInSectors(), "a trailing partial sector does not count");
            assertEquals(512, device.logicalBlockSize());
            byte[] data = new byte[1024];
            new Random(1).nextBytes(data);
            device.write(6, ByteBuffer.wrap(data));
            device.flush();
            assertThrows(BeyondEndOfDeviceException.class, () -> device.write(7, ByteBuffer.wrap(data)));
            ByteBuffer back = ByteBuffer.allocate(1024);
            device.read(6, back);
            assertArrayEquals(data, back.array());
        }
        byte[] raw = Files.readAllBytes(file);
        assertEquals(4096 + 100, raw.length, "the file never grows");
    }

    /** Ranges inside the size last read skip the fstat; a file that changes size since is still seen. */
    @Test
    void fileDeviceSeesTheFileGrowAndShrinkUnderIt() throws IOException {
        Path file = tmp.resolve("grows.img");
        Files.write(file, new byte[4096]);
        try (FileBlockDevice device = FileBlockDevice.open(file, true);
                FileChannel other = FileChannel.open(file, StandardOpenOption.WRITE)) {
            device.read(0, ByteBuffer.allocate(4096));
            byte[] tail = new byte[512];
            new Random(2).nextBytes(tail);
            other.write(ByteBuffer.wrap(tail), 8192 + 512);
            ByteBuffer grown = ByteBuffer.allocate(512);
            device.read(17, grown);
            assertArrayEquals(tail, grown.array(), "a read past the size last seen reads the size again");

            other.truncate(2048);
            BeyondEndOfDeviceException read =
                    assertThrows(BeyondEndOfDeviceException.class, () -> device.read(2, ByteBuffer.allocate(4096)));
            assertEquals(4, read.limit(), read.getMessage());
            BeyondEndOfDeviceException write =
                    assertThrows(BeyondEndOfDeviceException.class, () -> device.write(6, ByteBuffer.allocate(512)));
            assertEquals(4, write.limit(), write.getMessage());
            assertEquals(2048, Files.size(file), "a write past a shrunk file's end does not grow it");
            device.read(0, ByteBuffer.allocate(2048));
        }
    }

    @Test
    void readOnlyFileDeviceRefusesWritesAndLeavesTheFileAlone() throws IOException {
        Path file = tmp.resolve("ro.img");
        Files.write(file, new byte[4096]);
        try (FileBlockDevice device = FileBlockDevice.open(file, false)) {
            assertTrue(device.isReadOnly());
            IOException e = assertThrows(IOException.class, () -> device.write(0, ByteBuffer.allocate(512)));
            assertTrue(e.getMessage().endsWith("opened read-only"), e.getMessage());
            device.flush();
        }
    }

    @Test
    void fileDeviceErrorsNameThePath() throws IOException {
        assertThrows(NoSuchFileException.class, () -> FileBlockDevice.open(tmp.resolve("missing"), false));
        IOException dir = assertThrows(IOException.class, () -> FileBlockDevice.open(tmp, false));
        assertEquals(tmp + ": is a directory", dir.getMessage());
    }

    @Test
    void fileDeviceCanPretendToHaveLargerBlocks() throws IOException {
        Path file = tmp.resolve("4k.img");
        Files.write(file, new byte[8192]);
        try (FileBlockDevice device = FileBlockDevice.open(file, false, 4096)) {
            assertEquals(4096, device.logicalBlockSize());
        }
    }
}
