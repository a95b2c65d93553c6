package dev.snapstore.dm;

/**
 * The kernel's own words for dm-snapshot, in one place: the {@code ti->error} texts of
 * {@code snapshot_ctr} and the snapshot-merge refusals (each printed by dm-table as
 * {@code "device-mapper: table: <dev>: <target>: <text> (<errno>)"}), and the lines dm-snap.c logs
 * under its {@link #LOG_PREFIX}. Every caller that produces or recognises one of these texts uses
 * the constant here, so that a fix to a text reaches them all; tests compare them with the kernel
 * fixtures.
 *
 * @since 0.1
 */
public final class KernelMessages {

    // --- ti->error of snapshot_ctr, in the order the constructor checks ---------------------

    /** {@code argc < 4}. */
    public static final String REQUIRES_4_ARGUMENTS = "requires 4 or more arguments";
    /** The feature group count is not a number from 0 to 2, or more than the arguments left. */
    public static final String INVALID_FEATURE_COUNT = "Invalid number of feature arguments";
    /** A feature name that is neither {@code discard_zeroes_cow} nor {@code discard_passdown_origin}. */
    public static final String UNRECOGNISED_FEATURE = "Unrecognised feature requested";
    /** {@code discard_passdown_origin} without {@code discard_zeroes_cow}. */
    public static final String PASSDOWN_NEEDS_ZEROES = "discard_passdown_origin feature depends on discard_zeroes_cow";
    /** The origin device could not be opened. */
    public static final String CANNOT_GET_ORIGIN = "Cannot get origin device";
    /** The COW device could not be opened. */
    public static final String CANNOT_GET_COW = "Cannot get COW device";
    /** The origin and the COW are one device. */
    public static final String SAME_DEVICE = "COW device cannot be the same as origin device";
    /** Type word, chunk size or store options refused ({@code dm_exception_store_create} failed). */
    public static final String STORE_NOT_CREATED = "Couldn't create exception store";
    /** A store type without merge support in a {@code snapshot-merge} table. */
    public static final String MERGE_NOT_SUPPORTED = "Snapshot exception store does not support snapshot-merge.";
    /** A second table on a COW that is not a snapshot/snapshot-merge handover pair. */
    public static final String HANDOVER_FAILED = "Snapshot cow pairing for exception table handover failed";
    /** {@code read_metadata} failed. */
    public static final String READ_METADATA_FAILED = "Failed to read snapshot metadata";
    /** A store that still has chunk size 0 after reading its metadata (the transient {@code N} with 0). */
    public static final String CHUNK_SIZE_NOT_SET = "Chunk size not set";
    /** A second snapshot of one origin asked to merge while one is merging. */
    public static final String ALREADY_MERGING = "A snapshot is already merging.";

    // --- lines dm-snap.c logs ------------------------------------------------------------------

    /** dm-snap.c's {@code DM_MSG_PREFIX}: its lines read {@code "device-mapper: snapshots: ..."}. */
    public static final String LOG_PREFIX = "snapshots";
    /** {@code read_metadata} found the snapshot invalidated (a warning; the load goes on). */
    public static final String MARKED_INVALID = "Snapshot is marked invalid.";
    /** {@code __invalidate_snapshot(s, -EIO)}. */
    public static final String INVALIDATED_IO = "Invalidating snapshot: Error reading/writing.";
    /** {@code __invalidate_snapshot(s, -ENOMEM)}: the store is full. */
    public static final String INVALIDATED_NO_SPACE = "Invalidating snapshot: Unable to allocate exception.";
    /** A {@code PO} snapshot found its store full on a snapshot write. */
    public static final String OVERFLOWED = "Snapshot overflowed: Unable to allocate exception.";
    /** {@code snapshot_merge_next_chunks} on an invalid snapshot: the merge stops, not failed. */
    public static final String MERGE_INVALID = "Snapshot is invalid: can't merge";
    /** {@code prepare_merge} failed. */
    public static final String MERGE_PREPARE_FAILED = "Read error in exception store: shutting down merge";
    /** The copy of a merge step could not read the COW. */
    public static final String MERGE_READ_FAILED = "Read error: shutting down merge.";
    /** The copy of a merge step could not write the origin. */
    public static final String MERGE_WRITE_FAILED = "Write error: shutting down merge.";
    /** The flush after a merge step failed. */
    public static final String MERGE_FLUSH_FAILED = "Flush after merge failed: shutting down merge";
    /** {@code commit_merge} failed. */
    public static final String MERGE_COMMIT_FAILED = "Write error in exception store: shutting down merge";

    // --- the other targets of a snapshot stack, and dm-table itself --------------------------

    /** {@code snapshot_ctr} before snapshot 1.16.0, which took no feature arguments. */
    public static final String REQUIRES_EXACTLY_4_ARGUMENTS = "requires exactly 4 arguments";
    /** {@code origin_ctr} (snapshot-origin) with other than one argument. */
    public static final String ORIGIN_ARGUMENT_COUNT = "origin: incorrect number of arguments";
    /** {@code linear_ctr} with other than two arguments. */
    public static final String LINEAR_ARGUMENT_COUNT = "Invalid argument count";
    /** {@code linear_ctr}: the offset is not one unsigned number. */
    public static final String LINEAR_INVALID_SECTOR = "Invalid device sector";
    /** {@code dm_table_add_target}: a target does not start where the previous one ends (or the first at 0). */
    public static final String GAP_IN_TABLE = "Gap in table";
    /** {@code dm_table_add_target}: a target of length 0 (logged as {@code "<dev>: zero-length target"}). */
    public static final String ZERO_LENGTH_TARGET = "zero-length target";
    /** {@code dm_table_add_target}: the kernel has no such target (logged as {@code "<dev>: <type>: unknown target type"}). */
    public static final String UNKNOWN_TARGET_TYPE = "unknown target type";

    private KernelMessages() {}

    /**
     * {@code __remove_single_exception_chunk} found no exception for a chunk the store merged.
     *
     * @param chunk the origin chunk
     * @return {@code "Corruption detected: exception for block N is on disk but not in memory"}
     */
    public static String mergeCorruption(long chunk) {
        return "Corruption detected: exception for block " + Long.toUnsignedString(chunk)
                + " is on disk but not in memory";
    }

    /**
     * {@code __remove_single_exception_chunk} was asked for a chunk inside a run.
     *
     * @param chunk the origin chunk
     * @param first the run's first origin chunk
     * @param last the run's last origin chunk
     * @return {@code "Attempt to merge block N from the middle of a chunk range [A - B]"}
     */
    public static String mergeFromMiddle(long chunk, long first, long last) {
        return "Attempt to merge block " + Long.toUnsignedString(chunk) + " from the middle of a chunk range ["
                + Long.toUnsignedString(first) + " - " + Long.toUnsignedString(last) + "]";
    }
}
