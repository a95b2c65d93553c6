package dev.snapstore.cow.tools;

/**
 * One problem {@link CowCheck} found, and where: a value, rendered by {@link #line()} or as JSON
 * by {@link CheckReport#json(String)}.
 *
 * @param kind what is wrong
 * @param area the metadata area, or {@link #NONE} for the header
 * @param index the record's index in its area, or {@link #NONE} for the header or a whole area
 * @param offset the byte offset on the COW (unsigned)
 * @param message what is wrong, in words, with the numbers involved
 */
public record Finding(Kind kind, long area, long index, long offset, String message) {

    /** The {@code area} or {@code index} of a finding that has none. */
    public static final long NONE = -1;

    /** The kinds of problem, each with the word the check prints. */
    public enum Kind {
        /** The header's version is not {@code SNAPSHOT_DISK_VERSION}: the kernel refuses the COW. */
        VERSION("version"),
        /**
         * The header's valid flag is 0. Unlike every other kind, the kernel itself writes this when
         * it invalidates a snapshot, so a restore writes it back.
         */
        INVALID("invalid"),
        /** A record's new chunk is 0, the header: the kernel reads it as the end of the table. */
        POINTS_AT_HEADER("points-at-header"),
        /** A record's new chunk is a metadata area. */
        POINTS_AT_METADATA("points-at-metadata"),
        /** A record's new chunk lies past the end of the COW. */
        PAST_END("past-end"),
        /** Two records hold the same origin chunk. */
        DUPLICATE_ORIGIN_CHUNK("duplicate-origin-chunk"),
        /** A record's old chunk lies past the end of the origin. */
        PAST_ORIGIN_END("past-origin-end"),
        /** A new chunk is not the one the kernel would have allocated next. */
        ALLOCATION_ORDER("allocation-order"),
        /** A non-zero record after the end of the table, which the kernel ignores. */
        DATA_AFTER_TERMINATOR("data-after-terminator"),
        /** A metadata area the table needs lies beyond the end of the COW. */
        TRUNCATED("truncated");

        private final String word;

        Kind(String word) {
            this.word = word;
        }

        /** @return the word the check prints, e.g. {@code points-at-metadata} */
        public String word() {
            return word;
        }
    }

    /**
     * The finding as the check prints it:
     * {@code area A index I (byte offset B): KIND: message}, {@code area A (...)} for a whole area,
     * {@code header (...)} for the header.
     *
     * @return one line, without a line break
     */
    public String line() {
        String where = area < 0 ? "header" : index < 0 ? "area " + area : "area " + area + " index " + index;
        return where + " (byte offset " + Long.toUnsignedString(offset) + "): " + kind.word() + ": " + message;
    }
}
