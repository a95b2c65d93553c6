package dev.snapstore.spi;

/**
 * The newest exceptions not yet merged, as {@code prepare_merge} reports them: {@code count}
 * records counting backwards from ({@code lastOld}, {@code lastNew}), in which both chunk numbers
 * go down by one per record.
 *
 * @param count how many exceptions may be merged in one step, at least 1
 * @param lastOld the origin chunk of the newest exception
 * @param lastNew the COW chunk of the newest exception
 * @since 0.1
 */
public record MergeRun(int count, long lastOld, long lastNew) {

    /** Checks the count. */
    public MergeRun {
        if (count < 1) {
            throw new IllegalArgumentException("a merge run holds at least one exception: " + count);
        }
    }

    /**
     * The origin chunk of the oldest exception in the run.
     *
     * @return {@code lastOld + 1 - count}
     */
    public long firstOld() {
        return lastOld + 1 - count;
    }

    /**
     * The COW chunk of the oldest exception in the run.
     *
     * @return {@code lastNew + 1 - count}
     */
    public long firstNew() {
        return lastNew + 1 - count;
    }
}
