package dev.snapstore.store.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.snapstore.spi.BlockDevice;
import dev.snapstore.spi.ExceptionStore;
import dev.snapstore.spi.MemoryBlockDevice;
import dev.snapstore.spi.MetadataState;
import dev.snapstore.spi.StoreContext;
import dev.snapstore.spi.StoreException;
import dev.snapstore.spi.Usage;
import dev.snapstore.testkit.AdjustableMemoryDevice;
import dev.snapstore.testkit.Fixtures;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The transient store of dm-snap-transient.c (spec §3). */
class TransientStoreTest {

    private static ExceptionStore store(BlockDevice cow, int chunkSize, String options) {
        return new TransientStoreType().create(StoreContext.of(cow, chunkSize), options);
    }

    @Test
    void allocatesLinearlyFromChunkZeroAndIsFullWhenTheNextChunkDoesNotFit() throws StoreException {
        MemoryBlockDevice cow = new MemoryBlockDevice("cow", 8 * 5 + 7); // 5 whole chunks and a partial one
        ExceptionStore store = store(cow, 8, null);
        assertEquals(MetadataState.VALID, store.readMetadata((o, n) -> {
            throw new AssertionError("no metadata");
        }));
        for (long expected = 0; expected < 5; expected++) {
            assertEquals(expected, store.prepareException(1000 + expected));
        }
        assertEquals(ExceptionStore.NO_SPACE, store.prepareException(7), "a partial trailing chunk is never used");
        assertEquals(new Usage(47, 40, 0), store.usage());
        assertEquals(new Usage(47, 40, 0), store.usage());
    }

    @Test
    void theSizeIsReadAgainOnEveryAllocation() {
        AdjustableMemoryDevice cow = new AdjustableMemoryDevice("cow", 16);
        ExceptionStore store = store(cow, 8, null);
        assertEquals(0, store.prepareException(0));
        assertEquals(1, store.prepareException(1));
        assertEquals(ExceptionStore.NO_SPACE, store.prepareException(2));
        cow.resize(32);
        assertEquals(2, store.prepareException(2));
        assertEquals(new Usage(32, 24, 0), store.usage());
    }

    @Test
    void commitCallsBackAtOnceWithTheCopyResult() {
        ExceptionStore store = store(new MemoryBlockDevice("cow", 64), 8, null);
        List<Boolean> results = new ArrayList<>();
        store.commitException(1, store.prepareException(1), true, results::add);
        store.commitException(2, store.prepareException(2), false, results::add);
        assertEquals(List.of(true, false), results);
    }

    @ParameterizedTest
    @ValueSource(strings = {"O", "0", "foo", "X", ""})
    void optionsAreIgnoredAndTheTableSaysN(String options) {
        // fixture s6-errors cases 4, 5, 11, 12: NO, N0, n, Nfoo all show "N 8".
        ExceptionStore store = store(new MemoryBlockDevice("cow", 2048), 8, options);
        assertEquals("N", store.typeWord());
        assertEquals(" N 8", store.tableStatus());
        assertFalse(store.supportsOverflow());
    }

    @Test
    void neverTouchesTheCowAndHasNoMergeOrDrop() throws IOException, StoreException {
        AdjustableMemoryDevice cow = new AdjustableMemoryDevice("cow", 64);
        ByteBuffer header = ByteBuffer.wrap("XXXX".repeat(128).getBytes(StandardCharsets.US_ASCII));
        cow.write(0, header);
        cow.setReadOnly(true); // any write by the store would fail
        ExceptionStore store = store(cow, 8, null);
        store.readMetadata((o, n) -> {});
        store.prepareException(5);
        store.commitException(5, 0, true, ok -> assertTrue(ok));
        store.dropSnapshot();
        assertThrows(UnsupportedOperationException.class, store::prepareMerge);
        assertThrows(UnsupportedOperationException.class, () -> store.commitMerge(1));
        assertFalse(new TransientStoreType().supportsMerge());
    }

    /** Reference model: the kernel's next_free in sectors, allocation while next_free + cs <= size. */
    @Property(tries = 300)
    void matchesTheKernelsArithmetic(
            @ForAll @IntRange(min = 0, max = 12) int shift, @ForAll @LongRange(min = 0, max = 100_000) long size) {
        int chunk = 1 << shift;
        ExceptionStore store = store(new MemoryBlockDevice("cow", size), chunk, null);
        long nextFree = 0;
        for (int i = 0; i < 200; i++) {
            long got = store.prepareException(i);
            if (size < nextFree + chunk) {
                assertEquals(ExceptionStore.NO_SPACE, got);
                break;
            }
            assertEquals(nextFree >> shift, got);
            nextFree += chunk;
            assertEquals(new Usage(size, nextFree, 0), store.usage());
        }
    }

    @Test
    void freshStatusMatchesTheKernelForEveryTransientCaseInTheFixtures() throws StoreException {
        // s6-errors: "snapshot 0/2048 0" (and 0/8 on the 8-sector COW) right after creation of N targets.
        Pattern created = Pattern.compile(
                "--- case \\d+: .*\\n\\s*\\$ dmsetup create t --table \"0 \\d+ snapshot \\S+ (\\S+) ([Nn]\\S*) (\\d+)\"\\n\\s*\\[rc=0\\]"
                        + "[\\s\\S]*?\\$ dmsetup table t\\n\\s*(.*)\\n[\\s\\S]*?\\$ dmsetup status t\\n\\s*0 \\d+ snapshot (.*)\\n");
        Matcher m = created.matcher(Fixtures.text("s6-errors", "scenario.txt"));
        int cases = 0;
        while (m.find()) {
            long cowSectors = m.group(1).equals("/dev/vdg") ? 8 : 2048;
            ExceptionStore store = store(
                    new MemoryBlockDevice("cow", cowSectors),
                    Integer.parseInt(m.group(3)),
                    m.group(2).substring(1));
            assertEquals(Fixtures.usage(m.group(5)), store.usage(), m.group());
            assertTrue(m.group(4).endsWith(store.tableStatus()), m.group(4) + " vs " + store.tableStatus());
            cases++;
        }
        assertEquals(6, cases, "cases 4, 5, 11, 12, 28, 37 create N snapshots");
    }
}
