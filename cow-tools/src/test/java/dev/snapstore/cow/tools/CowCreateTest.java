package dev.snapstore.cow.tools;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.snapstore.cow.CowHeader;
import dev.snapstore.spi.ExceptionStore;
import dev.snapstore.spi.KernelLog;
import dev.snapstore.spi.MemoryBlockDevice;
import dev.snapstore.spi.StoreException;
import dev.snapstore.spi.StoreTypes;
import dev.snapstore.spi.Usage;
import dev.snapstore.testkit.Fixtures;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.OptionalLong;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Formatting a new COW through the store P: the kernel's header chunk, a zeroed area 0, nothing else. */
class CowCreateTest {

    private static byte[] chunk(MemoryBlockDevice device, long chunk, int chunkSize) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(chunkSize * 512);
        device.read(chunk * chunkSize, b);
        return b.array();
    }

    @ParameterizedTest
    @ValueSource(strings = {"s2-persistent-P-cs8", "s2-persistent-P-cs16"})
    void theHeaderChunkIsTheKernels(String fixture) throws IOException, StoreException {
        MemoryBlockDevice kernel = Fixtures.imageDevice(fixture, "cow-final.img.xz");
        int chunkSize = fixture.endsWith("cs16") ? 16 : 8;
        MemoryBlockDevice cow = new MemoryBlockDevice("new.img", 2048);
        // Old data where area 0 goes, and a stale header: formatting must clear both.
        cow.write(0, ByteBuffer.allocate(512).put(0, CowHeader.of(1, 1, 64).encode()));
        cow.write(chunkSize, ByteBuffer.allocate(512).put(0, (byte) 0x5a));
        MemoryBlockDevice data = new MemoryBlockDevice("data.img", 2048);
        data.write(chunkSize, ByteBuffer.allocate(512).put(0, (byte) 0x5a));
        assertEquals(new CowCreate.Data(chunkSize * 512L), CowCreate.inspect(data, chunkSize));
        try (ExceptionStore store = StoreTypes.load()
                .create(StoreTypes.PERSISTENT, Integer.toString(chunkSize), cow, 512, KernelLog.DISCARD)) {
            assertEquals(new Usage(2048, 2 * chunkSize, 2 * chunkSize), CowCreate.format(cow, store));
        }
        assertArrayEquals(chunk(kernel, 0, chunkSize), chunk(cow, 0, chunkSize));
        assertArrayEquals(new byte[chunkSize * 512], chunk(cow, 1, chunkSize));
        assertEquals(new CowCreate.Header(CowHeader.of(1, 1, chunkSize)), CowCreate.inspect(cow, chunkSize));
        CheckReport report = CowCheck.check(cow, CowHeader.of(1, 1, chunkSize), OptionalLong.empty());
        assertEquals(0, report.exceptions());
        assertEquals(0, report.problemCount());
        assertEquals(new CowCreate.Blank(), CowCreate.inspect(new MemoryBlockDevice("blank", 64), chunkSize));
        assertEquals(4L * chunkSize * 512, CowCreate.minimumBytes(2 * chunkSize));
    }
}
