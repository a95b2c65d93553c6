package dev.snapstore.cow.tools;

import java.io.IOException;

/**
 * The table goes on (the previous area is full, or it is area 0) into a metadata area whose chunk
 * does not lie wholly on the COW: the kernel fails such a load.
 */
public final class TruncatedTableException extends IOException {

    private static final long serialVersionUID = 1L;

    /** The missing area. */
    private final long area;
    /** Its chunk (unsigned). */
    private final long chunk;
    /** Its byte offset (unsigned). */
    private final long byteOffset;
    /** The COW's size in bytes. */
    private final long cowBytes;

    /**
     * Creates the exception.
     *
     * @param area the missing area
     * @param chunk its chunk (unsigned)
     * @param byteOffset its byte offset (unsigned)
     * @param cowBytes the COW's size in bytes
     */
    public TruncatedTableException(long area, long chunk, long byteOffset, long cowBytes) {
        super("truncated: metadata area " + area + " (chunk " + Long.toUnsignedString(chunk) + ", byte offset "
                + Long.toUnsignedString(byteOffset) + ") lies beyond the end of the COW (" + cowBytes + " bytes)");
        this.area = area;
        this.chunk = chunk;
        this.byteOffset = byteOffset;
        this.cowBytes = cowBytes;
    }

    /** @return the missing area */
    public long area() {
        return area;
    }

    /** @return its chunk (unsigned) */
    public long chunk() {
        return chunk;
    }

    /** @return its byte offset (unsigned) */
    public long byteOffset() {
        return byteOffset;
    }

    /** @return the COW's size in bytes */
    public long cowBytes() {
        return cowBytes;
    }
}
