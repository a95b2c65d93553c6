package dev.snapstore.spi;

/**
 * Chunk-size parsing and validation exactly as the kernel's {@code set_chunk_size} and
 * {@code dm_exception_store_set_chunk_size} do it, with their messages.
 *
 * @since 0.1
 */
public final class ChunkSize {

    /** Bytes per sector. */
    public static final int SECTOR_SIZE = 512;

    /** {@code SECTOR_SHIFT}: log2 of {@link #SECTOR_SIZE}. */
    public static final int SECTOR_SHIFT = 9;

    /** The largest chunk size the kernel accepts, {@code INT_MAX >> SECTOR_SHIFT}; with the power-of-two rule the largest usable value is 2^21. */
    public static final int MAX_SECTORS = Integer.MAX_VALUE >> SECTOR_SHIFT;

    /** Message for a chunk size that is not an unsigned decimal integer. */
    public static final String INVALID = "Invalid chunk size";
    /** Message for a chunk size that is not a power of two. */
    public static final String NOT_POWER_OF_2 = "Chunk size is not a power of 2";
    /** Message for a chunk size that does not divide into device blocks. */
    public static final String NOT_MULTIPLE_OF_BLOCKSIZE = "Chunk size is not a multiple of device blocksize";
    /** Message for a chunk size above {@link #MAX_SECTORS}. */
    public static final String TOO_HIGH = "Chunk size is too high";

    private ChunkSize() {}

    /**
     * Parses a table's chunk-size argument as {@code kstrtouint(arg, 10, ...)} does: an optional
     * {@code +}, decimal digits, at most one trailing newline, and a value below 2^32.
     *
     * @param arg the argument, never {@code null}
     * @return the value as an unsigned 32-bit number in a {@code long}
     * @throws StoreException {@code "Invalid chunk size"} when it does not parse
     */
    public static long parse(String arg) throws StoreException {
        String s = arg.endsWith("\n") ? arg.substring(0, arg.length() - 1) : arg;
        if (s.startsWith("+")) {
            s = s.substring(1);
        }
        if (s.isEmpty()) {
            throw new StoreException(Errno.EINVAL, INVALID);
        }
        long value = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') {
                throw new StoreException(Errno.EINVAL, INVALID);
            }
            value = value * 10 + (c - '0');
            if (value > 0xFFFF_FFFFL) {
                throw new StoreException(Errno.EINVAL, INVALID);
            }
        }
        return value;
    }

    /**
     * Checks a non-zero chunk size as {@code dm_exception_store_set_chunk_size} does, in its order:
     * power of two, multiple of both devices' logical block sizes, not above {@link #MAX_SECTORS}.
     *
     * @param chunkSize the chunk size in sectors (unsigned 32-bit value)
     * @param cowBlockSize the COW device's logical block size in bytes
     * @param originBlockSize the origin device's logical block size in bytes
     * @return the chunk size as an {@code int}
     * @throws StoreException with the kernel's message when a check fails
     */
    public static int validate(long chunkSize, int cowBlockSize, int originBlockSize) throws StoreException {
        if (chunkSize <= 0 || Long.bitCount(chunkSize) != 1) {
            throw new StoreException(Errno.EINVAL, NOT_POWER_OF_2);
        }
        if (chunkSize % (cowBlockSize >> SECTOR_SHIFT) != 0 || chunkSize % (originBlockSize >> SECTOR_SHIFT) != 0) {
            throw new StoreException(Errno.EINVAL, NOT_MULTIPLE_OF_BLOCKSIZE);
        }
        if (chunkSize > MAX_SECTORS) {
            throw new StoreException(Errno.EINVAL, TOO_HIGH);
        }
        return (int) chunkSize;
    }

    /**
     * The kernel's {@code set_chunk_size}: parse, then validate unless the value is 0, which means
     * "use the on-disk or default chunk size" and is not validated here.
     *
     * @param arg the table's chunk-size argument
     * @param cowBlockSize the COW device's logical block size in bytes
     * @param originBlockSize the origin device's logical block size in bytes
     * @return the chunk size in sectors, possibly 0
     * @throws StoreException with the kernel's message
     */
    public static int parseAndValidate(String arg, int cowBlockSize, int originBlockSize) throws StoreException {
        long value = parse(arg);
        return value == 0 ? 0 : validate(value, cowBlockSize, originBlockSize);
    }
}
