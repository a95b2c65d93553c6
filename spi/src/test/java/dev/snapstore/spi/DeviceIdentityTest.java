package dev.snapstore.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** BlockDevice.identity(): one file is one device however it is opened; memory devices are themselves. */
class DeviceIdentityTest {

    @TempDir
    Path tmp;

    @Test
    void oneFileOpenedTwiceOrThroughALinkIsOneDevice() throws IOException {
        Path image = Files.write(tmp.resolve("image"), new byte[4096]);
        Path other = Files.write(tmp.resolve("other"), new byte[4096]);
        Path link = Files.createSymbolicLink(tmp.resolve("link"), image);
        try (FileBlockDevice a = FileBlockDevice.open(image, false);
                FileBlockDevice b = FileBlockDevice.open(image, true);
                FileBlockDevice viaLink = FileBlockDevice.open(link, false);
                FileBlockDevice bigBlocks = FileBlockDevice.open(image, false, 4096);
                FileBlockDevice c = FileBlockDevice.open(other, false)) {
            assertEquals(a.identity(), b.identity());
            assertEquals(a.identity().hashCode(), b.identity().hashCode());
            assertEquals(a.identity(), viaLink.identity());
            assertEquals(a.identity(), bigBlocks.identity());
            assertEquals(a.identity(), FileBlockDevice.identityOf(image));
            assertEquals(a.identity(), FileBlockDevice.identityOf(link));
            assertNotEquals(a.identity(), c.identity());
        }
    }

    @Test
    void aCopyIsAnotherDevice() throws IOException {
        Path image = Files.write(tmp.resolve("image"), new byte[4096]);
        Path copy = Files.copy(image, tmp.resolve("copy"));
        assertNotEquals(FileBlockDevice.identityOf(image), FileBlockDevice.identityOf(copy));
    }

    @Test
    void aMissingFileHasNoIdentity() {
        assertThrows(NoSuchFileException.class, () -> FileBlockDevice.identityOf(tmp.resolve("nope")));
    }

    @Test
    void memoryDevicesAreThemselves() {
        MemoryBlockDevice a = new MemoryBlockDevice("same", 8);
        MemoryBlockDevice b = new MemoryBlockDevice("same", 8);
        assertTrue(a.identity() == a);
        assertNotEquals(a.identity(), b.identity());
    }
}
