package dev.snapstore.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.snapstore.spi.BeyondEndOfDeviceException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** The device tests resize and make read-only; moved here with resize() and setReadOnly() from the SPI's MemoryBlockDevice. */
class AdjustableMemoryDeviceTest {

    @Test
    void memoryDeviceCanShrinkAndGrowAndForgetsWhatWasCut() throws IOException {
        AdjustableMemoryDevice device = new AdjustableMemoryDevice("m", 300);
        byte[] ones = new byte[300 * 512];
        Arrays.fill(ones, (byte) 1);
        device.write(0, ByteBuffer.wrap(ones));
        device.resize(130);
        assertEquals(130, device.sizeInSectors());
        device.resize(300);
        ByteBuffer back = ByteBuffer.allocate(300 * 512);
        device.read(0, back);
        for (int i = 0; i < back.capacity(); i++) {
            assertEquals(i < 130 * 512 ? 1 : 0, back.get(i), "byte " + i);
        }
    }

    @Test
    void transfersPastTheCurrentEndFail() throws IOException {
        AdjustableMemoryDevice device = new AdjustableMemoryDevice("m", 8, 4096);
        assertEquals(4096, device.logicalBlockSize());
        device.resize(4);
        assertThrows(BeyondEndOfDeviceException.class, () -> device.write(4, ByteBuffer.allocate(512)));
        device.write(3, ByteBuffer.allocate(512));
    }

    @Test
    void aReadOnlyDeviceRefusesWritesUntilAllowedAgain() throws IOException {
        AdjustableMemoryDevice device = new AdjustableMemoryDevice("m", 8);
        device.setReadOnly(true);
        assertTrue(device.isReadOnly());
        IOException e = assertThrows(IOException.class, () -> device.write(0, ByteBuffer.allocate(512)));
        assertEquals("m: read-only", e.getMessage());
        device.setReadOnly(false);
        device.write(0, ByteBuffer.allocate(512));
    }
}
