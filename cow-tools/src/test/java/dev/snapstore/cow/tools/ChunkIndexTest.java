package dev.snapstore.cow.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** {@link ChunkIndex} answers as the {@code HashMap<Long, Long>} it replaces. */
class ChunkIndexTest {

    @Test
    void answersAsAHashMap() {
        Random r = new Random(3);
        ChunkIndex index = new ChunkIndex();
        Map<Long, Long> model = new HashMap<>();
        for (long record = 0; record < 200_000; record++) {
            long key =
                    switch (r.nextInt(4)) {
                        case 0 -> r.nextLong(); // any 64 bits, negative included
                        case 1 -> r.nextInt(1000); // many repeats, 0 included
                        case 2 -> (long) r.nextInt(1000) << 32; // same low bits
                        default -> -1L - r.nextInt(10);
                    };
            Long before = model.putIfAbsent(key, record);
            assertEquals(before == null ? -1 : before, index.putIfAbsent(key, record));
        }
        for (Map.Entry<Long, Long> e : model.entrySet()) {
            assertEquals(e.getValue(), index.get(e.getKey()));
        }
        assertEquals(-1, index.get(Long.MIN_VALUE + 12345));
    }
}
