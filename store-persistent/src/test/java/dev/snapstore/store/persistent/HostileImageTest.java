package dev.snapstore.store.persistent;

import static dev.snapstore.store.persistent.Harness.Ex;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.snapstore.cow.CowFormat;
import dev.snapstore.spi.BlockDevice;
import dev.snapstore.spi.ChunkSize;
import dev.snapstore.spi.Errno;
import dev.snapstore.spi.ExceptionStore;
import dev.snapstore.spi.KernelLog;
import dev.snapstore.spi.MemoryBlockDevice;
import dev.snapstore.spi.MergeRun;
import dev.snapstore.spi.MetadataState;
import dev.snapstore.spi.StoreContext;
import dev.snapstore.spi.StoreException;
import dev.snapstore.spi.Usage;
import dev.snapstore.testkit.AdjustableMemoryDevice;
import dev.snapstore.testkit.FaultInjectingBlockDevice;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * COW images the kernel never writes (spec §1.5, §6): the store must load them as the kernel
 * does where the kernel accepts them (records are not validated, they go to the sink as they are),
 * report I/O past the end of the device as an error naming the area, and never run out of memory,
 * loop, or fail with anything but a {@link StoreException}.
 */
class HostileImageTest {

    /** A COW with a valid header (chunk size {@code cs}) and the given records in area 0 onwards. */
    static MemoryBlockDevice cow(int cs, long sectors, long[][] records) {
        MemoryBlockDevice dev = new MemoryBlockDevice("hostile", sectors);
        Harness.write(dev, 0, Arrays.copyOf(StoreBehaviourTest.header(1, 1, cs), ChunkSize.SECTOR_SIZE));
        int epa = cs * 32;
        for (int i = 0; i < records.length; i++) {
            long area = i / epa;
            long sector = (1 + (epa + 1L) * area) * cs;
            int inSector = (i % epa) % 32;
            long recordSector = sector + (i % epa) / 32;
            ByteBuffer r = ByteBuffer.wrap(Harness.read(dev, recordSector, 1)).order(ByteOrder.LITTLE_ENDIAN);
            r.putLong(inSector * 16, records[i][0]).putLong(inSector * 16 + 8, records[i][1]);
            Harness.write(dev, recordSector, r.array());
        }
        return dev;
    }

    private static Harness.Loaded load(BlockDevice dev, int cs) throws StoreException {
        return Harness.load(Harness.open(dev, cs));
    }

    @Test
    void recordsAreReportedAsTheyAreWithoutValidation() throws Exception {
        long[][] records = {
            {5, 1}, // points at area 0 itself
            {6, 34}, // points at area 1
            {7, 1_000_000_000_000L}, // far past the end
            {5, 9}, // duplicate origin chunk
            {0x8000_0000_0000_0007L, 10}, // top bit set in the origin chunk
            {8, 0x0100_0000_0000_0003L}, // consecutive-count bits set in the new chunk
        };
        MemoryBlockDevice dev = cow(1, 200, records);
        PersistentStore store = Harness.open(dev, 1);
        Harness.Loaded loaded = Harness.load(store);
        assertEquals(MetadataState.VALID, loaded.state());
        List<Ex> expected = new ArrayList<>();
        for (long[] r : records) {
            expected.add(new Ex(r[0], r[1]));
        }
        assertEquals(expected, loaded.exceptions());
        // next_free = max(new) + 1, as unsigned numbers: far past the end, so the store is full.
        assertEquals(ExceptionStore.NO_SPACE, store.prepareException(1));
        assertEquals((0x0100_0000_0000_0003L + 1), store.usage().allocatedSectors());
    }

    @Test
    void mergeRunsNeedBothChunkNumbersToStepDown() throws Exception {
        // Not something the kernel writes (it allocates in order), but a loaded table may hold it.
        MemoryBlockDevice dev = cow(1, 200, new long[][] {{5, 2}, {6, 9}, {7, 10}, {8, 11}, {20, 12}, {21, 13}});
        PersistentStore store = Harness.open(dev, 1);
        Harness.load(store);
        List<MergeRun> runs = new ArrayList<>();
        for (var r = store.prepareMerge(); r.isPresent(); r = store.prepareMerge()) {
            runs.add(r.get());
            store.commitMerge(r.get().count());
        }
        assertEquals(List.of(new MergeRun(2, 21, 13), new MergeRun(3, 8, 11), new MergeRun(1, 5, 2)), runs);
    }

    @Test
    void aNewChunkOfAllOnesCannotMakeTheStoreHandOutTheHeader() throws Exception {
        // The kernel's next_free wraps to 0 here and its full check passes, so it would allocate
        // chunk 0, the header. This store reports the COW full instead.
        MemoryBlockDevice dev = cow(1, 200, new long[][] {{3, -1L}});
        PersistentStore store = Harness.open(dev, 1);
        assertEquals(List.of(new Ex(3, -1L)), Harness.load(store).exceptions());
        assertEquals(ExceptionStore.NO_SPACE, store.prepareException(4));
        assertEquals(new Usage(200, 0, 2), store.usage(), "usage wraps as the kernel's does");
    }

    @Test
    void recordsAfterTheEndMarkerAreIgnoredAndClearedOnTheNextCommit() throws Exception {
        MemoryBlockDevice dev = cow(1, 200, new long[][] {{1, 2}, {2, 3}, {0, 0}, {9, 77}, {10, 78}});
        // A later area full of junk is never read either.
        Harness.write(dev, 34, StoreBehaviourTest.filled(1, (byte) 0x33));
        PersistentStore store = Harness.open(dev, 1);
        assertEquals(List.of(new Ex(1, 2), new Ex(2, 3)), Harness.load(store).exceptions());
        assertEquals(new Usage(200, 4, 2), store.usage());
        // The next commit writes record 2 and, unlike the kernel, zeros where 9->77 and 10->78 were:
        // otherwise two more commits would bring them back as live exceptions.
        StoreBehaviourTest.commit(store, 3);
        StoreBehaviourTest.commit(store, 4);
        List<Ex> again = StoreBehaviourTest.reload(dev, 1);
        assertEquals(List.of(new Ex(1, 2), new Ex(2, 3), new Ex(3, 4), new Ex(4, 5)), again);
        assertArrayEquals(new byte[512 - 64], Arrays.copyOfRange(Harness.read(dev, 1, 1), 64, 512));
    }

    /**
     * A COW of chunk size 1 whose areas 0 to {@code areas - 1} fit and are full of non-zero
     * records, and whose area {@code areas} would lie just past its end.
     */
    private static MemoryBlockDevice endless(int areas) {
        long sectors = 33L * areas + 1;
        MemoryBlockDevice dev = new MemoryBlockDevice("endless", sectors);
        byte[] junk = new byte[(int) sectors * 512];
        Arrays.fill(junk, (byte) 0x11);
        Harness.write(dev, 0, junk);
        Harness.write(dev, 0, Arrays.copyOf(StoreBehaviourTest.header(1, 1, 1), 512));
        return dev;
    }

    @Test
    void tablesThatNeverEndStopAtTheDeviceEndWithAnError() throws Exception {
        // Every area full of non-zero records, up to the end of the device: the kernel reads on
        // until an area lies beyond the end, and the load fails with EIO.
        int cs = 1;
        MemoryBlockDevice dev = endless(4); // area 4 would be chunk 133, just past the end
        int[] count = new int[1];
        PersistentStore store = Harness.open(dev, cs);
        StoreException e = assertThrows(StoreException.class, () -> store.readMetadata((o, n) -> count[0]++));
        assertEquals(Errno.EIO, e.errno());
        assertEquals(4 * 32, count[0]);
        assertTrue(e.getMessage().startsWith("cannot read metadata area 4 (chunk 133): "), e.getMessage());
        assertTrue(e.getMessage().contains("attempt to access beyond end of device"), e.getMessage());
    }

    @ParameterizedTest
    @EnumSource(AreaReader.ReadAhead.class)
    void everyReadAheadStopsALongTableAtTheDeviceEndAndAtAFailingAreaAsTheKernel(AreaReader.ReadAhead readAhead)
            throws Exception {
        // Tables long enough for read-ahead to start (groups of areas on the fast memory device
        // when ADAPTIVE): a table that never ends, and one whose area 30 cannot be read.
        int cs = 1;
        MemoryBlockDevice dev = endless(40); // area 40 would be chunk 1321, just past the end
        int[] count = new int[1];
        PersistentStore endless =
                new PersistentStore(new StoreContext(dev, cs, 512, KernelLog.DISCARD), false, readAhead);
        StoreException e = assertThrows(StoreException.class, () -> endless.readMetadata((o, n) -> count[0]++));
        assertEquals(Errno.EIO, e.errno());
        assertEquals(40 * 32, count[0]);
        assertTrue(e.getMessage().startsWith("cannot read metadata area 40 (chunk 1321): "), e.getMessage());
        assertTrue(e.getMessage().contains("attempt to access beyond end of device"), e.getMessage());

        FaultInjectingBlockDevice failing = FaultInjectingBlockDevice.passThrough(dev);
        failing.failIf(ev -> ev.kind() == FaultInjectingBlockDevice.Kind.READ && ev.sector() == 1 + 33 * 30);
        count[0] = 0;
        PersistentStore broken =
                new PersistentStore(new StoreContext(failing, cs, 512, KernelLog.DISCARD), false, readAhead);
        e = assertThrows(StoreException.class, () -> broken.readMetadata((o, n) -> count[0]++));
        assertEquals(Errno.EIO, e.errno());
        assertEquals(30 * 32, count[0]);
        assertTrue(e.getMessage().startsWith("cannot read metadata area 30 (chunk 991): "), e.getMessage());
    }

    @Test
    void aShrunkDeviceThatCutsAnAreaFailsToLoad() throws Exception {
        AdjustableMemoryDevice dev = new AdjustableMemoryDevice("cow", 64 * 8);
        PersistentStore store = Harness.open(dev, 8);
        Harness.load(store);
        for (int i = 0; i < 30; i++) {
            StoreBehaviourTest.commit(store, i);
        }
        dev.resize(8 + 4); // header and half of area 0
        StoreException e = assertThrows(StoreException.class, () -> Harness.load(Harness.open(dev, 8)));
        assertEquals(Errno.EIO, e.errno());
        assertTrue(e.getMessage().contains("metadata area 0"), e.getMessage());
        dev.resize(4); // not even the header
        StoreException h = assertThrows(StoreException.class, () -> Harness.load(Harness.open(dev, 8)));
        assertEquals(Errno.EIO, h.errno());
        assertTrue(h.getMessage().startsWith("cannot read the snapshot header"), h.getMessage());
    }

    @Test
    void aHugeOnDiskChunkSizeOnASmallDeviceFailsWithoutAllocatingIt() throws Exception {
        MemoryBlockDevice dev = new MemoryBlockDevice("cow", 4096);
        Harness.write(dev, 0, Arrays.copyOf(StoreBehaviourTest.header(1, 1, 1 << 21), 512));
        List<String> log = new ArrayList<>();
        PersistentStore store = Harness.open(dev, 8, false, log);
        StoreException e = assertThrows(StoreException.class, () -> store.readMetadata((o, n) -> {}));
        assertEquals(Errno.EIO, e.errno());
        assertEquals(1 << 21, store.chunkSize());
        assertEquals(
                List.of(
                        "device-mapper: persistent snapshot: chunk size 2097152 in device metadata overrides table chunk size of 8."),
                log);
    }

    @Test
    void anEnormousSparseDeviceIsFine() throws Exception {
        long sectors = 1L << 50;
        MemoryBlockDevice dev = new MemoryBlockDevice("huge", sectors);
        PersistentStore store = Harness.open(dev, 8);
        Harness.load(store);
        assertEquals(new Usage(sectors, 16, 16), store.usage());
        StoreBehaviourTest.commit(store, Long.MAX_VALUE);
        assertEquals(List.of(new Ex(Long.MAX_VALUE, 2)), StoreBehaviourTest.reload(dev, 8));
    }

    // ---- properties: random bytes must give a load or a StoreException, nothing else ----

    record Image(int tableChunkSize, int sectors, byte[] header, byte[] body, long seed) {}

    @Provide
    Arbitrary<Image> images() {
        Arbitrary<Integer> magic = Arbitraries.frequencyOf(
                Tuple.of(6, Arbitraries.just(CowFormat.SNAP_MAGIC)),
                Tuple.of(1, Arbitraries.just(0)),
                Tuple.of(1, Arbitraries.integers()));
        Arbitrary<Integer> valid = Arbitraries.of(0, 1, 2, -1);
        Arbitrary<Integer> version =
                Arbitraries.frequencyOf(Tuple.of(6, Arbitraries.just(1)), Tuple.of(1, Arbitraries.integers()));
        Arbitrary<Integer> chunk = Arbitraries.frequencyOf(
                Tuple.of(8, Arbitraries.of(1, 2, 4, 8)),
                Tuple.of(1, Arbitraries.of(0, 3, 12, 1 << 21, 1 << 22, -1, Integer.MIN_VALUE)),
                Tuple.of(1, Arbitraries.integers()));
        Arbitrary<byte[]> header = Combinators.combine(magic, valid, version, chunk)
                .as((m, v, ver, c) -> ByteBuffer.allocate(16)
                        .order(ByteOrder.LITTLE_ENDIAN)
                        .putInt(m)
                        .putInt(v)
                        .putInt(ver)
                        .putInt(c)
                        .array());
        Arbitrary<Integer> sectors = Arbitraries.integers().between(1, 600);
        Arbitrary<Integer> table = Arbitraries.of(0, 1, 2, 4, 8);
        Arbitrary<Long> seed = Arbitraries.longs();
        Arbitrary<Integer> density = Arbitraries.integers().between(0, 3);
        return Combinators.combine(table, sectors, header, seed, density).as((t, s, h, sd, d) -> {
            Random r = new Random(sd);
            byte[] body = new byte[s * ChunkSize.SECTOR_SIZE];
            // density 0: all zero; 1: sparse records; 2: full random; 3: "full" areas (no zero new chunk)
            switch (d) {
                case 1 -> {
                    for (int i = 0; i + 16 <= body.length; i += 16) {
                        if (r.nextInt(4) != 0) {
                            ByteBuffer.wrap(body, i, 16)
                                    .order(ByteOrder.LITTLE_ENDIAN)
                                    .putLong(r.nextInt(1000))
                                    .putLong(r.nextInt(8) == 0 ? 0 : r.nextInt(1000));
                        }
                    }
                }
                case 2 -> r.nextBytes(body);
                case 3 -> Arrays.fill(body, (byte) (1 + r.nextInt(255)));
                default -> {}
            }
            return new Image(t, s, h, body, sd);
        });
    }

    @Property(tries = 400)
    void randomImagesLoadOrFailWithAStoreException(@ForAll("images") Image image) throws Exception {
        MemoryBlockDevice dev = new MemoryBlockDevice("random", image.sectors());
        Harness.write(dev, 0, image.body());
        Harness.write(dev, 0, Arrays.copyOf(image.header(), ChunkSize.SECTOR_SIZE));
        PersistentStore store = new PersistentStore(
                new StoreContext(dev, image.tableChunkSize(), 512, KernelLog.DISCARD),
                false,
                AreaReader.ReadAhead.ALWAYS);
        long[] count = new long[1];
        MetadataState state;
        try {
            state = store.readMetadata((o, n) -> count[0]++);
        } catch (StoreException e) {
            assertTrue(e.errno() == Errno.EIO || e.errno() == Errno.EINVAL || e.errno() == Errno.ENXIO, e.toString());
            return;
        }
        int cs = store.chunkSize();
        long chunks = image.sectors() / cs;
        assertTrue(count[0] <= chunks * cs * 32L, "more records than the device can hold");
        store.usage();
        if (state == MetadataState.VALID) {
            // Whatever was loaded, the store never hands out the header, a metadata area or a
            // chunk beyond the end.
            long c = store.prepareException(12345);
            if (c != ExceptionStore.NO_SPACE) {
                assertTrue(c >= 2 && c < chunks && c % (cs * 32 + 1) != 1, "allocated " + c);
                store.commitException(12345, c, true, ok -> {});
            }
            store.dropSnapshot();
        }
    }

    @Property(tries = 200)
    void completelyRandomDevicesLoadOrFailWithAStoreException(
            @ForAll @IntRange(min = 1, max = 80) int sectors,
            @ForAll long seed,
            @ForAll("tableChunkSizes") int tableChunkSize) {
        byte[] bytes = new byte[sectors * ChunkSize.SECTOR_SIZE];
        new Random(seed).nextBytes(bytes);
        MemoryBlockDevice dev = new MemoryBlockDevice("random", sectors);
        Harness.write(dev, 0, bytes);
        PersistentStore store = new PersistentStore(
                new StoreContext(dev, tableChunkSize, 512, KernelLog.DISCARD), false, AreaReader.ReadAhead.ALWAYS);
        try {
            store.readMetadata((o, n) -> {});
        } catch (StoreException e) {
            // expected for almost all of them: bad magic
        }
    }

    @Provide
    Arbitrary<Integer> tableChunkSizes() {
        return Arbitraries.of(0, 1, 2, 8);
    }
}
