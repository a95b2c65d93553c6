package dev.snapstore.store.persistent;

import static dev.snapstore.store.persistent.Harness.Ex;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.snapstore.spi.ChunkSize;
import dev.snapstore.spi.MemoryBlockDevice;
import dev.snapstore.spi.MergeRun;
import dev.snapstore.spi.MetadataState;
import dev.snapstore.spi.Usage;
import dev.snapstore.testkit.FixtureWrite;
import dev.snapstore.testkit.Fixtures;
import dev.snapstore.testkit.Hashes;
import dev.snapstore.testkit.SectorPattern;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * s5-merge-handover-P-cs8: the kernel merged a snapshot back into its origin with
 * {@code snapshot-merge}; the fixture has the merged COW and origin, the statuses the kernel showed
 * while merging and the hashes before and after. This test rebuilds the pre-merge state from the
 * fixture's write list, merges with {@code prepareMerge}/{@code commitMerge}, and compares every
 * observable with the kernel's.
 */
class KernelMergeTest {

    private static final String FIXTURE = "s5-merge-handover-P-cs8";
    private static final Pattern POLL =
            Pattern.compile("merge status \\(poll \\d+, [^)]*\\): 0 \\d+ snapshot-merge (\\d+/\\d+ \\d+)");

    @Test
    void mergeStepsAndTheMergedCowMatchTheKernel() throws Exception {
        String scenario = Fixtures.text(FIXTURE, "scenario.txt");
        int cs = KernelImageTest.tableChunkSize(FIXTURE);
        MemoryBlockDevice kernelCow = Harness.image(FIXTURE, "cow-final.img.xz");
        MemoryBlockDevice mergedOrigin = Harness.image(FIXTURE, "origin-final.img.xz");

        // The origin before the merge: the ORIGIN pattern plus the origin writes.
        MemoryBlockDevice origin = new MemoryBlockDevice("origin", mergedOrigin.sizeInSectors());
        Harness.fillPattern(origin, "ORIGIN");
        for (FixtureWrite w : FixtureWrite.of(FIXTURE)) {
            if (w.toOrigin()) {
                origin.write(w.sector(), ByteBuffer.wrap(SectorPattern.sectors(w.tag(), w.sector(), w.count())));
            }
        }
        assertEquals(Fixtures.expected(FIXTURE, "expected orig sha256"), Hashes.sha256(origin));
        assertEquals(Harness.lineAfterColon(scenario, "orig sha256 before merge"), Hashes.sha256(origin));

        // The COW before the merge: the exceptions in the order the writes created them, with the
        // data chunks the kernel left behind (a merge does not wipe them).
        MemoryBlockDevice cow = new MemoryBlockDevice("cow", kernelCow.sizeInSectors());
        PersistentStore store = Harness.open(cow, cs);
        Harness.load(store);
        List<Ex> exceptions = new ArrayList<>();
        for (long old : KernelImageTest.allocationOrder(FIXTURE, cs)) {
            long c = store.prepareException(old);
            Harness.copyChunk(kernelCow, cow, c, cs);
            Harness.commitNow(store, old, c);
            exceptions.add(new Ex(old, c));
        }
        List<String> statuses = Harness.snapshotStatuses(FIXTURE, "scenario.txt");
        assertEquals(Fixtures.usage(statuses.get(0)), store.usage(), "status before the merge");
        assertEquals(
                Harness.lineAfterColon(scenario, "snap sha256 before merge"),
                Harness.snapshotSha256(origin, cow, cs, exceptions));

        // Merge: newest first, copying each run from the COW to the origin, as snapshot-merge does.
        List<Usage> steps = new ArrayList<>();
        List<Integer> runs = new ArrayList<>();
        for (Optional<MergeRun> run = store.prepareMerge(); run.isPresent(); run = store.prepareMerge()) {
            MergeRun r = run.get();
            ByteBuffer data = ByteBuffer.allocate(r.count() * cs * ChunkSize.SECTOR_SIZE);
            cow.read(r.firstNew() * cs, data);
            origin.write(r.firstOld() * cs, data.flip());
            store.commitMerge(r.count());
            steps.add(store.usage());
            runs.add(r.count());
        }
        // One run of two (chunks 100 and 101 went to COW chunks 4 and 5); all others are single.
        assertEquals(exceptions.size() - 1, runs.size());
        assertEquals(1, runs.stream().filter(n -> n == 2).count());

        // Every status the kernel showed while merging is one of our steps, in the same order.
        Matcher m = POLL.matcher(scenario);
        int at = 0;
        int polls = 0;
        while (m.find()) {
            Usage poll = Fixtures.usage(m.group(1));
            while (at < steps.size() && !steps.get(at).equals(poll)) {
                at++;
            }
            assertTrue(at < steps.size(), "kernel status " + poll + " is not among our merge steps " + steps);
            polls++;
        }
        assertTrue(polls >= 2);
        Usage done = store.usage();
        assertEquals(done.allocatedSectors(), done.metadataSectors(), "merge finished: allocated == metadata");
        assertEquals(Fixtures.usage(statuses.get(statuses.size() - 1)), steps.get(steps.size() - 1));

        // The merged origin and COW, byte for byte.
        assertEquals(Harness.lineAfterColon(scenario, "orig sha256 after merge"), Hashes.sha256(origin));
        assertEquals(Fixtures.imageSha256(FIXTURE, "origin-final.img"), Hashes.sha256(origin));
        assertEquals(
                Fixtures.imageSha256(FIXTURE, "cow-final.img"),
                Hashes.sha256(cow),
                Harness.firstDifference(Harness.readAll(kernelCow), Harness.readAll(cow)));

        // "reload the merged COW as a normal snapshot".
        PersistentStore reloaded = Harness.open(cow, cs);
        assertEquals(new Harness.Loaded(MetadataState.VALID, List.of()), Harness.load(reloaded));
        assertEquals(Fixtures.usage(statuses.get(statuses.size() - 1)), reloaded.usage());
    }
}
