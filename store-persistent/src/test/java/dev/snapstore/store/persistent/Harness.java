package dev.snapstore.store.persistent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.snapstore.spi.BlockDevice;
import dev.snapstore.spi.ChunkSize;
import dev.snapstore.spi.ExceptionStore;
import dev.snapstore.spi.MemoryBlockDevice;
import dev.snapstore.spi.MetadataState;
import dev.snapstore.spi.StoreContext;
import dev.snapstore.spi.StoreException;
import dev.snapstore.testkit.Fixtures;
import dev.snapstore.testkit.SectorPattern;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Shared test plumbing: opening stores, loading them into lists, reading fixture texts. */
final class Harness {

    private Harness() {}

    /** One exception: origin chunk and COW chunk. */
    record Ex(long oldChunk, long newChunk) {}

    /** What a load produced. */
    record Loaded(MetadataState state, List<Ex> exceptions) {}

    /** A store on {@code cow} with a log that collects lines into {@code log}. */
    static PersistentStore open(BlockDevice cow, int chunkSize, boolean overflow, List<String> log) {
        return new PersistentStore(
                new StoreContext(cow, chunkSize, ChunkSize.SECTOR_SIZE, log::add),
                overflow,
                AreaReader.ReadAhead.ALWAYS);
    }

    static PersistentStore open(BlockDevice cow, int chunkSize) {
        return open(cow, chunkSize, false, new ArrayList<>());
    }

    static Loaded load(ExceptionStore store) throws StoreException {
        List<Ex> list = new ArrayList<>();
        MetadataState state = store.readMetadata((o, n) -> list.add(new Ex(o, n)));
        return new Loaded(state, list);
    }

    /** Opens and loads a store, asserting it is valid. */
    static PersistentStore openLoaded(BlockDevice cow, int chunkSize, List<Ex> into) throws StoreException {
        PersistentStore store = open(cow, chunkSize);
        MetadataState state = store.readMetadata((o, n) -> into.add(new Ex(o, n)));
        assertEquals(MetadataState.VALID, state);
        return store;
    }

    /** Commits one prepared exception on its own and asserts the callback reported success at once. */
    static void commitNow(ExceptionStore store, long oldChunk, long newChunk) {
        boolean[] result = new boolean[2];
        store.commitException(oldChunk, newChunk, true, ok -> {
            result[0] = true;
            result[1] = ok;
        });
        assertTrue(result[0], "callback did not run");
        assertTrue(result[1], "commit failed");
    }

    /** Copies chunk {@code chunk} of {@code from} to the same chunk of {@code to}. */
    static void copyChunk(BlockDevice from, BlockDevice to, long chunk, int chunkSize) {
        ByteBuffer buffer = ByteBuffer.allocate(chunkSize * ChunkSize.SECTOR_SIZE);
        try {
            from.read(chunk * chunkSize, buffer);
            buffer.flip();
            to.write(chunk * chunkSize, buffer);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static byte[] readAll(BlockDevice device) {
        long size = device.sizeInSectors();
        byte[] bytes = new byte[Math.toIntExact(size * ChunkSize.SECTOR_SIZE)];
        try {
            device.read(0, ByteBuffer.wrap(bytes));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes;
    }

    static byte[] read(BlockDevice device, long sector, int sectors) {
        byte[] bytes = new byte[sectors * ChunkSize.SECTOR_SIZE];
        try {
            device.read(sector, ByteBuffer.wrap(bytes));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes;
    }

    static void write(BlockDevice device, long sector, byte[] bytes) {
        try {
            device.write(sector, ByteBuffer.wrap(bytes));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Describes where two images first differ, for assertion messages. */
    static String firstDifference(byte[] expected, byte[] actual) {
        if (expected.length != actual.length) {
            return "lengths differ: " + expected.length + " vs " + actual.length;
        }
        for (int i = 0; i < expected.length; i++) {
            if (expected[i] != actual[i]) {
                return "first difference at byte " + i + " (sector " + i / 512 + "): expected " + (expected[i] & 0xff)
                        + ", got " + (actual[i] & 0xff);
            }
        }
        return "identical";
    }

    /**
     * The sha256 of the snapshot device a kernel would show: for each origin chunk, the COW chunk
     * of its exception if there is one, else the origin chunk.
     */
    static String snapshotSha256(BlockDevice origin, BlockDevice cow, int chunkSize, List<Ex> exceptions)
            throws IOException {
        Map<Long, Long> map = new HashMap<>();
        for (Ex e : exceptions) {
            map.put(e.oldChunk(), e.newChunk());
        }
        MessageDigest digest = sha256();
        long size = origin.sizeInSectors();
        ByteBuffer buffer = ByteBuffer.allocate(chunkSize * ChunkSize.SECTOR_SIZE);
        for (long chunk = 0; chunk * chunkSize < size; chunk++) {
            int sectors = (int) Math.min(chunkSize, size - chunk * chunkSize);
            buffer.clear().limit(sectors * ChunkSize.SECTOR_SIZE);
            Long cowChunk = map.get(chunk);
            if (cowChunk == null) {
                origin.read(chunk * chunkSize, buffer);
            } else {
                cow.read(cowChunk * chunkSize, buffer);
            }
            buffer.flip();
            digest.update(buffer);
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static final Pattern COWDUMP_ENTRY =
            Pattern.compile("area\\s+(\\d+) entry\\s+(\\d+): old_chunk (\\d+) -> new_chunk (\\d+)");

    /** The exception list of a fixture's {@code cowdump.txt}, in table order. */
    static List<Ex> cowdump(String fixture) {
        List<Ex> list = new ArrayList<>();
        for (String line : Fixtures.lines(fixture, "cowdump.txt")) {
            Matcher m = COWDUMP_ENTRY.matcher(line);
            if (m.find()) {
                list.add(new Ex(Long.parseUnsignedLong(m.group(3)), Long.parseUnsignedLong(m.group(4))));
            }
        }
        return list;
    }

    /** A {@code key=value} field of the header line of a fixture's {@code cowdump.txt}. */
    static String cowdumpHeader(String fixture, String key) {
        Matcher m =
                Pattern.compile("\\b" + Pattern.quote(key) + "=(\\S+)").matcher(Fixtures.text(fixture, "cowdump.txt"));
        if (!m.find()) {
            throw new IllegalStateException(key + " not in " + fixture + "/cowdump.txt");
        }
        return m.group(1);
    }

    private static final Pattern SNAPSHOT_STATUS = Pattern.compile("\\bsnapshot (Invalid|\\d+/\\d+ \\d+)\\s*$");

    /** Every INFO status of a {@code snapshot} target in a fixture text, in order. */
    static List<String> snapshotStatuses(String fixture, String file) {
        List<String> result = new ArrayList<>();
        for (String line : Fixtures.lines(fixture, file)) {
            Matcher m = SNAPSHOT_STATUS.matcher(line);
            if (m.find()) {
                result.add(m.group(1));
            }
        }
        return result;
    }

    /** Parses hex bytes such as {@code "53 6e 41 70 ..."}. */
    static byte[] hex(String spaced) {
        return HexFormat.of().parseHex(spaced.replaceAll("\\s+", ""));
    }

    /** The line of a text that follows the first line containing {@code marker}, trimmed. */
    static String lineAfter(String text, String marker) {
        List<String> lines = text.lines().toList();
        for (int i = 0; i < lines.size() - 1; i++) {
            if (lines.get(i).contains(marker)) {
                return lines.get(i + 1).trim();
            }
        }
        throw new IllegalStateException(marker + " not found");
    }

    /** The text after {@code "<key>: "} on the first line that starts (after blanks) with the key. */
    static String lineAfterColon(String text, String key) {
        for (String line : text.lines().toList()) {
            String t = line.trim();
            if (t.startsWith(key + ":")) {
                return t.substring(key.length() + 1).trim();
            }
        }
        throw new IllegalStateException(key + " not found");
    }

    private static final Map<String, byte[]> IMAGES = new ConcurrentHashMap<>();

    /**
     * A fixture image as a new in-memory device, like {@link Fixtures#imageDevice} but
     * decompressing each image only once per test run (xz is the slow part of these tests).
     */
    static MemoryBlockDevice image(String fixture, String file) {
        byte[] bytes = IMAGES.computeIfAbsent(fixture + "/" + file, k -> Fixtures.image(fixture, file));
        MemoryBlockDevice device = new MemoryBlockDevice(fixture + "/" + file, bytes.length / ChunkSize.SECTOR_SIZE);
        write(device, 0, bytes);
        return device;
    }

    /**
     * Fills a device with the fixtures' sector pattern ({@link SectorPattern}), without a
     * {@code String.format} per sector; checked against {@link SectorPattern#sector} here.
     */
    static void fillPattern(BlockDevice device, String tag) {
        long size = device.sizeInSectors();
        byte[] prefix = (tag + " ").getBytes(StandardCharsets.US_ASCII);
        int batch = 256;
        byte[] bytes = new byte[batch * ChunkSize.SECTOR_SIZE];
        for (long s = 0; s < size; s += batch) {
            int n = (int) Math.min(batch, size - s);
            for (int i = 0; i < n; i++) {
                int base = i * ChunkSize.SECTOR_SIZE;
                Arrays.fill(bytes, base, base + 511, (byte) ' ');
                bytes[base + 511] = '\n';
                System.arraycopy(prefix, 0, bytes, base, prefix.length);
                long number = s + i;
                for (int d = 11; d >= 0; d--) {
                    bytes[base + prefix.length + d] = (byte) ('0' + number % 10);
                    number /= 10;
                }
            }
            write(device, s, Arrays.copyOf(bytes, n * ChunkSize.SECTOR_SIZE));
        }
        for (long s : new long[] {0, size / 3, size - 1}) {
            if (!Arrays.equals(SectorPattern.sector(tag, s), read(device, s, 1))) {
                throw new AssertionError("pattern differs from SectorPattern at sector " + s);
            }
        }
    }
}
