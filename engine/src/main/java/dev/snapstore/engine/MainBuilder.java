package dev.snapstore.engine;

import java.util.Arrays;

/**
 * Builds the main part of an {@link ExceptionTable} from runs sorted by first old chunk: the low 32
 * bits of each start (sign bit flipped, {@link #low}) and the index of the distinct upper 32 bits,
 * filled one run at a time in order, so that a load can keep its runs in this form from the start.
 */
final class MainBuilder {

    int[] lows;
    long[] news;
    private long[] keys = new long[4];
    private int[] firsts = new int[5];
    private int groups;

    /** For a load that keeps the low words itself ({@link #group}, then {@link #arrays}). */
    MainBuilder() {}

    /** For runs whose new chunks are already in {@code news}, exactly sized ({@link #start}). */
    MainBuilder(long[] news) {
        this.news = news;
        this.lows = new int[news.length];
    }

    /** The low word of a first old chunk as the main part keeps it: flipped, so signed order is unsigned. */
    static int low(long first) {
        return (int) first ^ Integer.MIN_VALUE;
    }

    /** Sets run {@code i}'s first old chunk; runs come in order, from 0. */
    void start(int i, long first) {
        group(i, first >>> 32);
        lows[i] = low(first);
    }

    /** Notes run {@code i}'s upper 32 bits; runs come in order, from 0. */
    void group(int i, long high) {
        if (groups == 0 || keys[groups - 1] != high) {
            if (groups == keys.length) {
                keys = Arrays.copyOf(keys, groups * 2);
                firsts = Arrays.copyOf(firsts, groups * 2 + 1);
            }
            keys[groups] = high;
            firsts[groups] = i;
            groups++;
        }
    }

    /** The first old chunk of run {@code i} (noted with {@link #group}) with this low word. */
    long startOf(int i, int low) {
        int lo = 0;
        int hi = groups - 1;
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            if (firsts[mid] <= i) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        return (keys[lo] << 32) | ((low ^ Integer.MIN_VALUE) & 0xFFFF_FFFFL);
    }

    /** Takes the finished arrays of a load that kept the low words itself. */
    void arrays(int[] lows, long[] news) {
        this.lows = lows;
        this.news = news;
    }

    /** The distinct upper 32 bits, ascending. */
    long[] highKeys() {
        return Arrays.copyOf(keys, groups);
    }

    /** Where each group of {@link #highKeys()} starts, and the number of runs at the end. */
    int[] highStart() {
        int[] starts = Arrays.copyOf(firsts, groups + 1);
        starts[groups] = lows.length;
        return starts;
    }
}
