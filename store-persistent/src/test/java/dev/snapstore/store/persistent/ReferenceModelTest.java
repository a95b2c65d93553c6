package dev.snapstore.store.persistent;

import static dev.snapstore.store.persistent.Harness.Ex;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.snapstore.cow.CowFormat;
import dev.snapstore.spi.ChunkSize;
import dev.snapstore.spi.ExceptionStore;
import dev.snapstore.spi.MemoryBlockDevice;
import dev.snapstore.spi.MergeRun;
import dev.snapstore.spi.MetadataState;
import dev.snapstore.spi.Usage;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;

/**
 * The store against a model that is just a list: random prepares (several in flight), commits of
 * some of them, reloads and merge steps, on chunk sizes that make areas small. After every step
 * the callbacks that fired, the allocations, the merge runs, the usage numbers and (on reload) the
 * loaded table must be what the list predicts.
 *
 * <p>The model's closed forms: the {@code i}th exception ever allocated in a table goes to chunk
 * {@code 2 + i + i / epa} (data chunks skip one metadata chunk per area); with {@code c} committed
 * and {@code p} in flight, usage is {@code (2 + (c + p) + (c + p) / epa) * cs} allocated and
 * {@code (2 + c / epa) * cs} metadata; a batch is written when nothing is in flight or an area
 * fills, and filling an area whose successor lies beyond the device invalidates the store.
 */
class ReferenceModelTest {

    sealed interface Op permits Prepare, Commit, Reload, Merge {}

    record Prepare(int count, int gap) implements Op {}

    record Commit(int count) implements Op {}

    record Reload() implements Op {}

    record Merge(int steps) implements Op {}

    record Setup(int chunkSize, long chunks) {}

    @Provide
    Arbitrary<Setup> setups() {
        Arbitrary<Integer> cs = Arbitraries.of(1, 2);
        Arbitrary<Integer> areas = Arbitraries.integers().between(0, 5);
        Arbitrary<Integer> extra = Arbitraries.frequencyOf(
                Tuple.of(2, Arbitraries.just(0)), // exactly area_location(k): exact fill
                Tuple.of(1, Arbitraries.just(1)),
                Tuple.of(3, Arbitraries.integers().between(2, 70)));
        return Combinators.combine(cs, areas, extra)
                .as((c, a, e) -> new Setup(c, 1 + (c * 32L + 1) * a + e + (a == 0 ? 2 : 0)));
    }

    @Provide
    Arbitrary<List<Op>> ops() {
        Arbitrary<Op> op = Arbitraries.frequencyOf(
                Tuple.of(
                        10,
                        Combinators.combine(
                                        Arbitraries.integers().between(1, 8),
                                        Arbitraries.integers().between(0, 3))
                                .as(Prepare::new)),
                Tuple.of(8, Arbitraries.integers().between(1, 8).map(Commit::new)),
                Tuple.of(2, Arbitraries.just(new Reload())),
                Tuple.of(2, Arbitraries.integers().between(1, 6).map(Merge::new)));
        return op.list().ofMinSize(1).ofMaxSize(80);
    }

    /** The model: the list, plus what is in flight and the flags the kernel keeps. */
    static final class Model {
        final int cs;
        final int epa;
        final long chunks;
        final List<Ex> durable = new ArrayList<>();
        final List<Ex> committed = new ArrayList<>();
        final List<Ex> inFlight = new ArrayList<>();
        int unwritten;
        boolean valid = true;
        boolean merging;

        Model(int cs, long chunks) {
            this.cs = cs;
            this.epa = cs * 32;
            this.chunks = chunks;
        }

        long dataChunk(long i) {
            return 2 + i + i / epa;
        }

        long nextChunk() {
            return dataChunk(committed.size() + inFlight.size());
        }

        Usage usage() {
            long c = committed.size();
            long p = inFlight.size();
            return new Usage(chunks * cs, dataChunk(c + p) * cs, (2 + c / epa) * cs);
        }
    }

    @Property(tries = 300)
    void storeBehavesLikeAList(@ForAll("setups") Setup setup, @ForAll("ops") List<Op> ops) throws Exception {
        int cs = setup.chunkSize();
        MemoryBlockDevice dev = new MemoryBlockDevice("cow", setup.chunks() * cs);
        Model m = new Model(cs, setup.chunks());
        PersistentStore store = Harness.open(dev, cs);
        assertEquals(MetadataState.VALID, store.readMetadata((o, n) -> {}));
        assertEquals(m.usage(), store.usage());
        List<Boolean> fired = new ArrayList<>();
        List<Boolean> expectedFired = new ArrayList<>();
        long old = 100;
        for (Op op : ops) {
            if (op instanceof Prepare p) {
                if (m.merging) {
                    store = reload(dev, m);
                }
                for (int i = 0; i < p.count(); i++) {
                    old += 1 + (i == 0 ? p.gap() : 0);
                    long expected = m.nextChunk() + 1 > m.chunks ? ExceptionStore.NO_SPACE : m.nextChunk();
                    long got = store.prepareException(old);
                    assertEquals(expected, got, "prepare " + old);
                    if (got != ExceptionStore.NO_SPACE) {
                        m.inFlight.add(new Ex(old, got));
                    }
                }
            } else if (op instanceof Commit c) {
                commit(store, m, Math.min(c.count(), m.inFlight.size()), fired, expectedFired);
            } else if (op instanceof Reload) {
                commit(store, m, m.inFlight.size(), fired, expectedFired);
                store = reload(dev, m);
            } else if (op instanceof Merge g) {
                commit(store, m, m.inFlight.size(), fired, expectedFired);
                if (!m.valid) {
                    store = reload(dev, m); // dm-snap does not merge an invalid snapshot
                }
                m.merging = true;
                for (int s = 0; s < g.steps(); s++) {
                    Optional<MergeRun> run = store.prepareMerge();
                    assertEquals(expectedRun(m), run);
                    if (run.isEmpty()) {
                        break;
                    }
                    store.commitMerge(run.get().count());
                    int keep = m.committed.size() - run.get().count();
                    m.committed.subList(keep, m.committed.size()).clear();
                    m.durable.subList(keep, m.durable.size()).clear();
                }
            }
            assertEquals(expectedFired, fired, "callbacks after " + op);
            assertEquals(m.usage(), store.usage(), "usage after " + op);
        }
    }

    /** Commits the {@code n} oldest exceptions in flight, predicting the batch writes. */
    private static void commit(
            PersistentStore store, Model m, int n, List<Boolean> fired, List<Boolean> expectedFired) {
        for (int i = 0; i < n; i++) {
            Ex e = m.inFlight.remove(0);
            store.commitException(e.oldChunk(), e.newChunk(), true, fired::add);
            m.committed.add(e);
            m.unwritten++;
            boolean areaFull = m.committed.size() % m.epa == 0;
            if (m.inFlight.isEmpty() || areaFull) {
                // zero_disk_area(next) fails when the next area lies beyond the device.
                long nextArea = CowFormat.areaLocation(m.epa, m.committed.size() / m.epa);
                if (areaFull && nextArea >= m.chunks) {
                    m.valid = false;
                }
                if (m.valid) {
                    m.durable.clear();
                    m.durable.addAll(m.committed);
                }
                for (int k = 0; k < m.unwritten; k++) {
                    expectedFired.add(m.valid);
                }
                m.unwritten = 0;
            }
        }
    }

    private static PersistentStore reload(MemoryBlockDevice dev, Model m) throws Exception {
        PersistentStore store = Harness.open(dev, m.cs);
        Harness.Loaded loaded = Harness.load(store);
        assertEquals(new Harness.Loaded(MetadataState.VALID, m.durable), loaded);
        m.committed.clear();
        m.committed.addAll(m.durable);
        m.valid = true;
        m.merging = false;
        assertEquals(m.usage(), store.usage(), "usage after reload");
        return store;
    }

    /** The newest run of records going down by one in both numbers, within the newest area. */
    private static Optional<MergeRun> expectedRun(Model m) {
        int c = m.committed.size();
        if (c == 0) {
            return Optional.empty();
        }
        int areaStart = (c - 1) / m.epa * m.epa;
        Ex last = m.committed.get(c - 1);
        int n = 1;
        while (c - 1 - n >= areaStart) {
            Ex e = m.committed.get(c - 1 - n);
            if (e.oldChunk() != last.oldChunk() - n || e.newChunk() != last.newChunk() - n) {
                break;
            }
            n++;
        }
        return Optional.of(new MergeRun(n, last.oldChunk(), last.newChunk()));
    }

    static {
        // The model's arithmetic assumes 512-byte sectors.
        assert ChunkSize.SECTOR_SIZE == 512;
    }
}
