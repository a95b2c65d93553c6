package dev.snapstore.cow.tools;

import dev.snapstore.cow.CowFormat;
import dev.snapstore.cow.CowHeader;
import dev.snapstore.spi.BlockDevice;
import dev.snapstore.spi.MemoryBlockDevice;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Random;

/** Exception tables of any length written straight into a COW, for the walk's and the dumps' tests. */
final class RandomTables {

    private RandomTables() {}

    /**
     * A COW whose table holds {@code records} records (old chunks any 64-bit number; new chunks in
     * runs of one more than the last, across digit carries, and jumps), ending {@code spare} chunks
     * after the chunk that holds the terminator (negative: that many chunks before it).
     */
    static MemoryBlockDevice cow(int chunkSize, int records, long seed, int spare) throws IOException {
        MemoryBlockDevice cow = new MemoryBlockDevice("cow", sectors(chunkSize, records, spare));
        return fill(cow, chunkSize, records, seed);
    }

    static long sectors(int chunkSize, int records, int spare) {
        int epa = CowFormat.exceptionsPerArea(chunkSize);
        // up to the area holding the terminator
        return (CowFormat.areaLocation(epa, records / epa) + 1 + spare) * chunkSize;
    }

    static <D extends BlockDevice> D fill(D cow, int chunkSize, int records, long seed) throws IOException {
        Random random = new Random(seed);
        int epa = CowFormat.exceptionsPerArea(chunkSize);
        long lastArea = records / epa;
        long chunks = cow.sizeInSectors() / chunkSize;
        cow.write(
                0,
                ByteBuffer.allocate(512)
                        .put(CowHeader.of(1, 1, chunkSize).encode())
                        .clear());
        long next = 99_999_990 + random.nextInt(20);
        for (long area = 0; area <= lastArea; area++) {
            long location = CowFormat.areaLocation(epa, area);
            if (location >= chunks) {
                break;
            }
            ByteBuffer bytes = ByteBuffer.allocate(chunkSize * 512).order(ByteOrder.LITTLE_ENDIAN);
            for (long i = area * epa; i < Math.min(records, (area + 1) * epa); i++) {
                next = random.nextInt(8) == 0 ? jump(random) : next + 1;
                bytes.putLong(random.nextInt(4) == 0 ? random.nextLong() : random.nextInt(1 << 20));
                bytes.putLong(next == 0 ? 1 : next);
            }
            // garbage after the terminator, which no dump may print
            if (bytes.position() < bytes.capacity()) {
                bytes.putLong(random.nextLong()).putLong(0);
                while (bytes.remaining() >= 8) {
                    bytes.putLong(random.nextLong());
                }
            }
            cow.write(location * chunkSize, bytes.clear());
        }
        return cow;
    }

    static long jump(Random random) {
        return switch (random.nextInt(4)) {
            case 0 -> random.nextLong(); // any, 2^63 and above included
            case 1 -> 9 - random.nextInt(3);
            case 2 -> 10_000_000_000_000_000L - random.nextInt(3);
            default -> 1 + random.nextInt(1 << 30);
        };
    }
}
