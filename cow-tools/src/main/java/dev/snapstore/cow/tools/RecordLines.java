package dev.snapstore.cow.tools;

import java.nio.charset.StandardCharsets;

/**
 * A dump's records as bytes: {@code head area beforeIndex index ...} where the rest is each
 * format's own ({@link #text()}, {@link #json()}). Built for tens of millions of records: the
 * record's start up to the index is made once per area, an index below 4096 comes from a table, a
 * new chunk is usually the last one raised by one ({@link Decimal.Counter}), and texts and numbers
 * are stored 8 bytes at a time, each format's texts as constants (a layout in fields instead was a
 * quarter slower). The area and the index are printed signed, the chunks unsigned. Not thread-safe.
 */
abstract class RecordLines implements ParallelDump.RecordFormat {

    static final String LINE_BREAK = System.lineSeparator(); // what println writes
    static final int MAX_DIGITS = 20; // a sign and 19 digits, or 20 digits

    private final byte[] head;
    private final byte[] firstHead;
    private final byte[] beforeIndex;
    // head + area + beforeIndex for prefixArea, as bytes and as longs
    private final byte[] prefix;
    private final long[] prefixWords;
    private int prefixLength;
    private long prefixArea;
    final Decimal.Counter indexes = new Decimal.Counter();
    final Decimal.Counter newChunks = new Decimal.Counter();

    /**
     * @param firstHead the head of the table's first record (area 0, index 0), where it differs
     */
    private RecordLines(String head, String firstHead, String beforeIndex) {
        this.head = ascii(head);
        this.firstHead = ascii(firstHead);
        this.beforeIndex = ascii(beforeIndex);
        // prefixWords() is a constant of the subclass, so it can be asked here
        if (Math.max(head.length(), firstHead.length()) + MAX_DIGITS + beforeIndex.length() > 8 * prefixWords()) {
            throw new IllegalArgumentException("a record's head is too long: " + head + beforeIndex);
        }
        this.prefixWords = new long[prefixWords()];
        this.prefix = new byte[8 * prefixWords() + Decimal.SLACK];
        System.arraycopy(this.head, 0, prefix, 0, this.head.length);
    }

    /** {@code exception area=A index=I old=O new=N}, a line each: {@link DumpText}'s. */
    static RecordLines text() {
        return new Text();
    }

    /**
     * The elements of {@link DumpJson}'s {@code exceptions} array as Jackson's pretty printer
     * writes them there: {@code " {"} for the first, {@code ", {"} for every other, fields a line
     * each at depth 2, the brace at depth 1.
     */
    static RecordLines json() {
        return new Json();
    }

    /** The words the record's start up to the index is stored in: the format's constant. */
    abstract int prefixWords();

    /** The record from its index on, at {@code at}; returns the index after it. */
    abstract int rest(byte[] into, int at, long index, long oldChunk, long newChunk);

    @Override
    public int records(byte[] into, int at, long area, int from, long[] fields, int count) {
        int p = at;
        int i = 0;
        if (area == 0 && from == 0 && count > 0) {
            p = line(into, p, area, 0, fields[0], fields[1]);
            i = 1;
        }
        usePrefix(area);
        for (; i < count; i++) {
            p = rest(into, putPrefix(into, p), from + i, fields[2 * i], fields[2 * i + 1]);
        }
        return p;
    }

    /**
     * One record at {@code at}, which has {@link #maxRecordBytes()} bytes free.
     *
     * @return the index after it
     */
    final int line(byte[] into, int at, long area, long index, long oldChunk, long newChunk) {
        if (area == 0 && index == 0 && firstHead.length != head.length) {
            System.arraycopy(firstHead, 0, into, at, firstHead.length);
            int p = Decimal.putSigned(into, at + firstHead.length, area);
            System.arraycopy(beforeIndex, 0, into, p, beforeIndex.length);
            return rest(into, p + beforeIndex.length, index, oldChunk, newChunk);
        }
        usePrefix(area);
        return rest(into, putPrefix(into, at), index, oldChunk, newChunk);
    }

    private void usePrefix(long area) {
        if (area != prefixArea || prefixLength == 0) {
            int p = Decimal.putSigned(prefix, head.length, area);
            System.arraycopy(beforeIndex, 0, prefix, p, beforeIndex.length);
            prefixLength = p + beforeIndex.length;
            for (int w = 0; w < prefixWords.length; w++) {
                prefixWords[w] = Decimal.wordAt(prefix, 8 * w);
            }
            prefixArea = area;
        }
    }

    private int putPrefix(byte[] into, int at) {
        long[] words = prefixWords;
        // every word, whatever the prefix's length: what lies past it is written over next
        for (int w = 0; w < prefixWords(); w++) {
            Decimal.putWord(into, at + 8 * w, words[w], 8);
        }
        return at + prefixLength;
    }

    /**
     * The index: from a table of the first ones (areas of chunks up to 64 KiB), else usually one
     * more than the last.
     */
    final int index(byte[] into, int at, long index) {
        if (index >= 0 && index < SMALL_INDEXES) {
            int i = (int) index;
            return Decimal.putWord(into, at, SMALL_INDEX_DIGITS[i], SMALL_INDEX_LENGTHS[i]);
        }
        return index >= 0 ? indexes.put(into, at, index) : Decimal.putSigned(into, at, index);
    }

    private static final int SMALL_INDEXES = 4096;
    private static final long[] SMALL_INDEX_DIGITS = new long[SMALL_INDEXES];
    private static final byte[] SMALL_INDEX_LENGTHS = new byte[SMALL_INDEXES];

    static {
        for (int i = 0; i < SMALL_INDEXES; i++) {
            SMALL_INDEX_DIGITS[i] = Decimal.word(Integer.toString(i));
            SMALL_INDEX_LENGTHS[i] = (byte) Integer.toString(i).length();
        }
    }

    static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    /** {@link DumpText}'s lines. */
    private static final class Text extends RecordLines {

        private static final long OLD = Decimal.word(" old=");
        private static final long NEW = Decimal.word(" new=");
        private static final long END = Decimal.word(LINE_BREAK);
        private static final int END_LENGTH = LINE_BREAK.length();

        Text() {
            super("exception area=", "exception area=", " index=");
        }

        @Override
        int prefixWords() {
            return 6; // "exception area=" + 20 + " index=": 42 bytes
        }

        @Override
        public int maxRecordBytes() {
            return 8 * prefixWords() + 3 * MAX_DIGITS + 3 * 8 + Decimal.SLACK;
        }

        @Override
        int rest(byte[] into, int at, long index, long oldChunk, long newChunk) {
            int p = index(into, at, index);
            p = Decimal.putWord(into, p, OLD, 5);
            p = Decimal.put(into, p, oldChunk);
            p = Decimal.putWord(into, p, NEW, 5);
            p = newChunks.put(into, p, newChunk);
            return Decimal.putWord(into, p, END, END_LENGTH);
        }
    }

    /** {@link DumpJson}'s array elements. */
    private static final class Json extends RecordLines {

        private static final String FIELD = LINE_BREAK + "    ";
        private static final String OLD = "," + FIELD + "\"oldChunk\" : ";
        private static final String NEW = "," + FIELD + "\"newChunk\" : ";
        private static final String END = LINE_BREAK + "  }";
        private static final long OLD_0 = Decimal.word(OLD);
        private static final long OLD_1 = Decimal.word(OLD.substring(8));
        private static final long OLD_2 = Decimal.word(OLD.substring(16));
        private static final long NEW_0 = Decimal.word(NEW);
        private static final long NEW_1 = Decimal.word(NEW.substring(8));
        private static final long NEW_2 = Decimal.word(NEW.substring(16));
        private static final long END_0 = Decimal.word(END);
        // the bytes of the last word that count
        private static final int OLD_TAIL = OLD.length() - 16;
        private static final int NEW_TAIL = NEW.length() - 16;
        private static final int END_LENGTH = END.length();

        Json() {
            super(", {" + FIELD + "\"area\" : ", " {" + FIELD + "\"area\" : ", "," + FIELD + "\"index\" : ");
        }

        @Override
        int prefixWords() {
            return 7; // ", {" + FIELD + "\"area\" : " + 20 + "," + FIELD + "\"index\" : ": 55 bytes at most
        }

        @Override
        public int maxRecordBytes() {
            return 8 * prefixWords() + 3 * MAX_DIGITS + 3 * 24 + Decimal.SLACK;
        }

        @Override
        int rest(byte[] into, int at, long index, long oldChunk, long newChunk) {
            int p = index(into, at, index);
            Decimal.putWord(into, p, OLD_0, 8);
            Decimal.putWord(into, p + 8, OLD_1, 8);
            p = Decimal.putWord(into, p + 16, OLD_2, OLD_TAIL);
            p = Decimal.put(into, p, oldChunk);
            Decimal.putWord(into, p, NEW_0, 8);
            Decimal.putWord(into, p + 8, NEW_1, 8);
            p = Decimal.putWord(into, p + 16, NEW_2, NEW_TAIL);
            p = newChunks.put(into, p, newChunk);
            return Decimal.putWord(into, p, END_0, END_LENGTH);
        }
    }
}
