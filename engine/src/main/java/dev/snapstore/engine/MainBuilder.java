package dev.snapstore.engine;

import java.util.Arrays;

/**
 * Builds the main part of an {@link ExceptionTable} from runs sorted by first old chunk: the low 32
 * bits of each start (sign bit flipped) and the index of the distinct upper 32 bits, filled one run
 * at a time in order, so that a load can write them straight from its pages.
 */
final class MainBuilder {

    final int[] lows;
    final long[] news;
    private long[] keys = new long[4];
    private int[] firsts = new int[5];
    private int groups;

    /** For runs whose new chunks are already in {@code news}, exactly sized. */
    MainBuilder(long[] news) {
        this.news = news;
        this.lows = new int[news.length];
    }

    /** Sets run {@code i}'s first old chunk; runs come in order, from 0. */
    void start(int i, long first) {
        long high = first >>> 32;
        if (groups == 0 || keys[groups - 1] != high) {
            newGroup(i, high);
        }
        lows[i] = (int) first ^ Integer.MIN_VALUE;
    }

    private void newGroup(int i, long high) {
        if (groups == keys.length) {
            keys = Arrays.copyOf(keys, groups * 2);
            firsts = Arrays.copyOf(firsts, groups * 2 + 1);
        }
        keys[groups] = high;
        firsts[groups] = i;
        groups++;
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
