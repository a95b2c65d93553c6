package dev.snapstore.serve;

import java.nio.ByteBuffer;
import java.util.List;

/**
 * One block device that {@link NbdServer} serves under a name: its size, its block sizes, and the
 * operations of the NBD transmission phase.
 *
 * <p><b>Threading.</b> Implementations are thread-safe: the server calls every method from its
 * worker threads, with many requests of one or several connections in flight at once, including
 * overlapping ranges. Overlapping concurrent requests may complete in either order, as on a disk;
 * each must still act as a whole on the bytes it covers (no byte written that was not asked).
 *
 * <p><b>Requests.</b> The server checks every request before calling: {@code offset} and
 * {@code length} are multiples of {@link #minimumBlockSize()} for read, write, write-zeroes and trim
 * and lie within {@link #size()}; writes never reach a {@link #isReadOnly() read-only} export; a
 * buffer holds at most {@link NbdServer.Builder#maxPayload(int) the maximum payload}. Zero-length
 * requests do not reach the export.
 *
 * <p><b>Durability.</b> A method that returns normally has done its work as far as later reads on
 * any connection see it. With {@code fua} it has also reached stable storage; {@link #flush()} makes
 * every write completed before the call durable. The server advertises {@code NBD_FLAG_CAN_MULTI_CONN}
 * when {@link #canMultiConn()} is true, which promises that a flush on one connection covers writes
 * completed on all connections.
 *
 * <p><b>Errors.</b> Methods throw {@link NbdException} with an errno; the server maps it to the
 * protocol's error values and keeps the connection. Any other exception is answered with
 * {@code EIO} and logged. The values returned by the property methods must not change while the
 * export is served.
 *
 * <p><b>Lifecycle.</b> The server owns the exports it is given: after the last request of the last
 * connection it calls {@link #flush()} (unless read-only) and then {@link #close()} exactly once.
 *
 * @since 0.1
 */
public interface NbdExport extends AutoCloseable {

    /**
     * The name clients ask for ({@code NBD_OPT_GO}, {@code nbd+unix:///NAME?socket=...}).
     *
     * @return a UTF-8 string of at most 4096 bytes; the empty name is the default export
     */
    String name();

    /**
     * A line for humans, sent in {@code NBD_OPT_LIST} and {@code NBD_INFO_DESCRIPTION}.
     *
     * @return a description, or the empty string for none
     */
    default String description() {
        return "";
    }

    /**
     * The size in bytes.
     *
     * @return the export size, a multiple of {@link #minimumBlockSize()}
     */
    long size();

    /**
     * The smallest addressable unit: the logical block size. Clients that negotiated block sizes
     * (qemu, libnbd) read-modify-write around it; the server rejects unaligned requests with EINVAL.
     *
     * @return a power of two from 1 to 65536; 512 by default
     */
    default int minimumBlockSize() {
        return 512;
    }

    /**
     * The size at which aligned I/O avoids read-modify-write: the chunk size for a snapshot.
     *
     * @return a power of two, at least 512 and at least {@link #minimumBlockSize()}; 4096 by default
     */
    default int preferredBlockSize() {
        return 4096;
    }

    /**
     * Whether writes are refused; the server then sends {@code NBD_FLAG_READ_ONLY} and answers
     * writes, write-zeroes and trims with EPERM itself.
     *
     * @return {@code true} for a read-only export
     */
    boolean isReadOnly();

    /**
     * Whether {@link #trim} may be called; the server sends {@code NBD_FLAG_SEND_TRIM} only then.
     *
     * @return {@code false} by default
     */
    default boolean canTrim() {
        return false;
    }

    /**
     * Whether several connections may share the export: flush and FUA on one connection cover
     * writes completed on every connection, and reads on any connection see completed writes.
     *
     * @return {@code true} by default
     */
    default boolean canMultiConn() {
        return true;
    }

    /**
     * Reads {@code dst.remaining()} bytes at {@code offset} into {@code dst}, advancing its position
     * to its limit.
     *
     * @param offset the byte offset, aligned
     * @param dst the buffer to fill; heap or direct
     * @throws NbdException when the bytes cannot be read
     */
    void read(long offset, ByteBuffer dst) throws NbdException;

    /**
     * Writes {@code src.remaining()} bytes at {@code offset}, advancing its position to its limit.
     *
     * @param offset the byte offset, aligned
     * @param src the bytes; the export must not keep the buffer after returning
     * @param fua whether the bytes must be on stable storage before returning
     * @throws NbdException when the bytes cannot be written, e.g. errno 28 when a store is full
     */
    void write(long offset, ByteBuffer src, boolean fua) throws NbdException;

    /**
     * Makes every write that completed before this call durable.
     *
     * @throws NbdException when the data could not be made durable
     */
    void flush() throws NbdException;

    /**
     * Makes {@code length} bytes at {@code offset} read as zero.
     *
     * @param offset the byte offset, aligned
     * @param length the number of bytes, aligned and positive; may exceed the maximum payload
     * @param fua whether the zeroes must be on stable storage before returning
     * @param mayTrim {@code false} for {@code NBD_CMD_FLAG_NO_HOLE}: the range must stay allocated;
     *        {@code true} lets the export deallocate it, provided it reads back as zeroes
     * @throws NbdException when the range cannot be zeroed
     */
    void writeZeroes(long offset, long length, boolean fua, boolean mayTrim) throws NbdException;

    /**
     * Discards a range; afterwards its contents are unspecified until written again. Called only
     * when {@link #canTrim()} is true.
     *
     * @param offset the byte offset, aligned
     * @param length the number of bytes, aligned and positive
     * @param fua whether the discard must be durable before returning
     * @throws NbdException when the range cannot be discarded
     */
    default void trim(long offset, long length, boolean fua) throws NbdException {
        throw new NbdException(NbdError.EINVAL, "trim is not supported by export " + name());
    }

    /**
     * The {@code base:allocation} status of a range, as consecutive extents starting at
     * {@code offset}. The list may stop before {@code offset + length} (the client asks again for
     * the rest) and its last extent may reach past it; the server trims what it sends. An extent
     * has {@link Extent#ZERO} only when its bytes certainly read as zero.
     *
     * @param offset the byte offset, not necessarily aligned
     * @param length the number of bytes of interest, positive, within the export
     * @return at least one extent
     * @throws NbdException when the status cannot be determined
     */
    default List<Extent> blockStatus(long offset, long length) throws NbdException {
        return List.of(Extent.data(length));
    }

    /**
     * Releases the export's resources. Called once by the server when it stops; idempotent in the
     * implementations of this module.
     *
     * @throws NbdException when closing fails; the server logs it
     */
    @Override
    void close() throws NbdException;
}
