package dev.snapstore.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.snapstore.spi.MemoryBlockDevice;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** The read-only view a read-only activation gives the store: writes stay in memory, reads see them over the device. */
class ScratchOverlayTest {

    @Test
    void writesStayInTheLayerAndReadsSeeThemOverTheDevice() throws IOException {
        MemoryBlockDevice base = new MemoryBlockDevice("cow", 8);
        byte[] twos = new byte[8 * 512];
        Arrays.fill(twos, (byte) 2);
        base.write(0, ByteBuffer.wrap(twos));
        ScratchOverlay overlay = new ScratchOverlay(base);
        assertFalse(overlay.wroteAnything());
        assertFalse(overlay.isReadOnly());
        assertEquals(8, overlay.sizeInSectors());
        assertEquals("cow", overlay.name());
        assertEquals(base.identity(), overlay.identity());

        byte[] sevens = new byte[512];
        Arrays.fill(sevens, (byte) 7);
        overlay.write(3, ByteBuffer.wrap(sevens));
        overlay.write(5, ByteBuffer.allocate(512));
        overlay.flush();
        assertTrue(overlay.wroteAnything());

        ByteBuffer all = ByteBuffer.allocate(8 * 512);
        overlay.read(0, all);
        assertEquals(all.limit(), all.position());
        for (int i = 0; i < all.capacity(); i++) {
            int sector = i / 512;
            assertEquals(sector == 3 ? 7 : sector == 5 ? 0 : 2, all.get(i), "byte " + i);
        }
        ByteBuffer underneath = ByteBuffer.allocate(8 * 512);
        base.read(0, underneath);
        assertArrayEquals(twos, underneath.array(), "the device is never written");

        overlay.close();
        assertFalse(overlay.wroteAnything());
    }
}
