package dev.snapstore.serve.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.snapstore.engine.Origin;
import dev.snapstore.engine.Snapshot;
import dev.snapstore.serve.Extent;
import dev.snapstore.serve.NbdError;
import dev.snapstore.serve.NbdException;
import dev.snapstore.spi.MemoryBlockDevice;
import dev.snapstore.spi.StoreTypes;
import dev.snapstore.testkit.AdjustableMemoryDevice;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The engine's semantics as the NBD server sees them, without a socket. */
class EngineExportTest {

    private static final int CHUNK = 4096;

    private final MemoryBlockDevice originDevice = new MemoryBlockDevice("origin", 256);

    private Origin origin() throws Exception {
        byte[] pattern = new byte[256 * 512];
        for (int i = 0; i < pattern.length; i++) {
            pattern[i] = (byte) (i / 512 + 1);
        }
        originDevice.write(0, ByteBuffer.wrap(pattern));
        return new Origin(originDevice);
    }

    private static Snapshot snapshot(Origin origin, String type, long cowSectors) throws Exception {
        Snapshot snapshot = origin.createSnapshot(
                StoreTypes.load(), type, "8", new MemoryBlockDevice("cow", cowSectors), origin.sizeInSectors());
        snapshot.activate();
        return snapshot;
    }

    private static byte[] read(EngineExport export, long offset, int length) throws NbdException {
        ByteBuffer b = ByteBuffer.allocate(length);
        export.read(offset, b);
        assertFalse(b.hasRemaining());
        return b.array();
    }

    private static ByteBuffer filled(int length, int value) {
        byte[] b = new byte[length];
        Arrays.fill(b, (byte) value);
        return ByteBuffer.wrap(b);
    }

    @Test
    void originWritesLeaveTheSnapshotAndSnapshotWritesLeaveTheOrigin() throws Exception {
        Origin origin = origin();
        Snapshot snapshot = snapshot(origin, "P", 1024);
        EngineExport o = EngineExport.origin("origin", origin, false);
        EngineExport s = EngineExport.snapshot("snap", snapshot, false);
        assertEquals(256 * 512, o.size());
        assertEquals(o.size(), s.size());
        assertEquals(512, s.minimumBlockSize());
        assertEquals(CHUNK, s.preferredBlockSize());
        assertEquals(CHUNK, o.preferredBlockSize());
        assertFalse(s.canTrim());
        assertTrue(s.canMultiConn());
        byte[] before = read(o, 0, 3 * CHUNK);

        o.write(512, filled(CHUNK, 0xaa), true);
        s.write(2 * CHUNK + 1024, filled(1024, 0xbb), false);
        s.flush();
        o.writeZeroes(CHUNK * 2, CHUNK, false, true);

        byte[] snap = read(s, 0, 3 * CHUNK);
        assertArrayEquals(Arrays.copyOfRange(before, 0, 2 * CHUNK), Arrays.copyOfRange(snap, 0, 2 * CHUNK));
        assertEquals((byte) 0xbb, snap[2 * CHUNK + 1024]);
        assertEquals(before[2 * CHUNK], snap[2 * CHUNK]);
        byte[] now = read(o, 0, 3 * CHUNK);
        assertEquals(before[0], now[0]);
        assertEquals((byte) 0xaa, now[512]);
        assertEquals(0, now[2 * CHUNK + 1024], "zeroed on the origin, not the snapshot's 0xbb");
        assertEquals(List.of(Extent.data(CHUNK)), s.blockStatus(0, CHUNK));
        s.close();
        o.close();
        assertTrue(snapshot.isValid(), "closing an export leaves the snapshot alone");
    }

    @Test
    void aFullPoSnapshotFailsWritesWithEioAndStaysReadable() throws Exception {
        Origin origin = origin();
        // header + one metadata area + one data chunk
        Snapshot snapshot = snapshot(origin, "PO", 3 * 8);
        EngineExport s = EngineExport.snapshot("snap", snapshot, false);
        byte[] before = read(s, 0, 2 * CHUNK);
        s.write(0, filled(CHUNK, 1), false);
        NbdException e = assertThrows(NbdException.class, () -> s.write(CHUNK, filled(512, 2), true));
        assertEquals(NbdError.EIO, e.nbdError());
        assertTrue(snapshot.isOverflowed());
        byte[] after = read(s, 0, 2 * CHUNK);
        assertEquals(1, after[0]);
        assertArrayEquals(Arrays.copyOfRange(before, CHUNK, 2 * CHUNK), Arrays.copyOfRange(after, CHUNK, 2 * CHUNK));
        assertEquals("Overflow", snapshot.status().format());
    }

    @Test
    void anInvalidatedSnapshotFailsEveryRequestWithEio() throws Exception {
        Origin origin = origin();
        Snapshot snapshot = snapshot(origin, "P", 3 * 8);
        EngineExport o = EngineExport.origin("origin", origin, false);
        EngineExport s = EngineExport.snapshot("snap", snapshot, false);
        o.write(0, filled(CHUNK, 7), false);
        o.write(CHUNK, filled(CHUNK, 8), false); // no room for the copy: the snapshot is invalidated
        assertFalse(snapshot.isValid());
        assertEquals(7, read(o, 0, 512)[0], "the origin goes on");
        assertEquals(
                NbdError.EIO,
                assertThrows(NbdException.class, () -> read(s, 0, 512)).nbdError());
        assertEquals(
                NbdError.EIO,
                assertThrows(NbdException.class, () -> s.write(0, filled(512, 1), false))
                        .nbdError());
        assertEquals(
                NbdError.EIO,
                assertThrows(NbdException.class, () -> s.writeZeroes(0, 512, false, false))
                        .nbdError());
    }

    @Test
    void aWritableExportOfAReadOnlyOriginIsRefused() throws Exception {
        AdjustableMemoryDevice device = new AdjustableMemoryDevice("ro", 64);
        device.setReadOnly(true);
        Origin origin = new Origin(device);
        assertThrows(IllegalArgumentException.class, () -> EngineExport.origin("origin", origin, false));
        assertTrue(EngineExport.origin("origin", origin, true).isReadOnly());
    }
}
