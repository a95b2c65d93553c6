package dev.snapstore.testkit;

import dev.snapstore.spi.BlockDevice;
import dev.snapstore.spi.ChunkSize;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The sector pattern the fixtures were written with (the kernel harness's mkpattern.sh, see fixtures/INDEX.md): sector
 * {@code s} written with tag {@code T} holds {@code sprintf("%s %012d", T, s)} padded with spaces to
 * 511 bytes, then a newline.
 */
public final class SectorPattern {

    private SectorPattern() {}

    /**
     * One sector of the pattern.
     *
     * @param tag the tag, e.g. {@code ORIGIN} or {@code W7:snap}
     * @param sector the sector number written into the text
     * @return 512 bytes
     */
    public static byte[] sector(String tag, long sector) {
        byte[] bytes = new byte[ChunkSize.SECTOR_SIZE];
        Arrays.fill(bytes, (byte) ' ');
        byte[] text = String.format("%s %012d", tag, sector).getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(text, 0, bytes, 0, Math.min(text.length, 511));
        bytes[511] = '\n';
        return bytes;
    }

    /**
     * Sectors {@code [first, first + count)} of the pattern, back to back.
     *
     * @param tag the tag
     * @param first the first sector number
     * @param count how many sectors
     * @return {@code count * 512} bytes
     */
    public static byte[] sectors(String tag, long first, int count) {
        byte[] bytes = new byte[count * ChunkSize.SECTOR_SIZE];
        for (int i = 0; i < count; i++) {
            System.arraycopy(sector(tag, first + i), 0, bytes, i * ChunkSize.SECTOR_SIZE, ChunkSize.SECTOR_SIZE);
        }
        return bytes;
    }

    /**
     * Fills a whole device with the pattern, as mkpattern.sh makes the fixtures' origins.
     *
     * @param device the device
     * @param tag the tag
     * @throws IOException when a write fails
     */
    public static void fill(BlockDevice device, String tag) throws IOException {
        long size = device.sizeInSectors();
        int batch = 256;
        for (long s = 0; s < size; s += batch) {
            int n = (int) Math.min(batch, size - s);
            device.write(s, ByteBuffer.wrap(sectors(tag, s, n)));
        }
    }
}
