package dev.snapstore.cow.tools;

import dev.snapstore.cow.CowHeader;
import java.util.List;

/**
 * A dump read back: the header and the records with the places the dump gave them (which
 * {@link CowRestore#plan} checks against the table order).
 *
 * @param header the header words as dumped
 * @param records the records, in the dump's order
 */
public record CowDump(CowHeader header, List<DumpRecord> records) {

    /**
     * Copies the record list.
     *
     * @param header the header words as dumped
     * @param records the records, in the dump's order
     */
    public CowDump {
        records = List.copyOf(records);
    }

    /**
     * Reads a dump in either format: JSON when its first non-blank character is <code>{</code>,
     * else text.
     *
     * @param text the whole dump
     * @return the dump
     * @throws DumpException when it is not a well-formed dump
     */
    public static CowDump parse(String text) throws DumpException {
        return text.stripLeading().startsWith("{") ? DumpJson.parse(text) : DumpText.parse(text);
    }
}
