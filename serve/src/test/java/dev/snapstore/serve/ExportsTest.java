package dev.snapstore.serve;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The small exports, the errno mapping and the extent value. */
class ExportsTest {
    @TempDir
    Path dir;

    @Test
    void memoryExportIsSparseAndItsBlockStatusExact() throws NbdException {
        MemoryExport m = new MemoryExport("m", 64 * 1024, 512, 4096);
        assertEquals(List.of(new Extent(65536, 3)), m.blockStatus(0, 65536));
        m.write(5000, ByteBuffer.wrap(new byte[] {1, 2, 3}), false);
        assertEquals(List.of(new Extent(4096, 3), new Extent(4096, 0), new Extent(57344, 3)), m.blockStatus(0, 65536));
        assertEquals(List.of(new Extent(4092, 0)), m.blockStatus(4100, 10), "from the offset to the end of its block");
        m.writeZeroes(4096, 4096, false, true);
        assertEquals(List.of(new Extent(65536, 3)), m.blockStatus(0, 65536), "a whole block zeroed is a hole again");
        m.writeZeroes(8192, 512, false, false);
        assertEquals(new Extent(4096, 0), m.blockStatus(8192, 1).get(0), "NO_HOLE allocates");
        byte[] all = new byte[65536];
        m.read(0, ByteBuffer.wrap(all));
        assertArrayEquals(new byte[65536], all);
    }

    @Test
    void memoryExportReadsHolesLargerThanItsZeroBuffer() throws NbdException {
        MemoryExport m = new MemoryExport("m", 1 << 20, 512, 256 * 1024);
        m.write(300 * 1024, ByteBuffer.wrap(new byte[] {5}), false);
        byte[] all = new byte[1 << 20];
        Arrays.fill(all, (byte) 1);
        m.read(0, ByteBuffer.wrap(all));
        byte[] expected = new byte[1 << 20];
        expected[300 * 1024] = 5;
        assertArrayEquals(expected, all);
    }

    @Test
    void memoryExportReadOnlyViewSharesBytesAndRefusesWrites() throws NbdException {
        MemoryExport m = new MemoryExport("m", 8192, 512, 4096);
        m.write(0, ByteBuffer.wrap(new byte[] {9}), false);
        MemoryExport ro = m.readOnlyView();
        assertTrue(ro.isReadOnly());
        ByteBuffer b = ByteBuffer.allocate(1);
        ro.read(0, b);
        assertEquals(9, b.get(0));
        NbdException e = assertThrows(NbdException.class, () -> ro.write(0, ByteBuffer.allocate(1), false));
        assertEquals(NbdError.EPERM, e.nbdError());
        assertThrows(IllegalArgumentException.class, () -> new MemoryExport("x", 1000, 512, 4096));
        assertThrows(IllegalArgumentException.class, () -> new MemoryExport("x", 4096, 512, 256));
    }

    @Test
    void fileExportReadsWritesZeroesAndFlushes() throws IOException {
        Path f = dir.resolve("disk.img");
        Files.write(f, new byte[10000]); // rounded down to whole blocks
        try (FileExport e = FileExport.open("f", f, 512, 4096, false)) {
            assertEquals(9728, e.size());
            byte[] data = new byte[3000];
            Arrays.fill(data, (byte) 7);
            e.write(1000, ByteBuffer.wrap(data), true);
            e.writeZeroes(2048, 512, true, true);
            e.flush();
            byte[] back = new byte[4000];
            e.read(0, ByteBuffer.wrap(back));
            byte[] expected = new byte[4000];
            Arrays.fill(expected, 1000, 4000, (byte) 7);
            Arrays.fill(expected, 2048, 2560, (byte) 0);
            assertArrayEquals(expected, back);
            assertEquals(List.of(Extent.data(100)), e.blockStatus(0, 100), "everything allocated, never a false zero");
        }
        byte[] onDisk = Files.readAllBytes(f);
        assertEquals(7, onDisk[1000]);
        assertEquals(0, onDisk[2048]);
        try (FileExport ro = FileExport.open("f", f, 512, 4096, true)) {
            assertTrue(ro.isReadOnly());
        }
    }

    @Test
    void errnoMapsToTheProtocolsValues() {
        assertEquals(NbdError.ENOSPC, NbdError.fromErrno(28));
        assertEquals(NbdError.ENOSPC, NbdError.fromErrno(122), "EDQUOT");
        assertEquals(NbdError.ENOSPC, NbdError.fromErrno(27), "EFBIG");
        assertEquals(NbdError.EPERM, NbdError.fromErrno(30), "EROFS");
        assertEquals(NbdError.EPERM, NbdError.fromErrno(13), "EACCES");
        assertEquals(NbdError.EIO, NbdError.fromErrno(6), "ENXIO");
        assertEquals(NbdError.EIO, NbdError.fromErrno(19), "ENODEV");
        assertEquals(NbdError.EINVAL, NbdError.fromErrno(22));
        assertEquals(NbdError.ENOMEM, NbdError.fromErrno(12));
        for (NbdError e : NbdError.values()) {
            assertEquals(e, NbdError.fromErrno(e.value()));
        }
        NbdException x = new NbdException(28, "full");
        assertEquals(28, x.errno());
        assertEquals(NbdError.ENOSPC, x.nbdError());
        assertThrows(IllegalArgumentException.class, () -> new NbdException(0, "no errno"));
    }

    @Test
    void extentsAreValidated() {
        assertThrows(IllegalArgumentException.class, () -> new Extent(0, 0));
        assertThrows(IllegalArgumentException.class, () -> new Extent(1, 4));
        assertEquals(new Extent(5, 0), Extent.data(5));
    }
}
