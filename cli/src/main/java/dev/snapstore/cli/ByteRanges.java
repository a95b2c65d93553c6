package dev.snapstore.cli;

import dev.snapstore.spi.BlockDevice;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Byte-granular reads and writes on a sector device, as the page cache gives them to {@code dd} on
 * a device-mapper device: a partial sector at either end is read first and written back whole.
 * Transfers go in windows of {@link #WINDOW} bytes, so memory stays bounded whatever the length.
 */
final class ByteRanges {

    /** Bytes per transfer: large enough to keep the devices busy, small enough to stay in cache. */
    static final int WINDOW = 1 << 20;

    private static final int SECTOR = 512;

    /** Supplies the bytes to write, in order. */
    interface Source {
        /**
         * Fills {@code dst} from its position to its limit.
         *
         * @param dst the buffer
         * @throws IOException when the source cannot be read or ends early
         */
        void fill(ByteBuffer dst) throws IOException;
    }

    /** Takes the bytes read, in order. */
    interface Sink {
        /**
         * Takes the bytes from {@code src}'s position to its limit.
         *
         * @param src the bytes
         * @throws IOException when they cannot be written
         */
        void take(ByteBuffer src) throws IOException;
    }

    /** Thrown when the device fails; {@link #offset()} says where. */
    static final class DeviceException extends IOException {
        private static final long serialVersionUID = 1L;
        private final long offset;

        DeviceException(long offset, IOException cause) {
            super(cause.getMessage(), cause);
            this.offset = offset;
        }

        /** @return the byte offset of the window that failed */
        long offset() {
            return offset;
        }
    }

    private ByteRanges() {}

    /**
     * Writes {@code length} bytes from {@code source} at byte {@code offset}.
     *
     * @param device the device
     * @param offset the first byte
     * @param length how many bytes
     * @param source the bytes
     * @param progress told of each window done
     * @throws DeviceException when the device fails (the bytes before the failing window are written)
     * @throws IOException when the source fails
     */
    static void write(BlockDevice device, long offset, long length, Source source, Progress progress)
            throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(WINDOW);
        long end = offset + length;
        for (long pos = offset; pos < end; ) {
            long first = pos & ~(SECTOR - 1L);
            long stop = Math.min(end, first + WINDOW);
            long last = (stop + SECTOR - 1) & ~(SECTOR - 1L);
            buffer.clear().limit((int) (last - first));
            if (pos != first || stop != last) {
                // A partial sector: the rest of it keeps what the device holds.
                deviceRead(device, first, buffer);
                buffer.clear().limit((int) (last - first));
            }
            buffer.position((int) (pos - first)).limit((int) (stop - first));
            source.fill(buffer);
            buffer.position(0).limit((int) (last - first));
            try {
                device.write(first / SECTOR, buffer);
            } catch (IOException e) {
                throw new DeviceException(first, e);
            }
            progress.stepBy(stop - pos);
            pos = stop;
        }
    }

    /**
     * Reads {@code length} bytes at byte {@code offset} into {@code sink}.
     *
     * @param device the device
     * @param offset the first byte
     * @param length how many bytes
     * @param sink where they go
     * @param progress told of each window done
     * @throws DeviceException when the device fails
     * @throws IOException when the sink fails
     */
    static void read(BlockDevice device, long offset, long length, Sink sink, Progress progress) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(WINDOW);
        long end = offset + length;
        for (long pos = offset; pos < end; ) {
            long first = pos & ~(SECTOR - 1L);
            long stop = Math.min(end, first + WINDOW);
            long last = (stop + SECTOR - 1) & ~(SECTOR - 1L);
            buffer.clear().limit((int) (last - first));
            deviceRead(device, first, buffer);
            buffer.position((int) (pos - first)).limit((int) (stop - first));
            sink.take(buffer);
            progress.stepBy(stop - pos);
            pos = stop;
        }
    }

    private static void deviceRead(BlockDevice device, long first, ByteBuffer buffer) throws DeviceException {
        try {
            device.read(first / SECTOR, buffer);
        } catch (IOException e) {
            throw new DeviceException(first, e);
        }
    }
}
