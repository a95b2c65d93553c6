import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.util.Arrays;

/**
 * A kernel-format P COW (chunk size 8 sectors) holding N exceptions whose origin chunks are spread
 * over the whole origin in a pseudo-random order (no runs, nothing sorted), and a sparse origin long
 * enough for them: the memory and load-time workload of bench/peers.sh. Only the header and the
 * metadata areas are written; the data chunks stay holes.
 *
 * <p>Usage: java MakeBigCow.java COUNT ORIGIN COW
 */
public class MakeBigCow {
    public static void main(String[] args) throws Exception {
        long n = Long.parseLong(args[0]);
        int epa = 256; // 4 KiB chunks: 4096 / 16 records per area
        long originChunks = Long.highestOneBit(n * 2 - 1) << 1; // a power of two, at least 2n
        try (RandomAccessFile origin = new RandomAccessFile(args[1], "rw")) {
            origin.setLength(originChunks * 4096);
        }
        long areas = (n + epa - 1) / epa;
        long cowChunks = 1 + (areas + 1) * (epa + 1);
        try (RandomAccessFile cowFile = new RandomAccessFile(args[2], "rw");
                FileChannel cow = cowFile.getChannel()) {
            cowFile.setLength(cowChunks * 4096);
            ByteBuffer header = ByteBuffer.allocate(4096).order(ByteOrder.LITTLE_ENDIAN);
            header.putInt(0x70416e53).putInt(1).putInt(1).putInt(8).clear();
            cow.write(header, 0);
            ByteBuffer area = ByteBuffer.allocate(4096).order(ByteOrder.LITTLE_ENDIAN);
            for (long a = 0; a < areas; a++) {
                area.clear();
                Arrays.fill(area.array(), (byte) 0);
                long areaChunk = 1 + a * (epa + 1);
                for (int k = 0; k < epa && a * epa + k < n; k++) {
                    long i = a * epa + k;
                    long old = (i * 0x9E3779B97F4A7C15L) & (originChunks - 1); // odd: a bijection
                    area.putLong(k * 16, old).putLong(k * 16 + 8, areaChunk + 1 + k);
                }
                cow.write(area, areaChunk * 4096);
            }
        }
    }
}
