package dev.snapstore.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.snapstore.dm.SnapshotStatus;
import dev.snapstore.dm.TargetKind;
import dev.snapstore.spi.BeyondEndOfDeviceException;
import dev.snapstore.spi.BlockDevice;
import dev.snapstore.spi.Errno;
import dev.snapstore.spi.MemoryBlockDevice;
import dev.snapstore.spi.StoreTypes;
import dev.snapstore.spi.Usage;
import dev.snapstore.testkit.CapturingLog;
import dev.snapstore.testkit.FaultInjectingBlockDevice;
import dev.snapstore.testkit.FaultInjectingBlockDevice.Kind;
import dev.snapstore.testkit.SectorPattern;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** snapshot_ctr, status strings, snapshot_map and __origin_write, one rule at a time. */
class SnapshotTest {

    static final String NO_ALLOC = "device-mapper: snapshots: Invalidating snapshot: Unable to allocate exception.";
    static final String IO_ERROR = "device-mapper: snapshots: Invalidating snapshot: Error reading/writing.";
    static final String OVERFLOW = "device-mapper: snapshots: Snapshot overflowed: Unable to allocate exception.";

    final SimPersistentStoreType sim = new SimPersistentStoreType();
    final CapturingLog log = new CapturingLog();

    static MemoryBlockDevice origin(long sectors) throws IOException {
        MemoryBlockDevice d = new MemoryBlockDevice("origin", sectors);
        SectorPattern.fill(d, "ORIGIN");
        return d;
    }

    Snapshot snapshot(Origin origin, StoreKind kind, int cs, BlockDevice cow) throws SnapshotTargetException {
        Snapshot s =
                origin.createSnapshot(kind.types(sim), kind.typeWord, String.valueOf(cs), cow, origin.sizeInSectors());
        s.activate();
        return s;
    }

    static byte[] read(BlockDevice d, long sector, int count) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(count * 512);
        d.read(sector, b);
        return b.array();
    }

    static void write(BlockDevice d, long sector, String tag, int count) throws IOException {
        d.write(sector, ByteBuffer.wrap(SectorPattern.sectors(tag, sector, count)));
    }

    static byte[] pattern(String tag, long sector, int count) {
        return SectorPattern.sectors(tag, sector, count);
    }

    @Test
    void aLargeReadIsOneDeviceReadPerRunOfChunksThatMapAlike() throws Exception {
        FaultInjectingBlockDevice originDevice = new FaultInjectingBlockDevice(origin(256));
        FaultInjectingBlockDevice cow = FaultInjectingBlockDevice.ofMemory("cow", 256);
        Origin origin = new Origin(originDevice, log);
        // N hands out COW chunks 0, 1, 2 in order: chunks 4 and 5 land side by side, 7 after them.
        Snapshot s = snapshot(origin, StoreKind.N, 8, cow);
        write(s, 32, "A", 8);
        write(s, 40, "B", 8);
        write(s, 56, "C", 8);
        originDevice.clearEvents();
        cow.clearEvents();
        byte[] expected = pattern("ORIGIN", 0, 128);
        System.arraycopy(pattern("A", 32, 8), 0, expected, 32 * 512, 8 * 512);
        System.arraycopy(pattern("B", 40, 8), 0, expected, 40 * 512, 8 * 512);
        System.arraycopy(pattern("C", 56, 8), 0, expected, 56 * 512, 8 * 512);
        assertArrayEquals(expected, read(s, 0, 128));
        // origin: chunks 0-3, 6, 8-15; COW: chunks 4-5, 7
        assertEquals(3, originDevice.reads(), originDevice.trace().toString());
        assertEquals(2, cow.reads(), cow.trace().toString());
        // A read that starts and ends inside chunks gives the same bytes.
        assertArrayEquals(Arrays.copyOfRange(expected, 3 * 512, 61 * 512), read(s, 3, 58));
        s.close();
    }

    // --- snapshot_ctr -----------------------------------------------------------------------

    @Test
    void constructorErrorsAreTheKernels() throws Exception {
        Origin origin = new Origin(origin(64), log);
        MemoryBlockDevice cow = new MemoryBlockDevice("cow", 64);
        StoreTypes types = StoreTypes.load();

        SnapshotTargetException e =
                assertThrows(SnapshotTargetException.class, () -> origin.createSnapshot(types, "X", "8", cow, 64));
        assertEquals("Couldn't create exception store", e.getMessage());
        assertEquals("Exception store type is not P or N", e.innerMessage());
        assertEquals(Errno.EINVAL, e.errno());

        e = assertThrows(SnapshotTargetException.class, () -> origin.createSnapshot(types, "N", "3", cow, 64));
        assertEquals("Couldn't create exception store", e.getMessage());
        assertEquals("Chunk size is not a power of 2", e.innerMessage());

        e = assertThrows(SnapshotTargetException.class, () -> origin.createSnapshot(types, "N", "0", cow, 64));
        assertEquals("Chunk size not set", e.getMessage());

        e = assertThrows(
                SnapshotTargetException.class, () -> origin.createSnapshot(types, "N", "8", origin.device(), 64));
        assertEquals("COW device cannot be the same as origin device", e.getMessage());

        Snapshot first = origin.createSnapshot(types, "N", "8", cow, 64);
        e = assertThrows(SnapshotTargetException.class, () -> origin.createSnapshot(types, "N", "8", cow, 64));
        assertEquals("Snapshot cow pairing for exception table handover failed", e.getMessage());
        first.close();

        MemoryBlockDevice tiny = new MemoryBlockDevice("tiny", 8);
        e = assertThrows(
                SnapshotTargetException.class,
                () -> origin.createSnapshot(StoreKind.SIM_P.types(sim), "P", "8", tiny, 64));
        assertEquals("Failed to read snapshot metadata", e.getMessage());
        assertEquals("zero_disk_area(0) failed", e.innerMessage());
        assertEquals(Errno.EIO, e.errno());

        assertThrows(IllegalArgumentException.class, () -> origin.createSnapshot(types, "N", "8", cow, 65));
        assertEquals(List.of(), origin.snapshots());
    }

    @Test
    void anInvalidatedStoreLoadsAsAnInvalidSnapshot() throws Exception {
        MemoryBlockDevice cow = new MemoryBlockDevice("cow", 1024);
        sim.disk(cow).formatted = true;
        sim.disk(cow).chunkSize = 8;
        sim.disk(cow).valid = false;
        Origin origin = new Origin(origin(64), log);
        Snapshot s = snapshot(origin, StoreKind.SIM_P, 8, cow);
        assertFalse(s.isValid());
        assertEquals("Invalid", s.status().format());
        assertEquals(List.of("device-mapper: snapshots: Snapshot is marked invalid."), log.lines());
        assertThrows(SnapshotIOException.class, () -> read(s, 0, 1));
        // The origin is unaffected and copies nothing to an invalid snapshot.
        write(origin, 0, "W", 8);
        assertArrayEquals(pattern("W", 0, 8), read(origin, 0, 8));
    }

    @Test
    void statusAndTableText() throws Exception {
        Origin origin = new Origin(origin(64), log);
        Snapshot n = snapshot(origin, StoreKind.N, 8, new MemoryBlockDevice("cow", 16384));
        assertEquals("0/16384 0", n.status().format());
        assertEquals("254:0 254:16 N 8", n.tableStatus("254:0", "254:16"));
        assertEquals(
                "target_name=snapshot,target_version=1.16.0,snap_origin_name=254:0,snap_cow_name=254:16,"
                        + "snap_valid=y,snap_merge_failed=n,snapshot_overflowed=n;",
                n.imaStatus("254:0", "254:16"));
        Snapshot p = snapshot(origin, StoreKind.SIM_PO, 16, new MemoryBlockDevice("cow2", 16384));
        assertEquals("32/16384 32", p.status().format());
        assertEquals("254:0 254:32 PO 16", p.tableStatus("254:0", "254:32"));
        // The value behind the text, and the target it reports.
        assertEquals(SnapshotStatus.of(new Usage(16384, 32, 32)), p.status());
        assertEquals(TargetKind.SNAPSHOT, p.targetKind());
        // Largest chunk size first (__insert_snapshot).
        assertEquals(List.of(p, n), origin.snapshots());
    }

    // --- copy-on-write -----------------------------------------------------------------------

    /** spec §6 edge case 22: after an origin write the snapshot still reads the old data. */
    @ParameterizedTest
    @EnumSource(names = {"N", "SIM_P", "SIM_PO", "P", "PO"})
    void originWritesCopyTheOldDataFirst(StoreKind kind) throws Exception {
        MemoryBlockDevice originDevice = origin(256);
        MemoryBlockDevice cow = new MemoryBlockDevice("cow", 1024);
        Origin origin = new Origin(originDevice, log);
        Snapshot s = snapshot(origin, kind, 8, cow);
        write(origin, 17, "NEW", 3);
        assertArrayEquals(pattern("NEW", 17, 3), read(origin, 17, 3));
        assertArrayEquals(pattern("ORIGIN", 0, 256), read(s, 0, 256));
        assertEquals(1, s.exceptionCount());
        write(origin, 20, "NEWER", 2); // same chunk: no second copy
        assertEquals(1, s.exceptionCount());
        if (kind.survivesReload()) {
            origin.close();
            Origin again = new Origin(originDevice, log);
            Snapshot reloaded = snapshot(again, kind, 8, cow);
            assertArrayEquals(pattern("ORIGIN", 0, 256), read(reloaded, 0, 256));
            assertEquals(1, reloaded.exceptionCount());
        }
        assertEquals(List.of(), log.lines());
    }

    /** spec §6 edge case 23: a write of exactly one whole chunk skips the origin read. */
    @Test
    void aWholeChunkSnapshotWriteDoesNotReadTheOrigin() throws Exception {
        FaultInjectingBlockDevice originDevice = FaultInjectingBlockDevice.passThrough(origin(256));
        Origin origin = new Origin(originDevice, log);
        Snapshot s = snapshot(origin, StoreKind.N, 8, new MemoryBlockDevice("cow", 1024));
        write(s, 16, "FULL", 8);
        assertEquals(0, originDevice.reads());
        assertArrayEquals(pattern("FULL", 16, 8), read(s, 16, 8));
        write(s, 33, "PART", 2);
        assertEquals(1, originDevice.reads());
        byte[] expected = pattern("ORIGIN", 32, 8);
        System.arraycopy(pattern("PART", 33, 2), 0, expected, 512, 1024);
        assertArrayEquals(expected, read(s, 32, 8));
        assertArrayEquals(pattern("ORIGIN", 32, 8), read(origin, 32, 8));
    }

    /** spec §6 edge case 24: the last origin chunk is copied short when the origin ends inside it. */
    @Test
    void aPartialLastChunkIsCopiedShort() throws Exception {
        MemoryBlockDevice originDevice = origin(100); // chunk 12 holds sectors 96..99 only
        MemoryBlockDevice cow = new MemoryBlockDevice("cow", 1024);
        FaultInjectingBlockDevice hookedCow = FaultInjectingBlockDevice.passThrough(cow);
        Origin origin = new Origin(originDevice, log);
        Snapshot s = snapshot(origin, StoreKind.N, 8, hookedCow);
        write(origin, 97, "END", 1);
        // The transient store put chunk 12's copy at COW chunk 0: 4 sectors copied, the rest untouched.
        assertArrayEquals(pattern("ORIGIN", 96, 4), read(cow, 0, 4));
        assertArrayEquals(new byte[4 * 512], read(cow, 4, 4));
        assertArrayEquals(pattern("ORIGIN", 96, 4), read(s, 96, 4));
    }

    /** spec §6 edge case 25: origin writes past a snapshot's length copy nothing to it. */
    @Test
    void originWritesBeyondTheSnapshotDoNotCopy() throws Exception {
        Origin origin = new Origin(origin(256), log);
        Snapshot s = origin.createSnapshot(StoreTypes.load(), "N", "8", new MemoryBlockDevice("cow", 1024), 100);
        s.activate();
        write(origin, 100, "BEYOND", 8); // sector 100 >= length 100: nothing to do
        assertEquals(0, s.exceptionCount());
        write(origin, 96, "EDGE", 8); // starts inside: chunk 12 is copied
        assertEquals(1, s.exceptionCount());
        assertArrayEquals(pattern("ORIGIN", 96, 4), read(s, 96, 4));
        assertThrows(BeyondEndOfDeviceException.class, () -> read(s, 96, 8));
    }

    /** spec §6 edge case 26: no copy-out before the snapshot is resumed. */
    @Test
    void noCopyOutBeforeActivation() throws Exception {
        Origin origin = new Origin(origin(64), log);
        Snapshot s = origin.createSnapshot(StoreTypes.load(), "N", "8", new MemoryBlockDevice("cow", 1024), 64);
        write(origin, 0, "EARLY", 8);
        assertEquals(0, s.exceptionCount());
        assertThrows(IllegalStateException.class, () -> read(s, 0, 1));
        s.activate();
        assertArrayEquals(pattern("EARLY", 0, 8), read(s, 0, 8));
        write(origin, 0, "LATE", 8);
        assertArrayEquals(pattern("EARLY", 0, 8), read(s, 0, 8));
        assertEquals(1, s.exceptionCount());
    }

    /** Origin writes are split at the smallest chunk size and copy to every snapshot first. */
    @Test
    void originWritesCopyToEverySnapshotAtTheirOwnChunkSize() throws Exception {
        Origin origin = new Origin(origin(512), log);
        Snapshot big = snapshot(origin, StoreKind.N, 32, new MemoryBlockDevice("cow32", 4096));
        Snapshot small = snapshot(origin, StoreKind.SIM_P, 4, new MemoryBlockDevice("cow4", 4096));
        Snapshot mid = snapshot(origin, StoreKind.N, 8, new MemoryBlockDevice("cow8", 4096));
        assertEquals(List.of(big, mid, small), origin.snapshots());
        write(origin, 62, "SPAN", 4); // sectors 62..65: crosses a boundary of every chunk size
        assertEquals(2, big.exceptionCount());
        assertEquals(2, mid.exceptionCount());
        assertEquals(2, small.exceptionCount());
        for (Snapshot s : List.of(big, mid, small)) {
            assertArrayEquals(pattern("ORIGIN", 0, 512), read(s, 0, 512));
        }
        assertEquals("16/4096 8", small.status().format()); // header, area 0, two data chunks of 4 sectors
    }

    @Test
    void snapshotWritesAndReads() throws Exception {
        Origin origin = new Origin(origin(128), log);
        Snapshot s = snapshot(origin, StoreKind.SIM_P, 8, new MemoryBlockDevice("cow", 1024));
        write(s, 3, "S", 10); // two chunks, partially
        byte[] expected = pattern("ORIGIN", 0, 128);
        System.arraycopy(pattern("S", 3, 10), 0, expected, 3 * 512, 10 * 512);
        assertArrayEquals(expected, read(s, 0, 128));
        assertArrayEquals(pattern("ORIGIN", 0, 128), read(origin, 0, 128));
        assertEquals(2, s.exceptionCount());
        // Origin writes to chunks the snapshot already has do not touch it.
        write(origin, 0, "O", 16);
        assertArrayEquals(expected, read(s, 0, 128));
        assertEquals("32/1024 16", s.status().format());
    }

    // --- full COW (spec §5.8) ----------------------------------------------------------------

    @ParameterizedTest
    @EnumSource(names = {"N", "SIM_P", "SIM_PO", "P", "PO"})
    void snapshotWriteToAFullCow(StoreKind kind) throws Exception {
        MemoryBlockDevice originDevice = origin(256);
        MemoryBlockDevice cow = new MemoryBlockDevice("cow", 64);
        Origin origin = new Origin(originDevice, log);
        Snapshot s = snapshot(origin, kind, 8, cow);
        int room = kind.persistent ? 6 : 8;
        for (int i = 0; i < room; i++) {
            write(s, 8 * i, "W" + i, 8);
        }
        assertEquals(kind.persistent ? "64/64 16" : "64/64 0", s.status().format());
        assertThrows(SnapshotIOException.class, () -> write(s, 8 * room, "FULL", 1));
        if (kind.simulated) {
            assertEquals(kind.overflows(), sim.disk(cow).valid, "PO keeps the header valid, P drops it");
        }
        if (kind.overflows()) {
            assertTrue(s.isValid());
            assertEquals("Overflow", s.status().format());
            assertEquals(List.of(OVERFLOW), log.lines());
            assertArrayEquals(pattern("W1", 8, 8), read(s, 8, 8));
            assertArrayEquals(pattern("ORIGIN", 8 * room, 8), read(s, 8 * room, 8));
            assertThrows(SnapshotIOException.class, () -> write(s, 8, "AGAIN", 1));
            assertThrows(SnapshotIOException.class, () -> write(s, 8 * room + 8, "MORE", 1));
            assertEquals(List.of(OVERFLOW), log.lines());
            // An origin write that needs a chunk invalidates even a PO snapshot.
            write(origin, 200, "ORIG", 8);
            assertEquals("Invalid", s.status().format());
            assertEquals(List.of(OVERFLOW, NO_ALLOC), log.lines());
        } else {
            assertFalse(s.isValid());
            assertEquals("Invalid", s.status().format());
            assertEquals(List.of(NO_ALLOC), log.lines());
            assertThrows(SnapshotIOException.class, () -> read(s, 8, 1));
            assertThrows(SnapshotIOException.class, () -> write(s, 8, "AGAIN", 1));
        }
    }

    @ParameterizedTest
    @EnumSource(names = {"N", "SIM_P", "SIM_PO", "P", "PO"})
    void originWriteToAFullCowInvalidatesWhateverTheOption(StoreKind kind) throws Exception {
        MemoryBlockDevice cow = new MemoryBlockDevice("cow", kind.persistent ? 24 : 8);
        Origin origin = new Origin(origin(64), log);
        Snapshot s = snapshot(origin, kind, 8, cow);
        write(origin, 0, "A", 8); // takes the only data chunk
        assertTrue(s.isValid());
        write(origin, 8, "B", 8); // no room: the snapshot is invalidated, the origin written
        assertArrayEquals(pattern("B", 8, 8), read(origin, 8, 8));
        assertEquals("Invalid", s.status().format());
        assertEquals(List.of(NO_ALLOC), log.lines());
        write(origin, 16, "C", 8);
        assertEquals(List.of(NO_ALLOC), log.lines(), "invalidated once");
        if (kind.simulated) {
            assertFalse(sim.disk(cow).valid, "dropped: the header says invalid");
        }
    }

    @Test
    void overflowDoesNotDropTheStoreAndReloadsValid() throws Exception {
        MemoryBlockDevice originDevice = origin(256);
        MemoryBlockDevice cow = new MemoryBlockDevice("cow", 24);
        Origin origin = new Origin(originDevice, log);
        Snapshot s = snapshot(origin, StoreKind.SIM_PO, 8, cow);
        write(s, 0, "ONE", 8);
        assertThrows(SnapshotIOException.class, () -> write(s, 8, "TWO", 8));
        assertEquals("Overflow", s.status().format());
        assertTrue(sim.disk(cow).valid);
        origin.close();
        Origin again = new Origin(originDevice, log);
        Snapshot reloaded = snapshot(again, StoreKind.SIM_PO, 8, cow);
        assertEquals("24/24 16", reloaded.status().format());
        assertArrayEquals(pattern("ONE", 0, 8), read(reloaded, 0, 8));
    }

    @Test
    void copyErrorsInvalidate() throws Exception {
        FaultInjectingBlockDevice cow = FaultInjectingBlockDevice.passThrough(new MemoryBlockDevice("cow", 1024));
        Origin origin = new Origin(origin(64), log);
        Snapshot s = snapshot(origin, StoreKind.SIM_P, 8, cow);
        cow.failIf(FaultInjectingBlockDevice.reaching(Kind.WRITE, 0));
        write(origin, 8, "X", 1); // the copy fails: invalidated, the origin write goes on
        assertEquals("Invalid", s.status().format());
        assertEquals(List.of(IO_ERROR), log.lines());
        assertArrayEquals(pattern("X", 8, 1), read(origin, 8, 1));
        assertFalse(sim.disk(cow).valid);
    }

    @Test
    void snapshotWriteWithACopyErrorFailsAndInvalidates() throws Exception {
        FaultInjectingBlockDevice originDevice = FaultInjectingBlockDevice.passThrough(origin(64));
        Origin origin = new Origin(originDevice, log);
        Snapshot s = snapshot(origin, StoreKind.N, 8, new MemoryBlockDevice("cow", 1024));
        originDevice.failIf(FaultInjectingBlockDevice.reaching(Kind.READ, 0));
        assertThrows(SnapshotIOException.class, () -> write(s, 9, "Y", 1));
        assertEquals("Invalid", s.status().format());
        assertEquals(List.of(IO_ERROR), log.lines());
    }

    @Test
    void metadataWriteErrorsInvalidate() throws Exception {
        MemoryBlockDevice cow = new MemoryBlockDevice("cow", 1024);
        Origin origin = new Origin(origin(64), log);
        Snapshot s = snapshot(origin, StoreKind.SIM_PO, 8, cow);
        write(origin, 0, "A", 1);
        sim.disk(cow).failMetadataWrites = true;
        assertThrows(SnapshotIOException.class, () -> write(s, 16, "B", 1));
        assertEquals("Invalid", s.status().format());
        assertEquals(List.of(IO_ERROR), log.lines());
        assertEquals(1, sim.disk(cow).records.size());
    }

    @Test
    void statusPriority() throws Exception {
        MemoryBlockDevice cow = new MemoryBlockDevice("cow", 24);
        Origin origin = new Origin(origin(64), log);
        Snapshot s = snapshot(origin, StoreKind.SIM_PO, 8, cow);
        write(s, 0, "A", 8);
        assertThrows(SnapshotIOException.class, () -> write(s, 8, "B", 8));
        assertEquals("Overflow", s.status().format());
        s.startMerge();
        sim.disk(cow).failCommitMerge = true;
        assertEquals(0, s.mergeStep());
        assertTrue(s.isMergeFailed());
        assertEquals("Merge failed", s.status().format());
        assertEquals(
                "target_name=snapshot-merge,target_version=1.5.0,snap_origin_name=a,snap_cow_name=b,"
                        + "snap_valid=y,snap_merge_failed=y,snapshot_overflowed=y;",
                s.imaStatus("a", "b"));
    }

    @Test
    void closedAndInactiveSnapshotsRefuseIo() throws Exception {
        Origin origin = new Origin(origin(64), log);
        Snapshot s = snapshot(origin, StoreKind.N, 8, new MemoryBlockDevice("cow", 1024));
        s.close();
        s.close();
        assertThrows(IllegalStateException.class, () -> read(s, 0, 1));
        assertEquals(List.of(), origin.snapshots());
        write(origin, 0, "AFTER", 8);
        assertNull(origin.mergingSnapshot().orElse(null));
    }
}
