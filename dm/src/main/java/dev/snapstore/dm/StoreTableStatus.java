package dev.snapstore.dm;

import java.util.Objects;

/**
 * The exception store's part of a snapshot's TABLE status, as {@code persistent_status} and
 * {@code transient_status} print it ({@code " %s %llu"}): the normalised type word and the chunk
 * size in use, e.g. {@code P 8}, {@code PO 8}, {@code N 16}. It shows what the kernel made of the
 * table: a header's chunk size wins over the table's, {@code po} prints as {@code PO}, {@code Nfoo}
 * as {@code N}.
 *
 * @param typeWord {@code P}, {@code PO} or {@code N}
 * @param chunkSize the chunk size in sectors (unsigned 32-bit)
 * @since 0.1
 */
public record StoreTableStatus(String typeWord, long chunkSize) {

    /**
     * Checks the values.
     *
     * @param typeWord the type word
     * @param chunkSize the chunk size
     */
    public StoreTableStatus {
        Objects.requireNonNull(typeWord, "typeWord");
        if (!typeWord.equals("P") && !typeWord.equals("PO") && !typeWord.equals("N")) {
            throw new IllegalArgumentException("a store prints P, PO or N, not \"" + typeWord + "\"");
        }
        if (chunkSize < 0 || chunkSize > 0xFFFF_FFFFL) {
            throw new IllegalArgumentException("chunk size out of range: " + chunkSize);
        }
    }

    /**
     * Parses the store's part, e.g. {@code "PO 8"}.
     *
     * @param text the two words
     * @return the value
     * @throws StatusException when it is not what a store prints
     */
    public static StoreTableStatus parse(String text) throws StatusException {
        Objects.requireNonNull(text, "text");
        String[] words = text.strip().split(" ", -1);
        if (words.length != 2 || !words[1].matches("[0-9]{1,10}")) {
            throw new StatusException("not a store's table status (\"P 8\", \"PO 8\", \"N 16\"): \"" + text + "\"");
        }
        try {
            return new StoreTableStatus(words[0], Long.parseLong(words[1]));
        } catch (IllegalArgumentException e) {
            throw new StatusException("not a store's table status: \"" + text + "\" (" + e.getMessage() + ")");
        }
    }

    /**
     * The store's part of a snapshot's TABLE status line.
     *
     * @param table a table line as {@code dmsetup table} shows it (normalised by the kernel)
     * @return its type word and chunk size
     * @throws StatusException when the line's type word or chunk size is not a store's printout
     */
    public static StoreTableStatus of(TableLine table) throws StatusException {
        return parse(table.typeWord() + " " + table.chunkSize());
    }

    /**
     * Whether the store keeps a snapshot valid on overflow.
     *
     * @return {@code true} for {@code PO}
     */
    public boolean overflow() {
        return typeWord.equals("PO");
    }

    /**
     * The text as the store prints it.
     *
     * @return e.g. {@code "PO 8"}
     */
    public String format() {
        return typeWord + " " + chunkSize;
    }
}
