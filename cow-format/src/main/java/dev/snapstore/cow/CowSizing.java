package dev.snapstore.cow;

/**
 * How large a persistent COW must be, by lvm2's rules ({@code lib/metadata/snapshot_manip.c}:
 * {@code _cow_max_size}, {@code _cow_extra_chunks}, {@code SNAPSHOT_MIN_CHUNKS}).
 *
 * <p>A COW that covers a whole origin holds the header chunk, one data chunk per origin chunk and
 * the metadata areas that index them. When the origin's chunk count is a multiple of the records
 * per area, the last area fills exactly and the kernel zeroes the next area as the terminator on its
 * next commit: that chunk must exist too, or the commit fails and the snapshot is invalidated.
 * lvm2's formula {@code (origin_chunks + epa) / epa} counts it; this class does the same.
 *
 * <p>Kernels before snapshot target 1.12.0 (and 1.10.2) leaked one chunk per 64 on the way
 * ({@code SNAPSHOT_FEATURE_FIXED_LEAK}); lvm2 adds {@code (n + 63) / 64} chunks for them.
 *
 * @since 0.1
 */
public final class CowSizing {

    /** {@code SNAPSHOT_MIN_CHUNKS}: the header, one metadata area and one data chunk. */
    public static final int MIN_CHUNKS = 3;

    private CowSizing() {}

    /**
     * The number of chunks an origin of this size splits into (the last one may be partial).
     *
     * @param originSectors the origin's length in sectors, at least 1
     * @param chunkSize the chunk size in sectors, a power of two
     * @return {@code ceil(originSectors / chunkSize)}
     */
    public static long originChunks(long originSectors, int chunkSize) {
        check(originSectors, chunkSize);
        return (originSectors + chunkSize - 1) / chunkSize;
    }

    /**
     * The metadata areas a COW needs to index every origin chunk, the terminating area included.
     *
     * @param originSectors the origin's length in sectors
     * @param chunkSize the chunk size in sectors
     * @return {@code (origin_chunks + epa) / epa}
     */
    public static long metadataChunks(long originSectors, int chunkSize) {
        long epa = CowFormat.exceptionsPerArea(chunkSize);
        return (originChunks(originSectors, chunkSize) + epa) / epa;
    }

    /**
     * The COW size that lets every origin chunk be copied without the snapshot filling up, on a
     * kernel with the leak fixed (every supported one: snapshot ≥ 1.12.0).
     *
     * @param originSectors the origin's length in sectors
     * @param chunkSize the chunk size in sectors
     * @return the COW's length in sectors, a whole number of chunks
     */
    public static long fullCoverageSectors(long originSectors, int chunkSize) {
        return fullCoverageSectors(originSectors, chunkSize, true);
    }

    /**
     * The COW size that lets every origin chunk be copied, as lvm2 computes it.
     *
     * @param originSectors the origin's length in sectors
     * @param chunkSize the chunk size in sectors
     * @param leakFixed whether the kernel has {@code SNAPSHOT_FEATURE_FIXED_LEAK}; without it lvm2
     *     adds one chunk in 64
     * @return the COW's length in sectors, a whole number of chunks
     * @throws ArithmeticException when the size does not fit in 64 bits
     */
    public static long fullCoverageSectors(long originSectors, int chunkSize, boolean leakFixed) {
        long chunks = CowFormat.NUM_SNAPSHOT_HDR_CHUNKS
                + originChunks(originSectors, chunkSize)
                + metadataChunks(originSectors, chunkSize);
        if (!leakFixed) {
            chunks += (chunks + 63) / 64;
        }
        return Math.multiplyExact(chunks, chunkSize);
    }

    /**
     * The smallest COW lvm2 creates: {@link #MIN_CHUNKS} chunks.
     *
     * @param chunkSize the chunk size in sectors
     * @return its length in sectors
     */
    public static long minimumSectors(int chunkSize) {
        check(1, chunkSize);
        return (long) MIN_CHUNKS * chunkSize;
    }

    /**
     * How many exceptions a COW of this size holds before the next allocation fails, as the kernel
     * allocates them: data chunks after the header, skipping one metadata chunk per area, and
     * keeping room for the terminating area when the last area fills exactly.
     *
     * @param cowSectors the COW's length in sectors
     * @param chunkSize the chunk size in sectors
     * @return the number of exceptions, 0 for a COW below {@link #minimumSectors(int)}
     */
    public static long exceptionCapacity(long cowSectors, int chunkSize) {
        check(1, chunkSize);
        if (cowSectors < 0) {
            throw new IllegalArgumentException("negative COW size: " + cowSectors);
        }
        long epa = CowFormat.exceptionsPerArea(chunkSize);
        long chunks = cowSectors / chunkSize - CowFormat.NUM_SNAPSHOT_HDR_CHUNKS;
        if (chunks < 2) {
            return 0;
        }
        // Every stride of (1 + epa) chunks is one area and its data; a partial stride holds its
        // metadata chunk and what data fits. A full last area needs the next area as its terminator.
        long fullStrides = chunks / (epa + 1);
        long rest = chunks % (epa + 1);
        long capacity = fullStrides * epa + Math.max(0, rest - 1);
        if (rest == 0) {
            capacity -= 1; // no chunk left for the terminating area: the last data chunk cannot be used
        }
        return capacity;
    }

    private static void check(long originSectors, int chunkSize) {
        if (chunkSize <= 0 || Integer.bitCount(chunkSize) != 1) {
            throw new IllegalArgumentException("chunk size is not a power of 2: " + chunkSize);
        }
        if (originSectors <= 0) {
            throw new IllegalArgumentException("size must be at least one sector: " + originSectors);
        }
    }
}
