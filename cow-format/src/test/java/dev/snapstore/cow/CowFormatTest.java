package dev.snapstore.cow;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.snapstore.spi.MemoryBlockDevice;
import dev.snapstore.testkit.Fixtures;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class CowFormatTest {

    @Test
    void layoutArithmeticMatchesTheKernelFixtures() {
        // s2-persistent-P-cs8: area 1 at chunk 258; s2-persistent-P-cs16: area 1 at chunk 514.
        assertEquals(256, CowFormat.exceptionsPerArea(8));
        assertEquals(258, CowFormat.areaLocation(256, 1));
        assertEquals(514, CowFormat.areaLocation(512, 1));
        assertTrue(CowFormat.isMetadataChunk(256, 1));
        assertTrue(CowFormat.isMetadataChunk(256, 515));
        assertFalse(CowFormat.isMetadataChunk(256, 0));
        assertTrue(CowFormat.isReservedChunk(256, 0));
        assertEquals(259, CowFormat.skipMetadata(256, 258));
        assertEquals(257, CowFormat.skipMetadata(256, 257));
    }

    @Test
    void headerAndRecordRoundTrip() {
        byte[] bytes = CowHeader.of(1, 1, 8).encode();
        assertArrayEquals(new byte[] {0x53, 0x6e, 0x41, 0x70, 1, 0, 0, 0, 1, 0, 0, 0, 8, 0, 0, 0}, bytes);
        assertEquals(CowHeader.of(1, 1, 8), CowHeader.decode(bytes));
        ByteBuffer area = ByteBuffer.allocate(64);
        new CowRecord(-1L, 7).encode(area, 2);
        assertEquals(new CowRecord(-1L, 7), CowRecord.decode(area, 2));
        assertTrue(CowRecord.decode(area, 3).isTerminator());
        assertEquals(7, area.get(40));
    }

    @Test
    void readsTheFixtureAreaByArea() throws IOException {
        MemoryBlockDevice cow = Fixtures.imageDevice("s2-persistent-P-cs8", "cow-final.img.xz");
        CowHeader header = CowAreaReader.readHeader(cow);
        assertEquals(CowHeader.of(1, 1, 8), header);
        CowAreaReader reader = new CowAreaReader(cow, header.chunkSize());
        assertEquals(new CowRecord(3, 2), CowRecord.decode(reader.readArea(0), 0));
        assertEquals(new CowRecord(0, 0), CowRecord.decode(reader.readArea(1), 54));
        assertFalse(reader.areaFits(100));
        assertThrows(IOException.class, () -> reader.readArea(100));
    }

    @Test
    void undecodableHeadersAreWordedAsTheKernelReadsThem() {
        assertEquals(Optional.empty(), CowHeader.of(0, 7, 8).whyUndecodable());
        assertEquals(
                "no snapshot header (magic 0: a COW the kernel would treat as new)",
                new CowHeader(0, 1, 1, 8).whyUndecodable().get());
        assertEquals(
                "Invalid or corrupt snapshot (magic 0x12345678, expected 0x70416e53)",
                new CowHeader(0x12345678, 1, 1, 8).whyUndecodable().get());
        assertEquals(
                "invalid on-disk chunk size 3: Chunk size is not a power of 2.",
                CowHeader.of(1, 1, 3).whyUndecodable().get());
        assertEquals(
                "invalid on-disk chunk size 2147483648: Chunk size is too high.",
                CowHeader.of(1, 1, 1 << 31).whyUndecodable().get());
        assertEquals(Optional.empty(), CowHeader.of(1, 1, 1 << 21).whyUndecodable());
    }
}
