package dev.snapstore.cow.tools;

import dev.snapstore.cow.CowHeader;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.MalformedInputException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/**
 * A dump read back: the header and the records with the places the dump gave them (which
 * {@link CowRestore#plan} checks against the table order).
 *
 * <p>The records are kept compactly, some 16 bytes each (a dump of 10 M records is 160 MB, not
 * gigabytes of objects): {@link #records()} is an unmodifiable random-access list that makes each
 * {@link DumpRecord} when asked for it, and equals any list of the same records.
 *
 * @param header the header words as dumped
 * @param records the records, in the dump's order
 */
public record CowDump(CowHeader header, List<DumpRecord> records) {

    /**
     * Copies the record list into the compact form (unless it already is one of a reader's).
     *
     * @param header the header words as dumped
     * @param records the records, in the dump's order
     * @throws NullPointerException when the list or one of its records is null
     */
    public CowDump {
        records = DumpRecords.copyOf(records, header);
    }

    /** The records in their compact form, as the constructor left them. */
    DumpRecords compact() {
        return (DumpRecords) records;
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

    /**
     * Reads a dump in either format from a stream of UTF-8, to its end, without holding its text
     * (the same dump and the same refusals as {@link #parse} of the decoded text): JSON when its
     * first non-blank character is <code>{</code>, else text.
     *
     * @param in the dump; read to its end, not closed
     * @param malformed {@link CodingErrorAction#REPORT} to throw a {@link MalformedInputException},
     *     as {@code Files.readString} does, for a malformed UTF-8 sequence anywhere in the input, in
     *     preference to any refusal; {@link CodingErrorAction#REPLACE} to read it as U+FFFD, as
     *     {@code new String(bytes, UTF_8)} does
     * @return the dump
     * @throws DumpException when it is not a well-formed dump
     * @throws IOException when reading fails, or on malformed UTF-8 under {@code REPORT}
     * @throws IllegalArgumentException for {@link CodingErrorAction#IGNORE}
     */
    public static CowDump read(InputStream in, CodingErrorAction malformed) throws DumpException, IOException {
        boolean strict = strict(malformed);
        // Read up to the first character that String.stripLeading would keep.
        byte[] head = new byte[8192];
        int n = 0;
        int at = 0;
        boolean eof = false;
        while (true) {
            if (!eof && n < at + 4) {
                if (n == head.length) {
                    head = Arrays.copyOf(head, head.length * 2);
                }
                int read = in.read(head, n, head.length - n);
                if (read < 0) {
                    eof = true;
                } else {
                    n += read;
                }
                continue;
            }
            int length = at == n ? 0 : sequenceLength(head[at]);
            if (length == 0 || at + length > n || !whitespace(head, at, length)) {
                break;
            }
            at += length;
        }
        boolean json = at < n && head[at] == '{';
        InputStream all = new SequenceInputStream(new ByteArrayInputStream(head, 0, n), in);
        return json ? JsonDumpReader.read(all, strict) : TextDumpReader.read(all, strict);
    }

    private static int sequenceLength(byte lead) {
        if (lead >= 0) {
            return 1;
        }
        return (lead & 0xe0) == 0xc0 ? 2 : (lead & 0xf0) == 0xe0 ? 3 : (lead & 0xf8) == 0xf0 ? 4 : 1;
    }

    private static boolean whitespace(byte[] b, int at, int length) {
        if (length == 1) {
            return Character.isWhitespace(b[at]); // a lone byte past ASCII is malformed, U+FFFD
        }
        String s = new String(b, at, length, StandardCharsets.UTF_8);
        return s.codePointCount(0, s.length()) == 1 && Character.isWhitespace(s.codePointAt(0));
    }

    /** Whether an action asks for a malformed sequence to be reported. */
    static boolean strict(CodingErrorAction malformed) {
        if (malformed == CodingErrorAction.REPORT) {
            return true;
        }
        if (malformed == CodingErrorAction.REPLACE) {
            return false;
        }
        throw new IllegalArgumentException("malformed UTF-8 is reported or replaced, not " + malformed);
    }
}
