package dev.snapstore.store.persistent;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.snapstore.spi.ChunkSize;
import dev.snapstore.spi.ExceptionStore;
import dev.snapstore.spi.KernelLog;
import dev.snapstore.spi.MemoryBlockDevice;
import dev.snapstore.spi.MetadataState;
import dev.snapstore.spi.StoreException;
import dev.snapstore.spi.StoreTypes;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * Fuzz target for the COW loader: {@code readMetadata} of a {@code P}/{@code PO} store, created
 * through {@link StoreTypes} as the engine does, on a {@link MemoryBlockDevice} holding arbitrary
 * bytes. Allowed outcomes: the metadata loads ({@code VALID} or {@code INVALIDATED}), or a
 * {@link StoreException} (the documented error, or the table's chunk size refused by
 * {@code create}). Any other exception or error, a hang (libFuzzer's per-input timeout) or running
 * out of heap is a finding.
 *
 * <p>Input layout (so seeds stay plain images with a small prefix):
 * <ul>
 *   <li>byte 0: bit 0 = {@code PO} instead of {@code P}; bits 1-3 = the table's chunk-size argument,
 *       one of {@link #TABLE_CHUNK_SIZES} ({@code 0} = take it from the header); bits 4-5 = the COW's
 *       logical block size, 512 &lt;&lt; n</li>
 *   <li>bytes 1-4: the device size in sectors, unsigned big-endian (the device is sparse, so sizes
 *       far past the image cost nothing)</li>
 *   <li>the rest: the device's first bytes; the image is bounded by libFuzzer's {@code -max_len}</li>
 * </ul>
 *
 * <p>Without {@code JAZZER_FUZZ} this runs once per file in
 * {@code src/test/resources/dev/snapstore/store/persistent/LoaderFuzzTestInputs/readMetadata/}
 * (fixture COWs cut to their first chunks), so {@code mvn verify} keeps checking them; see
 * FUZZING.md for fuzzing mode.
 */
class LoaderFuzzTest {

    static final String[] TABLE_CHUNK_SIZES = {"0", "1", "2", "8", "16", "32", "128", "3"};

    private static final StoreTypes TYPES = StoreTypes.load();

    @FuzzTest
    void readMetadata(byte[] input) {
        if (input.length < 5) {
            return;
        }
        int flags = input[0] & 0xff;
        String typeWord = (flags & 1) != 0 ? "PO" : "P";
        String chunkSizeArg = TABLE_CHUNK_SIZES[(flags >> 1) & 7];
        int blockSize = ChunkSize.SECTOR_SIZE << ((flags >> 4) & 3);
        long sectors = ByteBuffer.wrap(input, 1, 4).getInt() & 0xffff_ffffL;
        // A logical block size above 512 needs a whole number of blocks.
        sectors -= sectors % (blockSize / ChunkSize.SECTOR_SIZE);
        MemoryBlockDevice cow = new MemoryBlockDevice("fuzz-cow", sectors, blockSize);
        byte[] image = Arrays.copyOfRange(input, 5, input.length);
        int bytes = (int) Math.min(image.length, sectors * ChunkSize.SECTOR_SIZE) & ~(ChunkSize.SECTOR_SIZE - 1);
        if (bytes > 0) {
            try {
                cow.write(0, ByteBuffer.wrap(image, 0, bytes));
            } catch (IOException e) {
                throw new UncheckedIOException("test setup", e);
            }
        }
        ExceptionStore store;
        try {
            store = TYPES.create(typeWord, chunkSizeArg, cow, ChunkSize.SECTOR_SIZE, KernelLog.DISCARD);
        } catch (StoreException e) {
            return; // the table's chunk size does not suit the device: documented
        }
        long[] count = {0};
        try (store) {
            MetadataState state = store.readMetadata((oldChunk, newChunk) -> count[0]++);
            assertNotNull(state);
            assertTrue(state == MetadataState.VALID || count[0] == 0, "an invalidated snapshot reports no exceptions");
            assertTrue(
                    store.chunkSize() > 0 && Integer.bitCount(store.chunkSize()) == 1,
                    "a loaded store has a power-of-two chunk size: " + store.chunkSize());
            assertNotNull(store.usage());
        } catch (StoreException e) {
            // documented: corrupt or unreadable metadata, with the kernel's message
            assertNotNull(e.getMessage());
        }
    }
}
