package dev.snapstore.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.snapstore.engine.ActivationException.Problem;
import dev.snapstore.engine.ActivationException.Role;
import dev.snapstore.engine.ImageLock.Mode;
import dev.snapstore.spi.Errno;
import dev.snapstore.testkit.Fixtures;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The images' locks inside one JVM: POSIX locks cannot tell two holders in one process apart, so
 * the registry must. Between processes the CLI's LockingProcessTest covers them.
 */
class ImageLockTest {

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

    @Test
    void anExclusiveHolderKeepsEveryOtherOut() throws IOException {
        try (ImageLock writer = ImageLock.acquire(cow, Mode.EXCLUSIVE, false)) {
            assertEquals(Mode.EXCLUSIVE, writer.mode());
            ImageInUseException e =
                    assertThrows(ImageInUseException.class, () -> ImageLock.acquire(cow, Mode.EXCLUSIVE, false));
            assertTrue(e.isThisProcess());
            assertEquals(cow, e.path());
            assertTrue(e.getMessage().startsWith(cow + " is in use"), e.getMessage());
            assertThrows(ImageInUseException.class, () -> ImageLock.acquire(cow, Mode.SHARED, false));
            // A symbolic link is the same file.
            Path link = Files.createSymbolicLink(dir.resolve("link.img"), cow);
            assertThrows(ImageInUseException.class, () -> ImageLock.acquire(link, Mode.SHARED, false));
        }
        try (ImageLock again = ImageLock.acquire(cow, Mode.EXCLUSIVE, false)) {
            assertFalse(again.toString().contains("released"));
        }
    }

    @Test
    void sharedHoldersCoexistAndKeepAWriterOutUntilTheLastLetsGo() throws IOException {
        ImageLock first = ImageLock.acquire(cow, Mode.SHARED, false);
        ImageLock second = ImageLock.acquire(cow, Mode.SHARED, false);
        assertThrows(ImageInUseException.class, () -> ImageLock.acquire(cow, Mode.EXCLUSIVE, false));
        first.close();
        first.close();
        assertThrows(ImageInUseException.class, () -> ImageLock.acquire(cow, Mode.EXCLUSIVE, false));
        second.close();
        ImageLock.acquire(cow, Mode.EXCLUSIVE, false).close();
    }

    @Test
    void aWaitingHolderGetsTheImageWhenTheOtherLetsGo() throws Exception {
        ImageLock writer = ImageLock.acquire(cow, Mode.EXCLUSIVE, false);
        CompletableFuture<ImageLock> waiting = CompletableFuture.supplyAsync(() -> {
            try {
                return ImageLock.acquire(cow, Mode.EXCLUSIVE, true);
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });
        assertThrows(TimeoutException.class, () -> waiting.get(300, TimeUnit.MILLISECONDS));
        writer.close();
        waiting.get(10, TimeUnit.SECONDS).close();
    }

    @Test
    void twoWritingActivationsOfOneImageInOneJvmAreRefused() throws Exception {
        ActivationRequest request = ActivationRequest.of(origin, cow, "PO").withAccess(Activation.Access.COW);
        try (Activation first = Activation.open(request)) {
            assertTrue(first.snapshot().isActive());
            ActivationException e = assertThrows(ActivationException.class, () -> Activation.open(request));
            assertEquals(Problem.IN_USE, e.problem());
            assertEquals(Errno.EBUSY, e.errno());
            assertEquals(Role.COW, e.role());
            assertInstanceOf(ImageInUseException.class, e.getCause());
            assertTrue(e.getMessage().contains(cow.toString()), e.getMessage());
            // A reader of the same images is kept out as well; the origin is only shared by a snapshot write.
            ActivationException reader = assertThrows(
                    ActivationException.class, () -> Activation.open(ActivationRequest.of(origin, cow, "PO")));
            assertEquals(Role.COW, reader.role());
            ActivationException originWriter = assertThrows(
                    ActivationException.class,
                    () -> Activation.open(
                            ActivationRequest.of(origin, cow, "PO").withAccess(Activation.Access.ORIGIN_AND_COW)));
            assertEquals(Role.ORIGIN, originWriter.role());
            assertEquals(Problem.IN_USE, originWriter.problem());
        }
        Activation.open(request).close();
    }

    @Test
    void readOnlyActivationsShareTheImagesAndLockingCanBeTurnedOff() throws Exception {
        ActivationRequest reader = ActivationRequest.of(origin, cow, "PO");
        assertEquals(Activation.Locking.LOCK, reader.locking());
        try (Activation first = Activation.open(reader);
                Activation second = Activation.open(reader)) {
            assertEquals(first.snapshot().status(), second.snapshot().status());
            ActivationRequest unlocked =
                    reader.withAccess(Activation.Access.COW).withLocking(Activation.Locking.NONE);
            assertEquals(Activation.Locking.NONE, unlocked.locking());
            Activation.open(unlocked).close();
        }
    }

    @Test
    void aFifoIsRefusedBeforeItIsOpened() throws Exception {
        Path fifo = dir.resolve("fifo");
        Process mkfifo = new ProcessBuilder("mkfifo", fifo.toString()).start();
        assertEquals(0, mkfifo.waitFor());
        assertEquals(List.of("a FIFO"), ImageLock.specialKind(fifo).stream().toList());
        assertTrue(ImageLock.specialKind(cow).isEmpty());
        assertEquals(
                "a character device",
                ImageLock.specialKind(Path.of("/dev/null")).orElseThrow());
        for (Role role : Role.values()) {
            ActivationRequest request = role == Role.ORIGIN
                    ? ActivationRequest.of(fifo, cow, "P")
                    : ActivationRequest.of(origin, fifo, "P");
            ActivationException e = assertThrows(ActivationException.class, () -> Activation.open(request));
            assertEquals(Problem.NOT_AN_IMAGE, e.problem());
            assertEquals(role, e.role());
            assertTrue(e.getMessage().endsWith(fifo + ": is a FIFO, not an image"), e.getMessage());
        }
        assertThrows(IOException.class, () -> ImageLock.acquire(fifo, Mode.SHARED, false));
    }
}
