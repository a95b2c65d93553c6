package dev.snapstore.cow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.snapstore.spi.MemoryBlockDevice;
import dev.snapstore.testkit.FaultInjectingBlockDevice;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicReference;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/** {@link AreaStream} against reading each area where it is needed. */
class AreaStreamTest {

    /** A device of {@code areas} areas of chunk size 1 (plus the header), each sector marked with its number. */
    private static MemoryBlockDevice device(int areas, int tailSectors) throws IOException {
        long sectors = CowFormat.areaLocation(32, areas) + tailSectors;
        MemoryBlockDevice dev = new MemoryBlockDevice("cow", sectors);
        ByteBuffer sector = ByteBuffer.allocate(512);
        for (long s = 0; s < sectors; s++) {
            sector.clear();
            while (sector.hasRemaining()) {
                sector.putLong(s * 1_000_003 + sector.position());
            }
            dev.write(s, sector.flip());
        }
        return dev;
    }

    private static ByteBuffer area(MemoryBlockDevice dev, long area) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(512);
        dev.read(CowFormat.areaLocation(32, area), b);
        return b.flip();
    }

    @Property(tries = 60)
    void givesEveryAreaOnTheDeviceInOrderThenNothing(
            @ForAll @IntRange(min = 0, max = 700) int areas,
            @ForAll @IntRange(min = 0, max = 40) int tail,
            @ForAll @IntRange(min = 0, max = 20) int first)
            throws IOException {
        // tail < 33 sectors: the last area does not fit, or fits with room to spare
        MemoryBlockDevice dev = device(areas, tail);
        long onDevice = tail >= 1 ? areas + (tail - 1) / 33 + 1 : areas;
        try (AreaStream stream = new AreaStream(dev, 1, first)) {
            for (long a = first; a < onDevice; a++) {
                assertEquals(area(dev, a), stream.next(), "area " + a);
            }
            assertNull(stream.next());
            assertNull(stream.next());
        }
    }

    @Property(tries = 60)
    void aFailingReadIsThrownAtItsAreaAfterEveryAreaBeforeIt(
            @ForAll @IntRange(min = 3, max = 600) int failing, @ForAll @IntRange(min = 0, max = 3) int first)
            throws IOException {
        MemoryBlockDevice image = device(700, 0);
        FaultInjectingBlockDevice dev = FaultInjectingBlockDevice.passThrough(image);
        long sector = CowFormat.areaLocation(32, failing);
        dev.failIf(e -> e.kind() == FaultInjectingBlockDevice.Kind.READ && e.sector() == sector);
        try (AreaStream stream = new AreaStream(dev, 1, first)) {
            for (long a = first; a < failing; a++) {
                assertEquals(area(image, a), stream.next(), "area " + a);
            }
            IOException e = assertThrows(IOException.class, stream::next);
            assertEquals(
                    e.getMessage(),
                    assertThrows(IOException.class, stream::next).getMessage());
        }
    }

    @Test
    void aFailureOtherThanIoIsThrownAsItWas() throws IOException {
        FaultInjectingBlockDevice dev = FaultInjectingBlockDevice.passThrough(device(100, 0));
        IllegalStateException bug = new IllegalStateException("bug");
        dev.hook((kind, sector, sectors) -> {
            if (sector == CowFormat.areaLocation(32, 5)) {
                throw bug;
            }
        });
        try (AreaStream stream = new AreaStream(dev, 1, 0)) {
            for (int a = 0; a < 5; a++) {
                stream.next();
            }
            assertSame(bug, assertThrows(IllegalStateException.class, stream::next));
        }
    }

    @Test
    void noReadOutlivesClose() throws Exception {
        FaultInjectingBlockDevice dev = FaultInjectingBlockDevice.passThrough(device(5000, 0));
        AtomicReference<Thread> reader = new AtomicReference<>();
        dev.hook((kind, sector, sectors) -> {
            reader.set(Thread.currentThread());
            try {
                Thread.sleep(1); // a slow device: the reader is mid-group when the stream closes
            } catch (InterruptedException e) {
                throw new IOException(e);
            }
        });
        AreaStream stream = new AreaStream(dev, 1, 0);
        stream.next();
        stream.close();
        long reads = dev.trace().size();
        Thread.sleep(50);
        assertEquals(reads, dev.trace().size(), "a read after close returned");
        assertEquals(Thread.State.TERMINATED, reader.get().getState());
        stream.close(); // a second close does nothing
        // and a stream closed before anything was asked of it
        new AreaStream(dev, 1, 0).close();
    }
}
