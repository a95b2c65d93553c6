package dev.snapstore.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.snapstore.spi.BlockDevice;
import dev.snapstore.spi.MemoryBlockDevice;
import dev.snapstore.spi.Usage;
import dev.snapstore.testkit.CapturingLog;
import dev.snapstore.testkit.SectorPattern;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.statistics.Statistics;

/**
 * Differential tests: random sequences of origin writes, snapshot writes and reads, reloads, new
 * snapshots and merges run against the engine and against a trivial model (byte arrays of the
 * origin's and each snapshot's view), comparing every read. Each sequence runs against every store
 * kind: N, and the persistent double as P and PO; the real P and PO in a property of their own.
 */
class EngineDifferentialTest {

    static final int SECTORS = 300; // not a multiple of any chunk size above 4: a partial last chunk
    static final int SECTOR = 512;

    enum Type {
        ORIGIN_WRITE,
        SNAP_WRITE,
        SNAP_READ,
        ORIGIN_READ,
        RELOAD,
        ADD_SNAPSHOT,
        START_MERGE,
        MERGE_STEPS,
        FINISH_MERGE
    }

    /** One step; the numbers are reduced to valid sectors, counts and indexes when it runs. */
    record Op(Type type, int a, int b, int c) {
        @Override
        public String toString() {
            return type + "(" + a + "," + b + "," + c + ")";
        }
    }

    @Provide
    Arbitrary<List<Op>> sequences() {
        Arbitrary<Type> type = Arbitraries.frequency(
                Tuple.of(22, Type.ORIGIN_WRITE),
                Tuple.of(22, Type.SNAP_WRITE),
                Tuple.of(10, Type.SNAP_READ),
                Tuple.of(6, Type.ORIGIN_READ),
                Tuple.of(8, Type.RELOAD),
                Tuple.of(10, Type.ADD_SNAPSHOT),
                Tuple.of(8, Type.START_MERGE),
                Tuple.of(8, Type.MERGE_STEPS),
                Tuple.of(6, Type.FINISH_MERGE));
        Arbitrary<Integer> n = Arbitraries.integers().between(0, 9999);
        return Combinators.combine(type, n, n, n)
                .as(Op::new)
                .list()
                .ofMinSize(1)
                .ofMaxSize(60);
    }

    @Property(tries = 150)
    void engineMatchesTheModel(@ForAll("sequences") List<Op> ops, @ForAll @IntRange(min = 0, max = 4) int shift)
            throws Exception {
        for (StoreKind kind : List.of(StoreKind.N, StoreKind.SIM_P, StoreKind.SIM_PO)) {
            Run run = new Run(kind, 1 << shift);
            run.play(ops);
            if (kind == StoreKind.SIM_P) {
                Statistics.label("merges finished").collect(run.mergesFinished > 0);
                Statistics.label("reloads with exceptions").collect(run.reloadsWithExceptions > 0);
                Statistics.label("most snapshots at once").collect(run.mostSnapshots);
            }
        }
    }

    @Property(tries = 60)
    void engineMatchesTheModelWithTheRealPersistentStore(
            @ForAll("sequences") List<Op> ops, @ForAll @IntRange(min = 0, max = 4) int shift) throws Exception {
        for (StoreKind kind : List.of(StoreKind.P, StoreKind.PO, StoreKind.N)) {
            new Run(kind, 1 << shift).play(ops);
        }
    }

    private static byte[] originImage;

    static synchronized byte[] originImage() throws IOException {
        if (originImage == null) {
            MemoryBlockDevice d = new MemoryBlockDevice("pattern", SECTORS);
            SectorPattern.fill(d, "ORIGIN");
            ByteBuffer b = ByteBuffer.allocate(SECTORS * SECTOR);
            d.read(0, b);
            originImage = b.array();
        }
        return originImage;
    }

    /** A snapshot with its model. */
    static final class SnapModel {
        Snapshot snap;
        final MemoryBlockDevice cow;
        final int cs;
        final int length;
        final byte[] view;
        boolean merging;

        SnapModel(MemoryBlockDevice cow, int cs, int length, byte[] view) {
            this.cow = cow;
            this.cs = cs;
            this.length = length;
            this.view = view;
        }
    }

    /** One sequence against one store kind. */
    static final class Run {
        final StoreKind kind;
        final SimPersistentStoreType sim = new SimPersistentStoreType();
        final CapturingLog log = new CapturingLog();
        final MemoryBlockDevice originDevice = new MemoryBlockDevice("origin", SECTORS);
        final byte[] originModel;
        final List<SnapModel> snaps = new ArrayList<>();
        Origin origin;
        int step;
        int mergesFinished;
        int reloadsWithExceptions;
        int mostSnapshots;

        Run(StoreKind kind, int firstChunkSize) throws Exception {
            this.kind = kind;
            originModel = originImage().clone();
            originDevice.write(0, ByteBuffer.wrap(originModel.clone()));
            origin = new Origin(originDevice, log);
            addSnapshot(firstChunkSize, SECTORS);
        }

        void play(List<Op> ops) throws Exception {
            for (Op op : ops) {
                step++;
                apply(op);
            }
            checkEverything();
        }

        private String where() {
            return kind + " step " + step;
        }

        private void apply(Op op) throws Exception {
            switch (op.type()) {
                case ORIGIN_WRITE -> {
                    int s = op.a() % SECTORS;
                    int n = 1 + op.b() % Math.min(24, SECTORS - s);
                    byte[] data = SectorPattern.sectors("O" + step, s, n);
                    origin.write(s, ByteBuffer.wrap(data));
                    System.arraycopy(data, 0, originModel, s * SECTOR, data.length);
                }
                case SNAP_WRITE -> {
                    SnapModel m = pick(op.c());
                    if (m == null) {
                        return;
                    }
                    int s = op.a() % m.length;
                    int n = 1 + op.b() % Math.min(24, m.length - s);
                    byte[] data = SectorPattern.sectors("S" + step, s, n);
                    if (m.merging) {
                        assertThrows(SnapshotIOException.class, () -> m.snap.write(s, ByteBuffer.wrap(data)), where());
                        return;
                    }
                    m.snap.write(s, ByteBuffer.wrap(data));
                    System.arraycopy(data, 0, m.view, s * SECTOR, data.length);
                }
                case SNAP_READ -> {
                    SnapModel m = pick(op.c());
                    if (m == null) {
                        return;
                    }
                    int s = op.a() % m.length;
                    int n = 1 + op.b() % Math.min(64, m.length - s);
                    if (m.merging) {
                        assertThrows(SnapshotIOException.class, () -> m.snap.read(s, ByteBuffer.allocate(n * SECTOR)));
                        return;
                    }
                    assertArrayEquals(
                            Arrays.copyOfRange(m.view, s * SECTOR, (s + n) * SECTOR), read(m.snap, s, n), where());
                }
                case ORIGIN_READ -> {
                    int s = op.a() % SECTORS;
                    int n = 1 + op.b() % Math.min(64, SECTORS - s);
                    assertArrayEquals(
                            Arrays.copyOfRange(originModel, s * SECTOR, (s + n) * SECTOR), read(origin, s, n), where());
                }
                case RELOAD -> reload();
                case ADD_SNAPSHOT -> {
                    if (snaps.size() < 3 && merging() == null) {
                        addSnapshot(1 << (op.a() % 5), op.b() % 4 == 0 ? SECTORS - op.b() % 60 : SECTORS);
                    }
                }
                case START_MERGE -> startMerge(op);
                case MERGE_STEPS -> {
                    SnapModel m = merging();
                    if (m != null) {
                        for (int i = 0; i <= op.a() % 4; i++) {
                            m.snap.mergeStep();
                        }
                    }
                }
                case FINISH_MERGE -> finishMerge();
            }
        }

        private SnapModel pick(int c) {
            return snaps.isEmpty() ? null : snaps.get(c % snaps.size());
        }

        private SnapModel merging() {
            for (SnapModel m : snaps) {
                if (m.merging) {
                    return m;
                }
            }
            return null;
        }

        private void addSnapshot(int cs, int length) throws Exception {
            MemoryBlockDevice cow = new MemoryBlockDevice("cow" + snaps.size() + "@" + step, 2048);
            SnapModel m = new SnapModel(cow, cs, length, Arrays.copyOf(originModel, length * SECTOR));
            m.snap = origin.createSnapshot(kind.types(sim), kind.typeWord, String.valueOf(cs), cow, length);
            m.snap.activate();
            snaps.add(m);
            mostSnapshots = Math.max(mostSnapshots, snaps.size());
        }

        private void reload() throws Exception {
            if (!kind.survivesReload()) {
                return;
            }
            for (SnapModel m : snaps) {
                if (m.snap.exceptionCount() > 0) {
                    reloadsWithExceptions++;
                }
            }
            origin.close();
            origin = new Origin(originDevice, log);
            for (SnapModel m : snaps) {
                m.snap = origin.createSnapshot(kind.types(sim), kind.typeWord, String.valueOf(m.cs), m.cow, m.length);
                m.snap.activate();
            }
            for (SnapModel m : snaps) {
                if (m.merging) {
                    m.snap.startMerge();
                }
            }
        }

        private void startMerge(Op op) throws Exception {
            SnapModel m = pick(op.c());
            if (m == null || m.merging) {
                return;
            }
            if (!kind.supportsMerge()) {
                SnapshotTargetException e = assertThrows(SnapshotTargetException.class, m.snap::startMerge);
                assertEquals("Snapshot exception store does not support snapshot-merge.", e.getMessage());
                return;
            }
            if (merging() != null) {
                SnapshotTargetException e = assertThrows(SnapshotTargetException.class, m.snap::startMerge);
                assertEquals("A snapshot is already merging.", e.getMessage());
                return;
            }
            if (m.length != SECTORS) {
                // Merging a snapshot shorter than its origin also copies the rest of its last chunk,
                // which this model does not follow.
                return;
            }
            m.snap.startMerge();
            m.merging = true;
            System.arraycopy(m.view, 0, originModel, 0, originModel.length);
            assertArrayEquals(originModel, read(origin, 0, SECTORS), where() + ": the merge view");
        }

        private void finishMerge() throws Exception {
            SnapModel m = merging();
            if (m == null) {
                return;
            }
            m.snap.mergeAll();
            assertTrue(m.snap.isMergeFinished(), where());
            Usage usage = m.snap.usage();
            assertEquals(usage.metadataSectors(), usage.allocatedSectors(), where() + ": allocated == metadata");
            assertArrayEquals(originModel, read(originDevice, 0, SECTORS), where());
            m.snap.close();
            snaps.remove(m);
            mergesFinished++;
        }

        private void checkEverything() throws Exception {
            for (SnapModel m : snaps) {
                assertTrue(m.snap.isValid(), where());
                if (!m.merging) {
                    assertArrayEquals(m.view, read(m.snap, 0, m.length), where() + ": snapshot");
                }
            }
            assertArrayEquals(originModel, read(origin, 0, SECTORS), where() + ": origin");
            if (merging() == null) {
                assertArrayEquals(originModel, read(originDevice, 0, SECTORS), where() + ": origin device");
            }
            assertEquals(List.of(), log.lines(), where());
            origin.close();
        }

        private static byte[] read(BlockDevice d, long s, int n) throws IOException {
            ByteBuffer b = ByteBuffer.allocate(n * SECTOR);
            d.read(s, b);
            return b.array();
        }
    }
}
