package dev.snapstore.cow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.Test;

/** lvm2's COW sizing, checked against a model of the kernel's allocator and commit. */
class CowSizingTest {

    /**
     * The kernel's persistent store, reduced to counting: persistent_prepare_exception's room check
     * and next_free cursor, and persistent_commit_exception's zeroing of the next area once one fills.
     * Returns how many exceptions commit before the snapshot would be invalidated.
     */
    static long modelCapacity(long cowSectors, int chunkSize) {
        long cowChunks = cowSectors / chunkSize;
        int epa = CowFormat.exceptionsPerArea(chunkSize);
        if (cowChunks < 2) {
            return 0; // the header and area 0 must exist before anything is allocated
        }
        long stride = epa + 1L;
        long nextFree = 2;
        long committed = 0;
        while (true) {
            if (cowChunks < nextFree + 1) {
                return committed; // -ENOSPC
            }
            nextFree++;
            if (nextFree % stride == 1) {
                nextFree++;
            }
            if ((committed + 1) % epa == 0) {
                long nextArea = CowFormat.areaLocation(epa, (committed + 1) / epa);
                if (nextArea >= cowChunks) {
                    return committed; // zero_memory_area fails: "Error reading/writing"
                }
            }
            committed++;
        }
    }

    @Provide
    Arbitrary<Integer> chunkSizes() {
        return Arbitraries.of(1, 2, 4, 8, 16);
    }

    @Property(tries = 300)
    void fullCoverageHoldsEveryOriginChunkAndOneChunkLessDoesNot(
            @ForAll @LongRange(min = 1, max = 40_000) long originSectors, @ForAll("chunkSizes") int chunkSize) {
        long full = CowSizing.fullCoverageSectors(originSectors, chunkSize);
        long originChunks = CowSizing.originChunks(originSectors, chunkSize);
        assertEquals(0, full % chunkSize);
        assertEquals(originChunks, Math.min(originChunks, modelCapacity(full, chunkSize)));
        assertEquals(originChunks - 1, modelCapacity(full - chunkSize, chunkSize));
    }

    @Property(tries = 500)
    void capacityMatchesTheKernelsAllocator(
            @ForAll @LongRange(min = 0, max = 60_000) long cowSectors, @ForAll("chunkSizes") int chunkSize) {
        assertEquals(modelCapacity(cowSectors, chunkSize), CowSizing.exceptionCapacity(cowSectors, chunkSize));
    }

    @Test
    void lvm2sFormulaAtTheAreaBoundary() {
        // chunk size 8: 256 records per area. 256 origin chunks fill area 0 exactly, so area 1 is the
        // terminator: 1 header + 256 data + 2 metadata chunks.
        assertEquals((1 + 256 + 2) * 8, CowSizing.fullCoverageSectors(256 * 8, 8));
        assertEquals((1 + 255 + 1) * 8, CowSizing.fullCoverageSectors(255 * 8, 8));
        assertEquals((1 + 257 + 2) * 8, CowSizing.fullCoverageSectors(257 * 8 - 3, 8));
        // 1 GiB origin, 4 KiB chunks: 262144 chunks, 1025 metadata chunks.
        assertEquals((1 + 262_144 + 1_025) * 8L, CowSizing.fullCoverageSectors(2_097_152, 8));
    }

    @Test
    void kernelsWithTheLeakGetOneChunkInSixtyFourMore() {
        long n = 1 + 255 + 1;
        assertEquals((n + (n + 63) / 64) * 8, CowSizing.fullCoverageSectors(255 * 8, 8, false));
    }

    @Test
    void minimumIsThreeChunks() {
        assertEquals(24, CowSizing.minimumSectors(8));
        assertEquals(1, CowSizing.exceptionCapacity(24, 8));
        assertEquals(0, CowSizing.exceptionCapacity(16, 8));
    }

    @Test
    void badArgumentsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> CowSizing.fullCoverageSectors(0, 8));
        assertThrows(IllegalArgumentException.class, () -> CowSizing.fullCoverageSectors(8, 12));
        assertThrows(IllegalArgumentException.class, () -> CowSizing.exceptionCapacity(-1, 8));
    }
}
