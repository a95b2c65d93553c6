package dev.snapstore.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.snapstore.engine.Origin;
import dev.snapstore.engine.Snapshot;
import dev.snapstore.spi.MemoryBlockDevice;
import dev.snapstore.spi.StoreTypes;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@code snapstore size}: lvm2's full-coverage COW size, proven on the engine with the real P store. */
class SizeCommandTest {

    @Test
    void oneGibibyteAtFourKibibyteChunks() {
        CliRun run = CliRun.of("size", "--origin-size", "1G", "--chunk-size", "8");
        assertEquals(ExitStatus.OK, run.status(), run.toString());
        // 1 header + 262144 data + 1025 metadata chunks (the 1025th is the terminator: 262144 = 1024 * 256).
        assertEquals(
                "2105360 sectors (1077944320 bytes): 1 header chunk, 262144 data chunks, 1025 metadata chunks"
                        + " of 8 sectors\n",
                run.out());
    }

    @Test
    void json() throws Exception {
        CliRun run = CliRun.of("size", "--origin-size", "2049s", "--chunk-size", "0", "--json");
        assertEquals(ExitStatus.OK, run.status(), run.toString());
        JsonNode root = Json.MAPPER.readTree(run.out());
        assertEquals(2049, root.get("originSectors").asLong());
        assertEquals(32, root.get("chunkSize").asInt());
        assertEquals(65, root.get("originChunks").asLong());
        assertEquals(1, root.get("metadataChunks").asLong());
        assertEquals((1 + 65 + 1) * 32, root.get("cowSectors").asLong());
        assertEquals((1 + 65 + 1) * 32 * 512L, root.get("cowBytes").asLong());
        assertEquals(96, root.get("minimumCowSectors").asLong());
    }

    @ParameterizedTest
    @CsvSource({
        "12, 'size: --chunk-size 12: Chunk size is not a power of 2'",
        "x, 'size: --chunk-size x: Invalid chunk size'",
    })
    void badChunkSizesGetTheKernelsWords(String chunk, String message) {
        CliRun run = CliRun.of("size", "--origin-size", "1M", "--chunk-size", chunk);
        assertEquals(ExitStatus.USAGE, run.status(), run.toString());
        assertEquals("snapstore: " + message + "\n", run.err());
    }

    @Test
    void anEmptyOriginIsRefused() {
        CliRun run = CliRun.of("size", "--origin-size", "0", "--chunk-size", "8");
        assertEquals(ExitStatus.USAGE, run.status(), run.toString());
        assertTrue(run.err().contains("smaller than one 512-byte sector"), run.err());
    }

    /**
     * Every origin chunk rewritten through the engine: the COW that {@code size} names keeps the
     * snapshot valid, and one chunk less invalidates it, at and beside the area boundary.
     */
    @ParameterizedTest
    @CsvSource({"8, 256", "8, 255", "8, 300", "16, 512", "4, 129"})
    void theSizeSurvivesARewriteOfEveryOriginChunkAndOneChunkLessDoesNot(int chunkSize, int originChunks)
            throws Exception {
        long originSectors = (long) originChunks * chunkSize;
        CliRun run = CliRun.of(
                "size", "--origin-size", originSectors + "s", "--chunk-size", String.valueOf(chunkSize), "--json");
        long cowSectors = Json.MAPPER.readTree(run.out()).get("cowSectors").asLong();
        assertTrue(rewriteEveryChunk(originSectors, cowSectors, chunkSize), "the sized COW was invalidated");
        assertFalse(
                rewriteEveryChunk(originSectors, cowSectors - chunkSize, chunkSize),
                "a COW one chunk smaller stayed valid");
    }

    private static boolean rewriteEveryChunk(long originSectors, long cowSectors, int chunkSize) throws Exception {
        StoreTypes types = StoreTypes.load();
        MemoryBlockDevice originDevice = new MemoryBlockDevice("origin", originSectors);
        MemoryBlockDevice cow = new MemoryBlockDevice("cow", cowSectors);
        Origin origin = new Origin(originDevice);
        Snapshot snapshot = origin.createSnapshot(types, "P", String.valueOf(chunkSize), cow, originSectors);
        snapshot.activate();
        ByteBuffer chunk = ByteBuffer.allocate(chunkSize * 512);
        for (long sector = 0; sector < originSectors; sector += chunkSize) {
            chunk.clear();
            chunk.put(0, (byte) 1);
            try {
                origin.write(sector, chunk);
            } catch (Exception e) {
                return false;
            }
        }
        boolean valid = snapshot.isValid();
        origin.close();
        return valid;
    }
}
