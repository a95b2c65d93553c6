package dev.snapstore.engine;

/**
 * A pending exception ({@code struct dm_snap_pending_exception}): an origin chunk being copied to the
 * COW. The thread that creates it allocates the COW chunk, copies, and hands it over for the
 * in-order commit; other threads that need the same chunk wait for it to be done. Fields marked
 * "lock" are guarded by the snapshot's lock; the others are written by the owner before the pending
 * is published by a lock release, or under the store lock.
 */
final class Pending {

    /** The origin chunk (lock). */
    final long oldChunk;
    /** The thread that created it and must start it. */
    final Thread owner;
    /** The COW chunk from prepare_exception. */
    long newChunk;
    /** exception_sequence: the allocation order (store lock). */
    long sequence;
    /** What the store threw when asked to prepare this exception; set before it is abandoned. */
    RuntimeException storeFailure;
    /** copy_error. */
    boolean copyError;
    /** Allocation failed: nothing was prepared, waiters retry from the start (lock). */
    boolean allocationFailed;
    /** pending_complete has run, or allocation failed (lock). */
    boolean done;
    /** pending_complete's verdict: the exception is in the complete table (lock). */
    boolean success;

    Pending(long oldChunk) {
        this.oldChunk = oldChunk;
        this.owner = Thread.currentThread();
    }
}
