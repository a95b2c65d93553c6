package dev.snapstore.cow.tools;

import dev.snapstore.cow.CowHeader;
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.StringReader;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.math.BigInteger;
import java.nio.ByteOrder;
import java.nio.charset.MalformedInputException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads a text dump ({@link DumpText}) from bytes, line by line as {@link BufferedReader#readLine}
 * splits them ({@code \n}, {@code \r} or {@code \r\n}). A record line as the writer prints it is
 * parsed from the bytes at once, without a String; every other line (header, end, comments, and
 * any line the quick parse does not take whole) goes through {@link #line(String)}, the rules and
 * messages the reader always had, so both give the same records and the same refusals. The input
 * is read to its end even after a refusal, and in strict mode every line is checked to be UTF-8,
 * so that a malformed byte anywhere is reported first, as when the file was read whole. Not
 * thread-safe.
 */
final class TextDumpReader {

    private static final Pattern HEADER =
            Pattern.compile("header magic=0x([0-9a-fA-F]{1,8}) valid=(\\d+) version=(\\d+) chunk_size=(\\d+)");
    private static final Pattern EXCEPTION =
            Pattern.compile("exception area=(\\d+) index=(\\d+) old=(\\d+) new=(\\d+)");
    private static final Pattern END = Pattern.compile("end exceptions=(\\d+)");
    private static final BigInteger MAX_U64 = BigInteger.ONE.shiftLeft(64).subtract(BigInteger.ONE);
    private static final long MAX_U32 = 0xffff_ffffL;
    /** The largest value that ten times plus a digit may still fit 64 unsigned bits. */
    private static final long TENTH = Long.divideUnsigned(-1L, 10);

    private static final int READ_BYTES = 1 << 20;
    // Bytes after the data, never filled, so that 8 bytes can be read at any position in it.
    private static final int SLACK = 16;
    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final long EXCEPTIO = word("exceptio", 8);
    private static final long ON_AREA = word("on area=", 8);
    private static final long INDEX_WORD = word(" index=", 7);
    private static final long OLD_WORD = word(" old=", 5);
    private static final long NEW_WORD = word(" new=", 5);
    private static final long MASK7 = -1L >>> 8;
    private static final long MASK5 = -1L >>> 24;

    private final InputStream in;
    private final boolean strict;
    private byte[] buf;
    // [pos, limit): whole lines, each ending in a terminator; [limit, filled): the start of the next
    private int pos;
    private int limit;
    private int filled;
    private boolean eof;
    // the last byte is a '\n' added after a last line without a terminator
    private boolean synthetic;
    private boolean skipLf;

    // the reader's state, as the line loop always kept it
    private int number;
    private boolean sawMagic;
    private CowHeader header;
    private boolean ended;
    private long end;
    private DumpRecords records;
    private DumpException failure;
    // record lines may take the quick parse: after the magic and the header, before the end line
    private boolean open;
    private long parsed;

    private TextDumpReader(InputStream in, boolean strict) {
        this.in = in;
        this.strict = strict;
        this.buf = new byte[(in == null ? 0 : READ_BYTES) + SLACK];
    }

    private static byte[] bytes(String ascii) {
        return ascii.getBytes(StandardCharsets.US_ASCII);
    }

    /**
     * Reads a text dump from a stream, to its end.
     *
     * @param in the bytes, UTF-8
     * @param strict whether a malformed UTF-8 sequence is a {@link MalformedInputException} (as
     *     {@code Files.readString} throws) rather than read as U+FFFD (as {@code new String} does)
     */
    static CowDump read(InputStream in, boolean strict) throws DumpException, IOException {
        TextDumpReader reader = new TextDumpReader(in, strict);
        while (reader.fill()) {
            reader.lines();
        }
        return reader.finish();
    }

    /** Reads a text dump held in a String. */
    static CowDump parse(String text) throws DumpException {
        try {
            if (!hasSurrogates(text)) {
                // UTF-8 carries every such String unchanged
                return read(new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)), true);
            }
            // A lone surrogate does not survive UTF-8: read the String's lines as they are.
            TextDumpReader reader = new TextDumpReader(null, false);
            BufferedReader lines = new BufferedReader(new StringReader(text));
            for (String raw = lines.readLine(); raw != null; raw = lines.readLine()) {
                reader.number++;
                reader.line(raw);
            }
            return reader.finish();
        } catch (IOException e) {
            throw new IllegalStateException(e); // bytes and strings in memory do not fail
        }
    }

    private static boolean hasSurrogates(String text) {
        for (int i = 0; i < text.length(); i++) {
            if (Character.isSurrogate(text.charAt(i))) {
                return true;
            }
        }
        return false;
    }

    /**
     * Makes {@code [pos, limit)} a run of whole lines: moves the unread bytes to the front and reads
     * until a terminator arrives, or the input ends (a last line without one gets a '\n').
     *
     * @return false when nothing is left
     */
    private boolean fill() throws IOException {
        System.arraycopy(buf, pos, buf, 0, filled - pos);
        filled -= pos;
        pos = 0;
        limit = 0;
        int scanned = 0;
        while (true) {
            int last = lastTerminator(scanned, filled);
            if (last >= 0) {
                limit = last + 1;
                return true;
            }
            scanned = filled;
            if (eof) {
                if (filled == 0) {
                    return false;
                }
                room(filled + 1);
                buf[filled++] = '\n';
                synthetic = true;
                limit = filled;
                return true;
            }
            room(filled + READ_BYTES / 2);
            int n = in.read(buf, filled, buf.length - SLACK - filled);
            if (n < 0) {
                eof = true;
            } else {
                filled += n;
            }
        }
    }

    private int lastTerminator(int from, int to) {
        for (int i = to - 1; i >= from; i--) {
            if (buf[i] == '\n' || buf[i] == '\r') {
                return i;
            }
        }
        return -1;
    }

    /** Room for {@code bytes} bytes and the slack after them. */
    private void room(int bytes) {
        if (bytes > buf.length - SLACK) {
            buf = Arrays.copyOf(buf, Math.max(bytes, buf.length * 2) + SLACK);
        }
    }

    /** The lines in {@code [pos, limit)}. */
    private void lines() throws IOException {
        int p = pos;
        while (p < limit) {
            if (skipLf) {
                skipLf = false;
                if (buf[p] == '\n') {
                    p++;
                    continue;
                }
            }
            number++;
            int q = open ? record(buf, p) : -1;
            if (q < 0) {
                q = line(p);
            }
            skipLf = buf[q] == '\r';
            p = q + 1;
        }
        pos = p;
    }

    /**
     * The quick parse of a record line as the writer prints it: {@code exception area=A index=I
     * old=O new=N}, then only whitespace up to the terminator; numbers that fit 64 unsigned bits.
     *
     * @return the terminator's position, or -1 when the line is anything else
     */
    private int record(byte[] b, int p) {
        // the literals compared 8 bytes at a time: a terminator in a shorter line never matches
        if (word(b, p) != EXCEPTIO || word(b, p + 7) != ON_AREA || (p = digits(b, p + 15)) < 0) {
            return -1;
        }
        long area = parsed;
        if ((word(b, p) & MASK7) != INDEX_WORD || (p = digits(b, p + 7)) < 0) {
            return -1;
        }
        long index = parsed;
        if ((word(b, p) & MASK5) != OLD_WORD || (p = digits(b, p + 5)) < 0) {
            return -1;
        }
        long oldChunk = parsed;
        if ((word(b, p) & MASK5) != NEW_WORD || (p = digits(b, p + 5)) < 0) {
            return -1;
        }
        for (int c = b[p]; c != '\n' && c != '\r'; c = b[++p]) {
            if (!blank(c)) {
                return -1;
            }
        }
        records.add(area, index, oldChunk, parsed);
        return p;
    }

    private static long word(String ascii, int length) {
        byte[] bytes = new byte[8];
        System.arraycopy(bytes(ascii), 0, bytes, 0, length);
        return word(bytes, 0);
    }

    private static long word(byte[] b, int p) {
        return (long) LONGS.get(b, p);
    }

    /**
     * Decimal digits at {@code p} into {@link #parsed}: the position after them, or -1 for none or
     * too many for 64 bits. Up to 8 digits are found and converted in one word (SWAR).
     */
    private int digits(byte[] b, int p) {
        long w = word(b, p);
        long values = w - 0x3030303030303030L; // each digit byte's value; a borrow only above a non-digit
        // the high bit of each byte below '0' (values) or above '9' (the sum)
        long nonDigits = (values | (w + 0x4646464646464646L)) & 0x8080808080808080L;
        int n = Long.numberOfTrailingZeros(nonDigits) >>> 3; // digits before the first non-digit, at most 8
        if (n == 0) {
            return -1;
        }
        long v = values << (8 * (8 - n)); // the digits in the top bytes, leading zeros below
        v = (v * 10 + (v >>> 8)) & 0x00ff00ff00ff00ffL;
        v = (v * 100 + (v >>> 16)) & 0x0000ffff0000ffffL;
        v = (v * 10000 + (v >>> 32)) & 0xffffffffL;
        p += n;
        if (n == 8) {
            for (int d = b[p] - '0'; d >= 0 && d <= 9; d = b[++p] - '0') {
                if (v < 0 || v > TENTH || (v == TENTH && d > 5)) {
                    return -1;
                }
                v = v * 10 + d;
            }
        }
        parsed = v;
        return p;
    }

    /** An ASCII character that {@link String#strip()} removes. */
    private static boolean blank(int c) {
        return c == ' ' || (c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x1f);
    }

    /** Any line but a quickly parsed record: to the String rules; returns its terminator's position. */
    private int line(int p) throws IOException {
        int q = p;
        boolean ascii = true;
        for (int c = buf[q]; c != '\n' && c != '\r'; c = buf[++q]) {
            ascii &= c >= 0;
        }
        String text;
        if (ascii) {
            int s = p;
            int e = q;
            while (s < e && blank(buf[s])) {
                s++;
            }
            while (e > s && blank(buf[e - 1])) {
                e--;
            }
            if (s == e || buf[s] == '#' || failure != null) {
                return q; // nothing to read, or nothing more (the rest is only read to its end)
            }
            text = new String(buf, s, e - s, StandardCharsets.ISO_8859_1);
        } else {
            if (strict) {
                MalformedInputException malformed = Utf8.check(buf, p, q, ahead(q));
                if (malformed != null) {
                    throw malformed;
                }
            }
            if (failure != null) {
                return q;
            }
            // With its terminator, as the whole text was decoded; lenient decoding replaces alike.
            boolean real = !(synthetic && q == filled - 1);
            text = new String(buf, p, q - p + (real ? 1 : 0), StandardCharsets.UTF_8);
            text = real ? text.substring(0, text.length() - 1) : text;
        }
        line(text);
        return q;
    }

    /**
     * Reads on until 3 bytes after {@code q} are in the buffer, or the input ends; returns where
     * readable bytes end.
     */
    private int ahead(int q) throws IOException {
        while (!eof && filled < q + 4) {
            room(filled + READ_BYTES / 2);
            int n = in.read(buf, filled, buf.length - SLACK - filled);
            if (n < 0) {
                eof = true;
            } else {
                filled += n;
            }
        }
        return synthetic ? filled - 1 : filled;
    }

    /** One line, by the rules the reader always had; a refusal is kept and thrown once the input is read. */
    private void line(String raw) {
        if (failure != null) {
            return;
        }
        try {
            rules(raw);
        } catch (DumpException e) {
            failure = e;
        }
        open = failure == null && sawMagic && header != null && !ended;
    }

    private void rules(String raw) throws DumpException {
        String line = raw.strip();
        if (line.isEmpty() || line.startsWith("#")) {
            return;
        }
        if (!sawMagic) {
            if (!line.equals(DumpText.MAGIC_LINE)) {
                throw bad(number, "expected '" + DumpText.MAGIC_LINE + "' (is this a 'snapstore dump' output?)");
            }
            sawMagic = true;
            return;
        }
        if (ended) {
            throw bad(number, "text after the 'end' line");
        }
        Matcher m;
        if ((m = HEADER.matcher(line)).matches()) {
            if (header != null) {
                throw bad(number, "a second header line");
            }
            header = new CowHeader(
                    (int) Long.parseLong(m.group(1), 16),
                    u32(number, m.group(2)),
                    u32(number, m.group(3)),
                    u32(number, m.group(4)));
            records = DumpRecords.forHeader(header);
        } else if ((m = EXCEPTION.matcher(line)).matches()) {
            if (header == null) {
                throw bad(number, "an exception before the header line");
            }
            records.add(
                    u64(number, m.group(1)), u64(number, m.group(2)), u64(number, m.group(3)), u64(number, m.group(4)));
        } else if ((m = END.matcher(line)).matches()) {
            end = u64(number, m.group(1));
            ended = true;
        } else {
            throw bad(number, "not a header, exception or end line: '" + abbreviate(line) + "'");
        }
    }

    private CowDump finish() throws DumpException {
        if (failure != null) {
            throw failure;
        }
        if (!sawMagic || header == null) {
            throw new DumpException("the dump has no header line (is this a 'snapstore dump' output?)");
        }
        if (!ended) {
            throw new DumpException("the dump has no 'end exceptions=N' line: it is truncated");
        }
        if (end != records.size()) {
            throw new DumpException("the dump's end line says " + end + " exceptions but it lists " + records.size());
        }
        return new CowDump(header, records);
    }

    private static String abbreviate(String line) {
        return line.length() > 60 ? line.substring(0, 60) + "..." : line;
    }

    private static DumpException bad(int line, String why) {
        return new DumpException("dump line " + line + ": " + why);
    }

    private static int u32(int line, String digits) throws DumpException {
        long v;
        try {
            v = Long.parseLong(digits);
        } catch (NumberFormatException e) {
            v = -1;
        }
        if (v < 0 || v > MAX_U32) {
            throw bad(line, digits + " does not fit an unsigned 32-bit header word");
        }
        return (int) v;
    }

    private static long u64(int line, String digits) throws DumpException {
        BigInteger v = new BigInteger(digits);
        if (v.compareTo(MAX_U64) > 0) {
            throw bad(line, digits + " does not fit an unsigned 64-bit number");
        }
        return v.longValue();
    }
}
