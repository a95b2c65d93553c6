package dev.snapstore.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.snapstore.spi.Errno;
import dev.snapstore.spi.FileBlockDevice;
import dev.snapstore.spi.MemoryBlockDevice;
import dev.snapstore.spi.StoreTypes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The engine compares devices by {@link dev.snapstore.spi.BlockDevice#identity()}, as the kernel compares
 * {@code dev_t}: one file opened twice is refused as origin and COW, and one COW serves one snapshot.
 */
class DeviceIdentityTest {

    private static final StoreTypes TYPES = StoreTypes.load();

    @TempDir
    Path tmp;

    @Test
    void oneFileOpenedTwiceIsRefusedAsOriginAndCow() throws IOException {
        Path image = Files.write(tmp.resolve("volume.img"), new byte[64 * 512]);
        Path link = Files.createSymbolicLink(tmp.resolve("link.img"), image);
        for (Path cowPath : new Path[] {image, link}) {
            try (FileBlockDevice originFile = FileBlockDevice.open(image, true);
                    FileBlockDevice cowFile = FileBlockDevice.open(cowPath, true);
                    Origin origin = new Origin(originFile)) {
                SnapshotTargetException e = assertThrows(
                        SnapshotTargetException.class, () -> origin.createSnapshot(TYPES, "P", "8", cowFile, 64));
                assertEquals("COW device cannot be the same as origin device", e.getMessage());
                assertEquals(Errno.EINVAL, e.errno());
            }
        }
        // Nothing was written: the zero-filled volume did not get a COW header over its first sector.
        assertEquals(0, Files.readAllBytes(image)[0]);
    }

    @Test
    void theOriginObjectIsItsDevice() throws IOException {
        MemoryBlockDevice device = new MemoryBlockDevice("origin", 64);
        try (Origin origin = new Origin(device)) {
            SnapshotTargetException e = assertThrows(
                    SnapshotTargetException.class, () -> origin.createSnapshot(TYPES, "N", "8", origin, 64));
            assertEquals("COW device cannot be the same as origin device", e.getMessage());
        }
    }

    @Test
    void oneCowFileForTwoSnapshotsOfOneOriginIsRefused() throws IOException, SnapshotTargetException {
        Path cowImage = Files.write(tmp.resolve("cow.img"), new byte[64 * 512]);
        try (FileBlockDevice first = FileBlockDevice.open(cowImage, true);
                FileBlockDevice second = FileBlockDevice.open(cowImage, true);
                Origin origin = new Origin(new MemoryBlockDevice("origin", 64))) {
            Snapshot snapshot = origin.createSnapshot(TYPES, "P", "8", first, 64);
            SnapshotTargetException e = assertThrows(
                    SnapshotTargetException.class, () -> origin.createSnapshot(TYPES, "P", "8", second, 64));
            assertEquals("Snapshot cow pairing for exception table handover failed", e.getMessage());
            assertEquals(
                    cowImage + " is already the COW of another snapshot of this origin: a COW holds one snapshot",
                    e.innerMessage());
            assertEquals(Errno.EINVAL, e.errno());
            assertEquals(1, origin.snapshots().size());
            snapshot.close();
        }
    }

    @Test
    void memoryDevicesAreComparedByObject() throws SnapshotTargetException {
        MemoryBlockDevice device = new MemoryBlockDevice("m", 64);
        MemoryBlockDevice twin = new MemoryBlockDevice("m", 64);
        try (Origin origin = new Origin(device)) {
            assertEquals(
                    "COW device cannot be the same as origin device",
                    assertThrows(
                                    SnapshotTargetException.class,
                                    () -> origin.createSnapshot(TYPES, "N", "8", device, 64))
                            .getMessage());
            // Same name and size, another object: another device.
            Snapshot snapshot = origin.createSnapshot(TYPES, "N", "8", twin, 64);
            assertThrows(SnapshotTargetException.class, () -> origin.createSnapshot(TYPES, "N", "8", twin, 64));
            snapshot.close();
        }
    }
}
