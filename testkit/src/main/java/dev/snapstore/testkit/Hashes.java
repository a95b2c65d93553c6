package dev.snapstore.testkit;

import dev.snapstore.spi.BlockDevice;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** sha256 digests of devices and bytes, as the fixtures record them. */
public final class Hashes {

    private Hashes() {}

    /**
     * The sha256 of bytes.
     *
     * @param bytes the bytes
     * @return lower-case hex
     */
    public static String sha256(byte[] bytes) {
        return HexFormat.of().formatHex(digest().digest(bytes));
    }

    /**
     * The sha256 of a whole device.
     *
     * @param device the device
     * @return lower-case hex
     * @throws IOException when a read fails
     */
    public static String sha256(BlockDevice device) throws IOException {
        MessageDigest digest = digest();
        long size = device.sizeInSectors();
        ByteBuffer buffer = ByteBuffer.allocate(1 << 20);
        for (long s = 0; s < size; ) {
            int n = (int) Math.min(buffer.capacity() >> 9, size - s);
            buffer.clear().limit(n << 9);
            device.read(s, buffer);
            buffer.flip();
            digest.update(buffer);
            s += n;
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    private static MessageDigest digest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
