package dev.snapstore.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Chunk sizes as the kernel's set_chunk_size and dm_exception_store_set_chunk_size see them (spec §2.3-2.4, §6.8). */
class ChunkSizeTest {

    @ParameterizedTest(name = "\"{0}\" -> {1}")
    @CsvSource(
            delimiter = '|',
            value = {
                // spec §6.8 and fixture s6-errors cases 14, 19-22, 25, 26
                "3         | Chunk size is not a power of 2",
                "12        | Chunk size is not a power of 2",
                "abc       | Invalid chunk size",
                "-8        | Invalid chunk size",
                "8k        | Invalid chunk size",
                "4294967296| Invalid chunk size",
                "4194304   | Chunk size is too high",
                "8388608   | Chunk size is too high",
                "2147483648| Chunk size is too high",
                "0x10      | Invalid chunk size",
                "' 8'      | Invalid chunk size",
                "''        | Invalid chunk size",
                "+         | Invalid chunk size",
            })
    void refusedWithTheKernelsMessage(String arg, String message) {
        StoreException e = assertThrows(StoreException.class, () -> ChunkSize.parseAndValidate(arg, 512, 512));
        assertEquals(message, e.getMessage());
        assertEquals(Errno.EINVAL, e.errno());
    }

    @ParameterizedTest(name = "\"{0}\" -> {1}")
    @CsvSource(
            delimiter = '|',
            value = {
                "1       | 1",
                "8       | 8",
                "+16     | 16",
                "0008    | 8",
                "2097152 | 2097152",
                "0       | 0",
            })
    void accepted(String arg, int expected) throws StoreException {
        assertEquals(expected, ChunkSize.parseAndValidate(arg, 512, 512));
    }

    @Test
    void oneTrailingNewlineIsAcceptedAsKstrtouintDoes() throws StoreException {
        assertEquals(8, ChunkSize.parseAndValidate("8\n", 512, 512));
        assertThrows(StoreException.class, () -> ChunkSize.parseAndValidate("8\n\n", 512, 512));
    }

    @ParameterizedTest(name = "chunk {0} cow {1} origin {2}")
    @CsvSource({"4,4096,512", "4,512,4096", "1,1024,512", "8,512,8192"})
    void mustBeAMultipleOfBothDevicesBlockSizes(long chunk, int cowBlock, int originBlock) {
        StoreException e = assertThrows(StoreException.class, () -> ChunkSize.validate(chunk, cowBlock, originBlock));
        assertEquals("Chunk size is not a multiple of device blocksize", e.getMessage());
    }

    @Test
    void powerOfTwoIsCheckedBeforeBlockSize() {
        StoreException notPower = assertThrows(StoreException.class, () -> ChunkSize.validate(12, 4096, 512));
        assertEquals(ChunkSize.NOT_POWER_OF_2, notPower.getMessage());
        StoreException zero = assertThrows(StoreException.class, () -> ChunkSize.validate(0, 4096, 512));
        assertEquals(ChunkSize.NOT_POWER_OF_2, zero.getMessage());
    }

    /** Reference model: the kernel accepts exactly the powers of two from 1 to 2^21 on 512-byte devices. */
    @Property
    void acceptsExactlyPowersOfTwoUpTo2To21(@ForAll @IntRange(min = 1, max = Integer.MAX_VALUE) int value) {
        boolean expected = Integer.bitCount(value) == 1 && value <= (1 << 21);
        boolean accepted;
        try {
            accepted = ChunkSize.parseAndValidate(Integer.toString(value), 512, 512) == value;
        } catch (StoreException e) {
            accepted = false;
        }
        assertEquals(expected, accepted);
    }
}
