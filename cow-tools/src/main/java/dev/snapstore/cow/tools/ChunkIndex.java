package dev.snapstore.cow.tools;

import java.util.Arrays;

/**
 * Which record first held each old chunk: an open-addressing hash of primitive arrays (linear
 * probing, at most 3/4 full), 16 bytes a slot, so about 21-43 bytes per record where a
 * {@code HashMap<Long, Long>} takes some 80. Record numbers are never negative; -1 marks a free
 * slot. Not thread-safe.
 */
final class ChunkIndex {

    private long[] keys = new long[1024];
    private long[] values = filled(1024);
    private int size;

    private static long[] filled(int n) {
        long[] a = new long[n];
        Arrays.fill(a, -1);
        return a;
    }

    private static int slot(long key, int mask) {
        long h = key * 0x9E3779B97F4A7C15L;
        return (int) (h ^ (h >>> 32)) & mask;
    }

    /**
     * @param key an old chunk
     * @return the record first stored for it, or -1
     */
    long get(long key) {
        int mask = keys.length - 1;
        for (int i = slot(key, mask); values[i] >= 0; i = (i + 1) & mask) {
            if (keys[i] == key) {
                return values[i];
            }
        }
        return -1;
    }

    /**
     * Stores {@code value} for {@code key} unless it already has one.
     *
     * @param key an old chunk
     * @param value a record number, not negative
     * @return the value already stored, or -1 when this one was stored
     */
    long putIfAbsent(long key, long value) {
        int mask = keys.length - 1;
        int i = slot(key, mask);
        for (; values[i] >= 0; i = (i + 1) & mask) {
            if (keys[i] == key) {
                return values[i];
            }
        }
        keys[i] = key;
        values[i] = value;
        if (++size > keys.length - (keys.length >>> 2)) {
            grow();
        }
        return -1;
    }

    private void grow() {
        long[] oldKeys = keys;
        long[] oldValues = values;
        keys = new long[oldKeys.length * 2];
        values = filled(oldKeys.length * 2);
        int mask = keys.length - 1;
        for (int j = 0; j < oldKeys.length; j++) {
            if (oldValues[j] >= 0) {
                int i = slot(oldKeys[j], mask);
                while (values[i] >= 0) {
                    i = (i + 1) & mask;
                }
                keys[i] = oldKeys[j];
                values[i] = oldValues[j];
            }
        }
    }
}
