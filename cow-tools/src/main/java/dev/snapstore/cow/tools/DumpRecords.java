package dev.snapstore.cow.tools;

import dev.snapstore.cow.CowFormat;
import dev.snapstore.cow.CowHeader;
import java.util.AbstractList;
import java.util.Arrays;
import java.util.List;
import java.util.RandomAccess;

/**
 * A dump's records kept compactly, as {@link CowDump#records()} hands them out: the old and new
 * chunks in pages of {@code long}s (16 bytes a record), and a record's place (area, index) only
 * when it is not the one its position gives ({@code n / epa}, {@code n % epa}), which in a dump
 * that restores is never. A {@link DumpRecord} is made on each {@link #get}. Filled by the dump
 * readers through {@link #add} before it is handed out, never changed after. Not thread-safe while
 * it is being filled.
 */
final class DumpRecords extends AbstractList<DumpRecord> implements RandomAccess {

    static final int PAGE_SHIFT = 12;
    static final int PAGE = 1 << PAGE_SHIFT;
    private static final int MASK = PAGE - 1;
    /** A List's size is an int; the pages' arithmetic stays clear of its edge. */
    private static final int MAX_RECORDS = Integer.MAX_VALUE - PAGE;

    private final int epa;
    private long[][] olds = new long[1][];
    private long[][] news = new long[1][];
    private int pages = 1;
    private int size;
    // the place the next record would have in table order
    private long nextArea;
    private long nextIndex;
    // records whose place is not their position's: numbers ascending, with their area and index
    private int[] movedAt = new int[0];
    private long[] movedArea = new long[0];
    private long[] movedIndex = new long[0];
    private int moved;

    /**
     * @param epa the records per area that positions give places by (any positive number: a place
     *     that differs is kept as it is)
     */
    DumpRecords(int epa) {
        this.epa = Math.max(1, epa);
        olds[0] = new long[16];
        news[0] = new long[16];
    }

    /**
     * An empty store whose positions give places for a header's chunk size (or for chunk size 8,
     * when it has none usable).
     */
    static DumpRecords forHeader(CowHeader header) {
        return new DumpRecords(placesPerArea(header == null ? 0 : header.chunkSize()));
    }

    /** The records per area of a chunk size, or 256 when it gives none. */
    static int placesPerArea(long chunkSize) {
        if (chunkSize <= 0 || chunkSize > Integer.MAX_VALUE >> CowFormat.SECTOR_SHIFT) {
            return CowFormat.exceptionsPerArea(8);
        }
        int epa = CowFormat.exceptionsPerArea((int) chunkSize);
        return epa > 0 ? epa : CowFormat.exceptionsPerArea(8);
    }

    /**
     * The records of any list, kept compactly; the store itself when it already is one.
     *
     * @throws NullPointerException when an element is null (as {@link List#copyOf} does)
     */
    static DumpRecords copyOf(List<DumpRecord> records, CowHeader header) {
        if (records instanceof DumpRecords compact) {
            return compact;
        }
        DumpRecords copy = forHeader(header);
        for (DumpRecord r : records) {
            copy.add(r.area(), r.index(), r.oldChunk(), r.newChunk());
        }
        return copy;
    }

    /** Appends a record. */
    void add(long area, long index, long oldChunk, long newChunk) {
        int n = size;
        int page = n >>> PAGE_SHIFT;
        int at = n & MASK;
        long[] o;
        if (page < pages && at < olds[page].length) {
            o = olds[page];
        } else {
            o = room(page);
        }
        o[at] = oldChunk;
        news[page][at] = newChunk;
        if (area != nextArea || index != nextIndex) {
            move(n, area, index);
        }
        if (++nextIndex == epa) {
            nextIndex = 0;
            nextArea++;
        }
        size = n + 1;
    }

    /** Makes room for the next record, on {@code page}; returns that page's old chunks. */
    private long[] room(int page) {
        if (size >= MAX_RECORDS) {
            throw new IllegalStateException("more than " + MAX_RECORDS + " records");
        }
        if (page < pages) {
            // the first page doubles up to a full page, so that a small dump stays small
            int length = Math.min(PAGE, olds[page].length * 2);
            olds[page] = Arrays.copyOf(olds[page], length);
            news[page] = Arrays.copyOf(news[page], length);
            return olds[page];
        }
        if (page == olds.length) {
            olds = Arrays.copyOf(olds, olds.length * 2);
            news = Arrays.copyOf(news, news.length * 2);
        }
        olds[page] = new long[PAGE];
        news[page] = new long[PAGE];
        pages++;
        return olds[page];
    }

    private void move(int n, long area, long index) {
        if (moved == movedAt.length) {
            int length = Math.max(16, moved + (moved >> 1));
            movedAt = Arrays.copyOf(movedAt, length);
            movedArea = Arrays.copyOf(movedArea, length);
            movedIndex = Arrays.copyOf(movedIndex, length);
        }
        movedAt[moved] = n;
        movedArea[moved] = area;
        movedIndex[moved] = index;
        moved++;
    }

    @Override
    public int size() {
        return size;
    }

    @Override
    public DumpRecord get(int n) {
        if (n < 0 || n >= size) {
            throw new IndexOutOfBoundsException("record " + n + " of " + size);
        }
        int m = Arrays.binarySearch(movedAt, 0, moved, n);
        long area = m >= 0 ? movedArea[m] : n / epa;
        long index = m >= 0 ? movedIndex[m] : n % epa;
        return new DumpRecord(area, index, oldChunk(n), newChunk(n));
    }

    /** @return record {@code n}'s old chunk, {@code n} in range */
    long oldChunk(int n) {
        return olds[n >>> PAGE_SHIFT][n & MASK];
    }

    /** @return record {@code n}'s new chunk, {@code n} in range */
    long newChunk(int n) {
        return news[n >>> PAGE_SHIFT][n & MASK];
    }

    /** @return the records per area that positions give places by */
    int placesPerArea() {
        return epa;
    }

    /** @return how many records have a place that is not their position's */
    int moved() {
        return moved;
    }

    /** @return the number of the {@code i}-th record (from 0) whose place is not its position's */
    int movedAt(int i) {
        return movedAt[i];
    }

    /** @return the area of the {@code i}-th record whose place is not its position's */
    long movedArea(int i) {
        return movedArea[i];
    }

    /** @return the index of the {@code i}-th record whose place is not its position's */
    long movedIndex(int i) {
        return movedIndex[i];
    }

    /** @return the old chunks of all the records, in order, in a new array */
    long[] oldChunks() {
        long[] all = new long[size];
        for (int from = 0; from < size; from += PAGE) {
            System.arraycopy(olds[from >>> PAGE_SHIFT], 0, all, from, Math.min(PAGE, size - from));
        }
        return all;
    }

    /** @return the bytes the store holds, for tests and measurements */
    long bytes() {
        long bytes = 0;
        for (int p = 0; p < pages; p++) {
            bytes += 8L * (olds[p].length + news[p].length);
        }
        return bytes + 8L * (olds.length + news.length) + 20L * movedAt.length;
    }
}
