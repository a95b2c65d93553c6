package dev.snapstore.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.snapstore.engine.ActivationException.Problem;
import dev.snapstore.engine.ActivationException.Role;
import dev.snapstore.spi.Errno;
import dev.snapstore.testkit.CapturingLog;
import dev.snapstore.testkit.Fixtures;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The engine's activation on image files: what the CLI's image commands get, as library API. */
class ActivationTest {

    private static final String FIXTURE = "s4-overflow-a-PO-snap-writes";

    @TempDir
    Path dir;

    private Path origin;
    private Path cow;

    @BeforeEach
    void images() {
        origin = Fixtures.unpack(FIXTURE, "origin-final.img.xz", dir.resolve("origin.img"));
        cow = Fixtures.unpack(FIXTURE, "cow-final.img.xz", dir.resolve("cow.img"));
    }

    private ActivationException refused(ActivationRequest request) {
        return assertThrows(ActivationException.class, () -> Activation.open(request));
    }

    @Test
    void aReadOnlyActivationShowsTheSnapshotAndWritesNothing() throws Exception {
        byte[] originBytes = Files.readAllBytes(origin);
        byte[] cowBytes = Files.readAllBytes(cow);
        ActivationRequest request = ActivationRequest.of(origin, cow, "PO");
        try (Activation activation = Activation.open(request)) {
            assertEquals(request, activation.request());
            assertFalse(activation.isNewCow());
            assertTrue(activation.snapshot().isActive());
            assertEquals(8, activation.snapshot().chunkSize());
            assertEquals(List.of(activation.snapshot()), activation.origin().snapshots());
            // Snapshot writes go to the overlay (chunk 1 is in the full COW already); the origin is read-only.
            activation.snapshot().write(8, ByteBuffer.allocate(4096));
            assertThrows(IOException.class, () -> activation.origin().write(8, ByteBuffer.allocate(4096)));
        }
        assertArrayEquals(originBytes, Files.readAllBytes(origin));
        assertArrayEquals(cowBytes, Files.readAllBytes(cow));
    }

    @Test
    void aNewCowIsInitialisedOnlyWhereTheAccessAllows() throws Exception {
        Path blank = Files.write(dir.resolve("blank.img"), new byte[64 * 1024]);
        try (Activation activation =
                Activation.open(ActivationRequest.of(origin, blank, "P").withChunkSize("8"))) {
            assertTrue(activation.isNewCow());
            assertEquals("16/128 16", activation.snapshot().status().format());
        }
        assertArrayEquals(new byte[64 * 1024], Files.readAllBytes(blank), "read-only: the header stays in memory");

        ActivationRequest writable =
                ActivationRequest.of(origin, blank, "P").withChunkSize("8").withAccess(Activation.Access.COW);
        ActivationException e = refused(writable.withHeaderRequired(true));
        assertEquals(Problem.NO_HEADER, e.problem());
        assertEquals(
                "COW " + blank + " has no snapshot header (magic 0): it was never activated, so it holds no snapshot",
                e.getMessage());
        assertArrayEquals(new byte[64 * 1024], Files.readAllBytes(blank), "refused before anything was written");

        Activation activation = Activation.open(writable);
        assertTrue(activation.isNewCow());
        activation.close();
        activation.close(); // closing twice does nothing
        assertEquals(
                0x70416e53,
                ByteBuffer.wrap(Files.readAllBytes(blank))
                        .order(ByteOrder.LITTLE_ENDIAN)
                        .getInt(0));
        try (Activation again = Activation.open(writable.withHeaderRequired(true))) {
            assertFalse(again.isNewCow());
        }
    }

    @Test
    void severalCowsAreSeveralSnapshotsOfOneOrigin() throws Exception {
        Path first = Files.write(dir.resolve("first.img"), new byte[256 * 1024]);
        Path second = Files.write(dir.resolve("second.img"), new byte[256 * 1024]);
        ActivationRequest request = ActivationRequest.of(origin, first, "P")
                .withChunkSize("8")
                .withAccess(Activation.Access.ORIGIN_AND_COW)
                .withCows(List.of(first, second));
        assertEquals(List.of(first, second), request.cows());
        assertEquals(first, request.cow());
        byte[] before = new byte[4096];
        try (Activation activation = Activation.open(request)) {
            assertEquals(2, activation.snapshots().size());
            assertEquals(activation.snapshots().get(0), activation.snapshot());
            assertTrue(activation.isNewCow(0));
            assertTrue(activation.isNewCow(1));
            assertEquals(2, activation.origin().snapshots().size());
            activation.origin().read(0, ByteBuffer.wrap(before));
            ByteBuffer ones = ByteBuffer.allocate(4096);
            while (ones.hasRemaining()) {
                ones.put((byte) 1);
            }
            activation.origin().write(0, ones.flip());
            // The origin write copied chunk 0 out to both snapshots; a write to one leaves the other alone.
            ByteBuffer twos = ByteBuffer.allocate(512);
            while (twos.hasRemaining()) {
                twos.put((byte) 2);
            }
            activation.snapshots().get(1).write(0, twos.flip());
            byte[] seen = new byte[4096];
            activation.snapshots().get(0).read(0, ByteBuffer.wrap(seen));
            assertArrayEquals(before, seen);
            activation.snapshots().get(1).read(0, ByteBuffer.wrap(seen));
            assertEquals(2, seen[0]);
            assertEquals(before[600], seen[600]);
        }
        for (Path cowPath : List.of(first, second)) {
            try (Activation again = Activation.open(ActivationRequest.of(origin, cowPath, "P"))) {
                assertEquals(1, again.snapshot().exceptionCount(), cowPath::toString);
            }
        }
        // One COW twice: the second lock on it is refused first; without locks, the engine refuses it.
        ActivationRequest twice = request.withCows(List.of(first, first));
        assertEquals(Problem.IN_USE, refused(twice).problem());
        assertThrows(SnapshotTargetException.class, () -> Activation.open(twice.withLocking(Activation.Locking.NONE)));
        ActivationException e = refused(request.withCows(List.of(first, origin)));
        assertEquals(Problem.SAME_DEVICE, e.problem());
        assertThrows(IllegalArgumentException.class, () -> request.withCows(List.of()));
    }

    @Test
    void missingFilesAndDirectoriesAreNamedWithTheirRole() {
        Path nope = dir.resolve("nope");
        ActivationException e = refused(ActivationRequest.of(nope, cow, "P"));
        assertEquals(Problem.NO_SUCH_FILE, e.problem());
        assertEquals(Role.ORIGIN, e.role());
        assertEquals(nope, e.path());
        assertEquals("origin " + nope + ": no such file", e.getMessage());
        assertEquals(Errno.ENODEV, e.errno());
        e = refused(ActivationRequest.of(origin, dir, "P"));
        assertEquals(Problem.IS_DIRECTORY, e.problem());
        assertEquals(Role.COW, e.role());
        assertEquals("COW " + dir + ": is a directory, not an image", e.getMessage());
    }

    @Test
    void oneFileAsOriginAndCowIsRefusedByIdentity() throws IOException {
        Path link = Files.createSymbolicLink(dir.resolve("link.img"), cow);
        byte[] cowBytes = Files.readAllBytes(cow);
        for (Path originPath : new Path[] {cow, link}) {
            ActivationException e =
                    refused(ActivationRequest.of(originPath, cow, "P").withAccess(Activation.Access.ORIGIN_AND_COW));
            assertEquals(Problem.SAME_DEVICE, e.problem(), e::getMessage);
            assertEquals("COW device cannot be the same as origin device (" + cow + ")", e.getMessage());
            assertEquals(Errno.EINVAL, e.errno());
        }
        assertArrayEquals(cowBytes, Files.readAllBytes(cow));
    }

    @Test
    void tooSmallImagesAreRefused() throws IOException {
        Path empty = Files.write(dir.resolve("empty"), new byte[0]);
        Path tiny = Files.write(dir.resolve("tiny"), new byte[100]);
        ActivationException e = refused(ActivationRequest.of(empty, cow, "P"));
        assertEquals(Problem.EMPTY_ORIGIN, e.problem());
        assertEquals("origin " + empty + " is empty (less than one 512-byte sector)", e.getMessage());
        e = refused(ActivationRequest.of(origin, tiny, "P"));
        assertEquals(Problem.COW_TOO_SMALL, e.problem());
        assertEquals(
                tiny + ": too small to be a COW (100 bytes; the snapshot header needs at least one 512-byte sector)",
                e.getMessage());
    }

    @Test
    void aCowWithChunksPastTheOriginsEndIsRefusedFromTheLoadedTable() throws IOException {
        // The COW holds chunks 1 to 6; an origin of 6 chunks ends before chunk 6.
        Path shorter = Files.write(dir.resolve("short.img"), new byte[6 * 4096]);
        CapturingLog log = new CapturingLog();
        ActivationException e = refused(ActivationRequest.of(shorter, cow, "P")
                .withChunkSize("16")
                .withLog(log)
                .withAccess(Activation.Access.ORIGIN_AND_COW));
        assertEquals(Problem.ORIGIN_TOO_SHORT, e.problem());
        assertEquals(
                "origin " + shorter + " (24576 bytes) is shorter than the snapshot in " + cow
                        + ": it holds origin chunk 6 (chunk size 8 sectors), past the origin's end",
                e.getMessage());
        // The store warned that the header's chunk size wins; a failed activation passes on no line.
        assertEquals(List.of(), log.lines());
        try (Activation activation = Activation.open(
                ActivationRequest.of(origin, cow, "P").withChunkSize("16").withLog(log))) {
            assertEquals(8, activation.snapshot().chunkSize());
            assertEquals(
                    List.of("device-mapper: persistent snapshot: chunk size 8 in device metadata overrides table"
                            + " chunk size of 16."),
                    log.lines());
        }
    }

    @Test
    void theKernelsErrorsAreTargetExceptions() {
        SnapshotTargetException e = assertThrows(
                SnapshotTargetException.class, () -> Activation.open(ActivationRequest.of(origin, cow, "X")));
        assertEquals("Couldn't create exception store", e.getMessage());
        assertEquals("Exception store type is not P or N", e.innerMessage());
        e = assertThrows(
                SnapshotTargetException.class,
                () -> Activation.open(ActivationRequest.of(origin, cow, "P").withChunkSize("3")));
        assertEquals("Chunk size is not a power of 2", e.innerMessage());
    }

    @Test
    void theOriginsSizeWithoutActivating() throws ActivationException {
        assertEquals(4 * 1024 * 1024 / 512, Activation.originSectors(origin));
        assertEquals(
                Problem.NO_SUCH_FILE,
                assertThrows(ActivationException.class, () -> Activation.originSectors(dir.resolve("nope")))
                        .problem());
    }
}
