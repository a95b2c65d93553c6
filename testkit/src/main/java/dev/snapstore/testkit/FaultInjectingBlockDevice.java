package dev.snapstore.testkit;

import dev.snapstore.spi.BlockDevice;
import dev.snapstore.spi.ChunkSize;
import dev.snapstore.spi.MemoryBlockDevice;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Random;
import java.util.Set;
import java.util.function.Predicate;

/**
 * A {@link BlockDevice} wrapper that injects I/O errors and power losses and records every
 * transfer, so that tests can check what a store writes, in which order, and what survives a crash.
 *
 * <p><b>Write cache model.</b> A write is applied to the wrapped device at once, so reads see it,
 * but it stays <i>unflushed</i> until a {@link #flush()} succeeds, as in a disk's volatile cache.
 * {@link #durableImage(Predicate)} builds what a power loss would leave: everything that was
 * flushed, plus whichever unflushed writes the caller decides reached the medium (all of them,
 * none, a seeded random subset, or even a random subset of their sectors for torn writes).
 *
 * <p><b>Faults.</b> {@link #failWrite}, {@link #failFlush} and {@link #failRead} make the Nth
 * operation of that kind (counted from 1 since the device was wrapped, failed ones included) throw
 * an {@link IOException} without transferring anything; {@link #failIf} does the same for any
 * operation a predicate picks. {@link #crashAtWrite} simulates the power going off: that write and
 * every read, write and flush after it throw, and nothing more reaches the wrapped device;
 * {@link #crashAtFlush} does the same at a flush.
 *
 * <p><b>Trace.</b> Every attempted operation is recorded as an {@link Event}; {@link #trace()}
 * gives a compact text form such as {@code ["W 16+8", "F", "W 8+8", "F"]} for asserting I/O order.
 *
 * <p><b>Hook.</b> A {@link Hook} set with {@link #hook} runs before each operation, outside the
 * device's lock: it can stall one transfer (a latch, a spin to vary interleavings) while others go
 * on, or throw to fail it.
 *
 * <p><b>Pass-through devices.</b> {@link #passThrough} wraps a device without the write cache
 * model: every write counts as durable at once (so {@link #unflushed()} stays empty and a durable
 * image is the device's content), and transfers run outside the lock, concurrently, as on the
 * wrapped device. Counting, faults, crashes, the trace and the hook work as above. Concurrency and
 * stress tests use it; crash tests use the write-cache model.
 *
 * <p>The device is safe for concurrent use as the {@link BlockDevice} contract requires: with the
 * write cache model every operation runs under the device's lock; the order of concurrent
 * operations in the trace is whatever order they were admitted in.
 */
public final class FaultInjectingBlockDevice implements BlockDevice {

    /** The kind of an operation. */
    public enum Kind {
        /** A {@link BlockDevice#read}. */
        READ,
        /** A {@link BlockDevice#write}. */
        WRITE,
        /** A {@link BlockDevice#flush()}. */
        FLUSH
    }

    /**
     * One attempted operation.
     *
     * @param kind what it was
     * @param number its number among operations of its kind, from 1
     * @param sector the first sector (0 for a flush)
     * @param sectors the length in sectors (0 for a flush)
     * @param failed whether it threw
     */
    public record Event(Kind kind, long number, long sector, long sectors, boolean failed) {

        /**
         * A compact form: {@code "R 0+8"}, {@code "W 16+8"}, {@code "F"}, with a trailing
         * {@code " !"} when the operation failed.
         *
         * @return the text
         */
        public String text() {
            String base =
                    switch (kind) {
                        case READ -> "R " + sector + "+" + sectors;
                        case WRITE -> "W " + sector + "+" + sectors;
                        case FLUSH -> "F";
                    };
            return failed ? base + " !" : base;
        }
    }

    /**
     * A write that has reached the wrapped device but not yet been made durable by a flush.
     *
     * @param number the write's number, from 1
     * @param sector its first sector
     * @param before what the sectors held before it (copy)
     * @param after what it wrote (copy)
     */
    public record UnflushedWrite(long number, long sector, byte[] before, byte[] after) {

        /**
         * The write's length in sectors.
         *
         * @return {@code after.length / 512}
         */
        public long sectors() {
            return after.length / ChunkSize.SECTOR_SIZE;
        }
    }

    /**
     * Runs before an operation, outside the device's lock.
     */
    @FunctionalInterface
    public interface Hook {
        /**
         * Called before the operation is counted or transferred.
         *
         * @param kind the operation
         * @param sector its first sector (0 for a flush)
         * @param sectors its length in sectors (0 for a flush)
         * @throws IOException to fail the operation; it is then recorded as a failed attempt
         */
        void before(Kind kind, long sector, long sectors) throws IOException;
    }

    private static final Hook NO_HOOK = (kind, sector, sectors) -> {};

    private final BlockDevice inner;
    /** Whether writes stay unflushed until a flush (else they are durable at once and run unlocked). */
    private final boolean writeCache;

    private volatile Hook hook = NO_HOOK;
    private final List<Event> events = new ArrayList<>();
    private final List<UnflushedWrite> unflushed = new ArrayList<>();
    private final Set<Long> failingReads = new HashSet<>();
    private final Set<Long> failingWrites = new HashSet<>();
    private final Set<Long> failingFlushes = new HashSet<>();
    private Predicate<Event> failIf = e -> false;
    private long reads;
    private long writes;
    private long flushes;
    private long crashAtWrite = Long.MAX_VALUE;
    private long crashAtFlush = Long.MAX_VALUE;
    private boolean crashed;

    /**
     * Wraps a device. Whatever it holds now counts as durable.
     *
     * @param inner the device that receives the writes
     */
    public FaultInjectingBlockDevice(BlockDevice inner) {
        this(inner, true);
    }

    private FaultInjectingBlockDevice(BlockDevice inner, boolean writeCache) {
        this.inner = Objects.requireNonNull(inner, "inner");
        this.writeCache = writeCache;
    }

    /**
     * Wraps a device without the write cache model: writes are durable at once and transfers run
     * concurrently, outside the device's lock (see the class comment).
     *
     * @param inner the device that receives the writes
     * @return the wrapped device
     */
    public static FaultInjectingBlockDevice passThrough(BlockDevice inner) {
        return new FaultInjectingBlockDevice(inner, false);
    }

    /**
     * Picks the operations of one kind whose range reaches a sector or beyond, for {@link #failIf}.
     *
     * @param kind the kind, {@link Kind#READ} or {@link Kind#WRITE}
     * @param firstSector the first sector that fails
     * @return the predicate
     */
    public static Predicate<Event> reaching(Kind kind, long firstSector) {
        return e -> e.kind() == kind && e.sector() + e.sectors() > firstSector;
    }

    /**
     * Sets the hook that runs before every operation, outside the device's lock; replaces any
     * earlier one.
     *
     * @param hook the hook, {@code null} for none
     * @return this device
     */
    public FaultInjectingBlockDevice hook(Hook hook) {
        this.hook = hook == null ? NO_HOOK : hook;
        return this;
    }

    /**
     * A new zero-filled in-memory device, wrapped.
     *
     * @param name a name for messages
     * @param sizeInSectors the size
     * @return the wrapped device
     */
    public static FaultInjectingBlockDevice ofMemory(String name, long sizeInSectors) {
        return new FaultInjectingBlockDevice(new MemoryBlockDevice(name, sizeInSectors));
    }

    /**
     * The wrapped device; writing to it directly bypasses the trace and the write-cache model.
     *
     * @return the wrapped device
     */
    public BlockDevice inner() {
        return inner;
    }

    /**
     * Makes the {@code n}th read (counted from 1, since wrapping) fail.
     *
     * @param n the read's number
     * @return this device
     */
    public synchronized FaultInjectingBlockDevice failRead(long n) {
        failingReads.add(n);
        return this;
    }

    /**
     * Makes the {@code n}th write (counted from 1, since wrapping) fail; nothing is written.
     *
     * @param n the write's number
     * @return this device
     */
    public synchronized FaultInjectingBlockDevice failWrite(long n) {
        failingWrites.add(n);
        return this;
    }

    /**
     * Makes the {@code n}th flush (counted from 1, since wrapping) fail; the unflushed writes stay
     * unflushed.
     *
     * @param n the flush's number
     * @return this device
     */
    public synchronized FaultInjectingBlockDevice failFlush(long n) {
        failingFlushes.add(n);
        return this;
    }

    /**
     * Makes every operation that {@code predicate} accepts fail. The event passed in has
     * {@code failed == false}; replaces any earlier predicate.
     *
     * @param predicate picks the operations to fail
     * @return this device
     */
    public synchronized FaultInjectingBlockDevice failIf(Predicate<Event> predicate) {
        failIf = Objects.requireNonNull(predicate, "predicate");
        return this;
    }

    /**
     * Simulates a power loss at the {@code n}th write (counted from 1, since wrapping): that write
     * and every later read, write and flush throw, and nothing more reaches the wrapped device.
     *
     * @param n the write's number
     * @return this device
     */
    public synchronized FaultInjectingBlockDevice crashAtWrite(long n) {
        crashAtWrite = n;
        return this;
    }

    /**
     * Simulates a power loss during the {@code n}th flush (counted from 1, since wrapping): that
     * flush does not complete (the writes before it stay unflushed) and every later operation
     * throws. Together with {@link #crashAtWrite} this reaches every point between two I/Os.
     *
     * @param n the flush's number
     * @return this device
     */
    public synchronized FaultInjectingBlockDevice crashAtFlush(long n) {
        crashAtFlush = n;
        return this;
    }

    /**
     * Simulates a power loss now.
     *
     * @return this device
     */
    public synchronized FaultInjectingBlockDevice crashNow() {
        crashed = true;
        return this;
    }

    /**
     * Whether the power loss happened.
     *
     * @return {@code true} after {@link #crashAtWrite} or {@link #crashAtFlush} took effect, or
     *     after {@link #crashNow()}
     */
    public synchronized boolean crashed() {
        return crashed;
    }

    /**
     * How many reads were attempted.
     *
     * @return the count, failed ones included
     */
    public synchronized long reads() {
        return reads;
    }

    /**
     * How many writes were attempted.
     *
     * @return the count, failed ones included
     */
    public synchronized long writes() {
        return writes;
    }

    /**
     * How many flushes were attempted.
     *
     * @return the count, failed ones included
     */
    public synchronized long flushes() {
        return flushes;
    }

    /**
     * Every attempted operation so far, oldest first.
     *
     * @return a copy
     */
    public synchronized List<Event> events() {
        return List.copyOf(events);
    }

    /**
     * Every attempted operation of some kinds, oldest first, in the compact form of
     * {@link Event#text()}.
     *
     * @param kinds the kinds to keep; all kinds when empty
     * @return a new list
     */
    public synchronized List<String> trace(Kind... kinds) {
        Set<Kind> keep = kinds.length == 0 ? Set.of(Kind.values()) : Set.of(kinds);
        List<String> result = new ArrayList<>();
        for (Event e : events) {
            if (keep.contains(e.kind())) {
                result.add(e.text());
            }
        }
        return result;
    }

    /** Forgets the recorded events (the counters and fault numbers keep counting). */
    public synchronized void clearEvents() {
        events.clear();
    }

    /**
     * The writes that a power loss now could lose, oldest first.
     *
     * @return a copy
     */
    public synchronized List<UnflushedWrite> unflushed() {
        return List.copyOf(unflushed);
    }

    /**
     * What a power loss now leaves when every unflushed write is lost.
     *
     * @return a new in-memory device with the durable content
     */
    public MemoryBlockDevice durableImage() {
        return durableImage(w -> false);
    }

    /**
     * What a power loss now leaves when each unflushed write independently did or did not reach
     * the medium, chosen with a seeded random generator.
     *
     * @param seed the seed
     * @param tornSectors {@code true} to decide per sector instead of per write, as a write torn by
     *     the power loss would be
     * @return a new in-memory device with the durable content
     */
    public MemoryBlockDevice durableImage(long seed, boolean tornSectors) {
        Random random = new Random(seed);
        if (!tornSectors) {
            return durableImage(w -> random.nextBoolean());
        }
        return build((w, sectorIndex) -> random.nextBoolean());
    }

    /**
     * What a power loss now leaves when exactly the unflushed writes that {@code reached} accepts
     * made it to the medium; they are applied in their original order over the flushed content.
     *
     * @param reached decides, for each unflushed write, whether it survived
     * @return a new in-memory device with the durable content
     */
    public MemoryBlockDevice durableImage(Predicate<UnflushedWrite> reached) {
        Objects.requireNonNull(reached, "reached");
        return build(new SectorChooser() {
            private long current = -1;
            private boolean keep;

            @Override
            public boolean keep(UnflushedWrite w, int sectorIndex) {
                if (w.number() != current) {
                    current = w.number();
                    keep = reached.test(w);
                }
                return keep;
            }
        });
    }

    @FunctionalInterface
    private interface SectorChooser {
        boolean keep(UnflushedWrite write, int sectorIndex);
    }

    private synchronized MemoryBlockDevice build(SectorChooser chooser) {
        long size = inner.sizeInSectors();
        MemoryBlockDevice image = new MemoryBlockDevice(inner.name() + "@durable", size, inner.logicalBlockSize());
        try {
            copy(inner, image, size);
            for (int i = unflushed.size() - 1; i >= 0; i--) {
                UnflushedWrite w = unflushed.get(i);
                image.write(w.sector(), ByteBuffer.wrap(w.before()));
            }
            for (UnflushedWrite w : unflushed) {
                int n = (int) w.sectors();
                for (int s = 0; s < n; s++) {
                    if (chooser.keep(w, s)) {
                        image.write(
                                w.sector() + s,
                                ByteBuffer.wrap(w.after(), s * ChunkSize.SECTOR_SIZE, ChunkSize.SECTOR_SIZE));
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return image;
    }

    /** Copies a device, skipping all-zero pieces so that sparse devices stay sparse. */
    private static void copy(BlockDevice from, BlockDevice to, long size) throws IOException {
        int pieceSectors = 128;
        ByteBuffer piece = ByteBuffer.allocate(pieceSectors * ChunkSize.SECTOR_SIZE);
        for (long s = 0; s < size; s += pieceSectors) {
            int n = (int) Math.min(pieceSectors, size - s);
            piece.clear().limit(n * ChunkSize.SECTOR_SIZE);
            from.read(s, piece);
            piece.flip();
            if (!allZero(piece)) {
                to.write(s, piece);
            }
        }
    }

    private static boolean allZero(ByteBuffer buffer) {
        for (int i = buffer.position(); i < buffer.limit(); i++) {
            if (buffer.get(i) != 0) {
                return false;
            }
        }
        return true;
    }

    @Override
    public long sizeInSectors() {
        return inner.sizeInSectors();
    }

    @Override
    public int logicalBlockSize() {
        return inner.logicalBlockSize();
    }

    @Override
    public void read(long sector, ByteBuffer dst) throws IOException {
        long sectors = dst.remaining() / ChunkSize.SECTOR_SIZE;
        runHook(Kind.READ, sector, sectors);
        if (writeCache) {
            cachedRead(sector, dst);
            return;
        }
        Event event = admit(Kind.READ, sector, sectors);
        boolean failed = true;
        try {
            inner.read(sector, dst);
            failed = false;
        } finally {
            record(event, failed);
        }
    }

    @Override
    public void write(long sector, ByteBuffer src) throws IOException {
        long sectors = src.remaining() / ChunkSize.SECTOR_SIZE;
        runHook(Kind.WRITE, sector, sectors);
        if (writeCache) {
            cachedWrite(sector, src);
            return;
        }
        Event event = admit(Kind.WRITE, sector, sectors);
        boolean failed = true;
        try {
            inner.write(sector, src);
            failed = false;
        } finally {
            record(event, failed);
        }
    }

    @Override
    public void flush() throws IOException {
        runHook(Kind.FLUSH, 0, 0);
        if (writeCache) {
            cachedFlush();
            return;
        }
        Event event = admit(Kind.FLUSH, 0, 0);
        boolean failed = true;
        try {
            inner.flush();
            failed = false;
        } finally {
            record(event, failed);
        }
    }

    private void runHook(Kind kind, long sector, long sectors) throws IOException {
        Hook h = hook;
        if (h == NO_HOOK) {
            return;
        }
        try {
            h.before(kind, sector, sectors);
        } catch (IOException | RuntimeException e) {
            synchronized (this) {
                events.add(new Event(kind, nextNumber(kind), sector, sectors, true));
            }
            throw e;
        }
    }

    private long nextNumber(Kind kind) {
        return switch (kind) {
            case READ -> ++reads;
            case WRITE -> ++writes;
            case FLUSH -> ++flushes;
        };
    }

    /**
     * A pass-through operation's number and fault checks, under the lock; a refused operation is
     * recorded as failed and throws, an admitted one is recorded by {@link #record} once it ends.
     */
    private synchronized Event admit(Kind kind, long sector, long sectors) throws IOException {
        long number = nextNumber(kind);
        Event event = new Event(kind, number, sector, sectors, false);
        String what = kind.name().toLowerCase(Locale.ROOT);
        if ((kind == Kind.WRITE && number == crashAtWrite) || (kind == Kind.FLUSH && number == crashAtFlush)) {
            crashed = true;
        }
        Set<Long> failing =
                switch (kind) {
                    case READ -> failingReads;
                    case WRITE -> failingWrites;
                    case FLUSH -> failingFlushes;
                };
        if (crashed) {
            events.add(failed(event));
            throw new IOException(name() + ": " + what + " after power loss (" + what + " #" + number + ")");
        }
        if (failing.contains(number) || failIf.test(event)) {
            events.add(failed(event));
            throw new IOException(name() + ": injected " + what + " error (" + what + " #" + number + ")");
        }
        return event;
    }

    private synchronized void record(Event event, boolean failed) {
        events.add(failed ? failed(event) : event);
    }

    private synchronized void cachedRead(long sector, ByteBuffer dst) throws IOException {
        long number = ++reads;
        Event event = new Event(Kind.READ, number, sector, dst.remaining() / ChunkSize.SECTOR_SIZE, false);
        boolean failed = true;
        try {
            if (crashed) {
                throw new IOException(name() + ": read after power loss");
            }
            if (failingReads.contains(number) || failIf.test(event)) {
                throw new IOException(name() + ": injected read error (read #" + number + ")");
            }
            inner.read(sector, dst);
            failed = false;
        } finally {
            events.add(failed ? failed(event) : event);
        }
    }

    private synchronized void cachedWrite(long sector, ByteBuffer src) throws IOException {
        long number = ++writes;
        Event event = new Event(Kind.WRITE, number, sector, src.remaining() / ChunkSize.SECTOR_SIZE, false);
        boolean failed = true;
        try {
            if (number == crashAtWrite) {
                crashed = true;
            }
            if (crashed) {
                throw new IOException(name() + ": write after power loss (write #" + number + ")");
            }
            if (failingWrites.contains(number) || failIf.test(event)) {
                throw new IOException(name() + ": injected write error (write #" + number + ")");
            }
            BlockDevice.checkRange(this, sector, src.remaining());
            byte[] before = new byte[src.remaining()];
            inner.read(sector, ByteBuffer.wrap(before));
            byte[] after = new byte[src.remaining()];
            src.get(after);
            inner.write(sector, ByteBuffer.wrap(after));
            unflushed.add(new UnflushedWrite(number, sector, before, after));
            failed = false;
        } finally {
            events.add(failed ? failed(event) : event);
        }
    }

    private synchronized void cachedFlush() throws IOException {
        long number = ++flushes;
        Event event = new Event(Kind.FLUSH, number, 0, 0, false);
        boolean failed = true;
        try {
            if (number == crashAtFlush) {
                crashed = true;
            }
            if (crashed) {
                throw new IOException(name() + ": flush after power loss (flush #" + number + ")");
            }
            if (failingFlushes.contains(number) || failIf.test(event)) {
                throw new IOException(name() + ": injected flush error (flush #" + number + ")");
            }
            inner.flush();
            unflushed.clear();
            failed = false;
        } finally {
            events.add(failed ? failed(event) : event);
        }
    }

    private static Event failed(Event e) {
        return new Event(e.kind(), e.number(), e.sector(), e.sectors(), true);
    }

    @Override
    public boolean isReadOnly() {
        return inner.isReadOnly();
    }

    @Override
    public String name() {
        return inner.name();
    }

    @Override
    public void close() throws IOException {
        inner.close();
    }

    @Override
    public String toString() {
        return "FaultInjectingBlockDevice[" + inner + "]";
    }
}
