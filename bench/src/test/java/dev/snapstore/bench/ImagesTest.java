package dev.snapstore.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.snapstore.cow.CowFormat;
import dev.snapstore.engine.ExceptionTable;
import dev.snapstore.spi.ChunkSize;
import dev.snapstore.spi.ExceptionStore;
import dev.snapstore.spi.FileBlockDevice;
import dev.snapstore.spi.KernelLog;
import dev.snapstore.spi.MetadataState;
import dev.snapstore.spi.StoreTypes;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The one thing every figure rests on: the images the benchmarks write are COWs the real store
 * loads, record for record, and the raw baseline reads exactly the same records. Fast (a few
 * thousand exceptions); the benchmarks themselves never run in the build.
 */
class ImagesTest {

    @Test
    void theStoreAndTheRawBaselineReadTheSameExceptions() throws Exception {
        int chunkSize = 8;
        long count = 3 * CowFormat.exceptionsPerArea(chunkSize) + 17;
        Path cow = Images.cow("images-test-" + System.nanoTime() + ".cow", chunkSize, count, Images.SCATTERED, true);
        try {
            ExceptionTable table = new ExceptionTable();
            long[] sum = new long[1];
            try (FileBlockDevice dev = FileBlockDevice.open(cow, false);
                    ExceptionStore store =
                            StoreTypes.load().create("P", "8", dev, ChunkSize.SECTOR_SIZE, KernelLog.DISCARD)) {
                assertEquals(MetadataState.VALID, store.readMetadata((o, n) -> {
                    sum[0] += o ^ n;
                    table.append(o, n);
                }));
            }
            assertEquals(count, table.size());
            assertEquals(sum[0], LoadBench.rawLoad(cow, chunkSize));
            long last = count - 1;
            assertEquals(
                    Images.newChunk(CowFormat.exceptionsPerArea(chunkSize), last),
                    table.lookup(Images.SCATTERED.applyAsLong(last)));
        } finally {
            Files.deleteIfExists(cow);
        }
    }
}
