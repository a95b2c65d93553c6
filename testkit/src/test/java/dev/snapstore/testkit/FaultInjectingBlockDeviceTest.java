package dev.snapstore.testkit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.snapstore.spi.MemoryBlockDevice;
import dev.snapstore.testkit.FaultInjectingBlockDevice.Kind;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The hook and the pass-through mode the engine's concurrency tests rely on. */
class FaultInjectingBlockDeviceTest {

    private static ByteBuffer sectors(int n, int value) {
        byte[] bytes = new byte[n * 512];
        Arrays.fill(bytes, (byte) value);
        return ByteBuffer.wrap(bytes);
    }

    @Test
    void aStalledTransferDoesNotHoldUpOthers() throws Exception {
        for (FaultInjectingBlockDevice device : List.of(
                FaultInjectingBlockDevice.ofMemory("d", 64),
                FaultInjectingBlockDevice.passThrough(new MemoryBlockDevice("d", 64)))) {
            CountDownLatch stalled = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            device.hook((kind, sector, n) -> {
                if (kind == Kind.READ && sector == 8) {
                    stalled.countDown();
                    try {
                        release.await();
                    } catch (InterruptedException e) {
                        throw new IOException(e);
                    }
                }
            });
            CompletableFuture<Void> read = CompletableFuture.runAsync(() -> {
                try {
                    device.read(8, ByteBuffer.allocate(512));
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            });
            assertTrue(stalled.await(10, TimeUnit.SECONDS));
            device.write(0, sectors(1, 7)); // goes through while the read is stalled in the hook
            device.read(0, ByteBuffer.allocate(512));
            assertEquals(1, device.writes());
            release.countDown();
            read.get(10, TimeUnit.SECONDS);
            assertEquals(2, device.reads());
        }
    }

    @Test
    void aThrowingHookFailsTheOperationAndIsRecorded() {
        FaultInjectingBlockDevice device = FaultInjectingBlockDevice.passThrough(new MemoryBlockDevice("d", 64));
        device.hook((kind, sector, n) -> {
            throw new IOException("hooked");
        });
        assertThrows(IOException.class, () -> device.write(0, sectors(1, 1)));
        assertThrows(IOException.class, () -> device.flush());
        assertEquals(List.of("W 0+1 !", "F !"), device.trace());
        device.hook(null);
        device.failIf(FaultInjectingBlockDevice.reaching(Kind.WRITE, 8));
        assertThrows(IOException.class, () -> device.write(4, sectors(8, 1)));
        assertEquals("W 4+8 !", device.trace().get(2));
    }

    @Test
    void passThroughWritesAreDurableAtOnce() throws Exception {
        FaultInjectingBlockDevice device = FaultInjectingBlockDevice.passThrough(new MemoryBlockDevice("d", 64));
        device.write(8, sectors(2, 9));
        assertEquals(List.of(), device.unflushed());
        ByteBuffer back = ByteBuffer.allocate(1024);
        device.durableImage().read(8, back);
        assertArrayEquals(sectors(2, 9).array(), back.array());
        device.crashAtWrite(2);
        assertThrows(IOException.class, () -> device.write(0, sectors(1, 1)));
        assertTrue(device.crashed());
        assertThrows(IOException.class, () -> device.read(0, ByteBuffer.allocate(512)));
        assertEquals(List.of("W 8+2", "W 0+1 !", "R 0+1 !"), device.trace());
    }
}
