package dev.snapstore.dm;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import dev.snapstore.spi.StoreTypes;
import dev.snapstore.testkit.Fixtures;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Every constructor case of fixture s6-errors (kernel 6.1), read from its scenario.txt, against
 * this library's model of snapshot_ctr:
 * <ul>
 * <li>the kernel refused the table with one of the constructor's pure checks: our error and the
 *     whole kernel log must be the kernel's, word for word;
 * <li>the kernel refused it at a step that needs the real devices (getting a device, reading the
 *     COW metadata, device sizes): out of scope, but every pure check, which the kernel runs
 *     earlier or independently, must pass;
 * <li>the kernel accepted it: our normalised line must be {@code dmsetup table}'s output once device
 *     paths are replaced by the kernel's {@code major:minor} names and the chunk size by the one a
 *     persistent store reads from the COW (see {@link #effectiveChunk}).
 * </ul>
 */
class S6ErrorsFixtureTest {

    private static final String SCENARIO = "s6-errors/scenario.txt";
    private static final StoreTypes TYPES = StoreTypes.load();
    /** {@code DM_CHUNK_SIZE_DEFAULT_SECTORS} of dm-snap-persistent.c (spec §1.1): a blank COW's chunk size. */
    private static final long DEFAULT_PERSISTENT_CHUNK = 32;

    private static final Pattern CASE = Pattern.compile("--- case (\\d+): (.*)");
    private static final Pattern CREATE = Pattern.compile("\\$ dmsetup create t --table \"(.*)\"");
    private static final Pattern RC = Pattern.compile("\\[rc=(\\d+)]");
    private static final Pattern CTR_ERROR = Pattern.compile(
            "device-mapper: table: (\\S+): (snapshot|snapshot-merge|snapshot-origin): (.*) \\((-E[A-Z]+)\\)");
    private static final Pattern HEADER = Pattern.compile("(/dev/vd[a-z]): ((?:[0-9a-f]{2} ){15}[0-9a-f]{2})");
    private static final Pattern VIRTIO = Pattern.compile("/dev/vd([a-z])");

    enum Outcome {
        PURE_ERROR,
        DEVICE_STAGE,
        OTHER_TARGET,
        ACCEPTED
    }

    record Case(int number, String title, String table, int rc, List<String> kernelLog, String dmsetupTable) {}

    static List<Case> cases() {
        List<Case> cases = new ArrayList<>();
        String[] lines = Fixtures.read(SCENARIO).split("\n");
        for (int i = 0; i < lines.length; i++) {
            Matcher c = CASE.matcher(lines[i].strip());
            if (!c.matches()) {
                continue;
            }
            String table = null;
            Integer rc = null;
            List<String> log = new ArrayList<>();
            String shown = null;
            int j = i + 1;
            for (;
                    j < lines.length
                            && !CASE.matcher(lines[j].strip()).matches()
                            && !lines[j].strip().startsWith("===");
                    j++) {
                String line = lines[j].strip();
                Matcher create = CREATE.matcher(line);
                Matcher status = RC.matcher(line);
                if (create.matches()) {
                    table = create.group(1);
                } else if (rc == null && status.matches()) {
                    rc = Integer.parseInt(status.group(1));
                } else if (line.startsWith("| ")) {
                    log.add(line.substring(2));
                } else if (line.equals("$ dmsetup table t")) {
                    shown = lines[j + 1].strip();
                }
            }
            assertNotNull(table, "case " + c.group(1) + " has a create command");
            assertNotNull(rc, "case " + c.group(1) + " has an exit status");
            cases.add(new Case(Integer.parseInt(c.group(1)), c.group(2), table, rc, List.copyOf(log), shown));
            i = j - 1;
        }
        return cases;
    }

    /** The first 16 bytes of each prepared COW image, as listed at the top of the scenario. */
    static Map<String, int[]> preparedHeaders() {
        Map<String, int[]> headers = new HashMap<>();
        for (String line : Fixtures.read(SCENARIO).split("\n")) {
            Matcher m = HEADER.matcher(line.strip());
            if (m.matches()) {
                String[] hex = m.group(2).split(" ");
                int[] bytes = new int[16];
                for (int k = 0; k < 16; k++) {
                    bytes[k] = Integer.parseInt(hex[k], 16);
                }
                headers.put(m.group(1), bytes);
            }
        }
        return headers;
    }

    static Outcome outcome(Case c) {
        if (c.rc() == 0) {
            return Outcome.ACCEPTED;
        }
        for (String line : c.kernelLog()) {
            Matcher m = CTR_ERROR.matcher(line);
            if (m.matches()) {
                if (m.group(2).equals("snapshot-origin")) {
                    return Outcome.OTHER_TARGET;
                }
                return TableException.DEVICE_ERRORS.contains(m.group(3)) ? Outcome.DEVICE_STAGE : Outcome.PURE_ERROR;
            }
        }
        // No constructor error at all: dm-table refused the loaded table (e.g. a device too small).
        return Outcome.DEVICE_STAGE;
    }

    /** Virtio disks on the capture machine: major 254, 16 minors per disk (vda = 254:0, vdb = 254:16, ...). */
    static String kernelName(String path) {
        Matcher m = VIRTIO.matcher(path);
        assertTrue(m.matches(), path);
        return "254:" + 16 * (m.group(1).charAt(0) - 'a');
    }

    /**
     * The chunk size a persistent store ends up with (spec §1.5, §6.6): a valid header's chunk size
     * wins over the table's; a table chunk size of 0 on a blank COW becomes the default 32. The
     * transient store keeps the table's.
     */
    static long effectiveChunk(TableLine normalised, Map<String, int[]> headers) {
        long table = Long.parseLong(normalised.chunkSize());
        if (!normalised.typeWord().startsWith("P")) {
            return table;
        }
        int[] h = headers.get(normalised.cow());
        boolean snapMagic = h != null && h[0] == 0x53 && h[1] == 0x6e && h[2] == 0x41 && h[3] == 0x70;
        if (snapMagic && h[8] == 1) {
            return h[12] | h[13] << 8 | h[14] << 16 | (long) h[15] << 24;
        }
        return table == 0 ? DEFAULT_PERSISTENT_CHUNK : table;
    }

    @Test
    void allFiftyCasesAreReadAndEveryOutcomeOccurs() {
        List<Case> cases = cases();
        assertEquals(50, cases.size());
        for (int n = 0; n < cases.size(); n++) {
            assertEquals(n + 1, cases.get(n).number());
        }
        Map<Outcome, Integer> counts = new EnumMap<>(Outcome.class);
        cases.forEach(c -> counts.merge(outcome(c), 1, Integer::sum));
        assertEquals(4, counts.size(), counts.toString());
        assertTrue(counts.get(Outcome.PURE_ERROR) >= 15, counts.toString());
        assertTrue(counts.get(Outcome.ACCEPTED) >= 15, counts.toString());
    }

    @TestFactory
    Stream<DynamicTest> eachCase() {
        Map<String, int[]> headers = preparedHeaders();
        return cases().stream().map(c -> dynamicTest("case " + c.number() + ": " + c.title(), () -> check(c, headers)));
    }

    private static void check(Case c, Map<String, int[]> headers) throws TableException {
        switch (outcome(c)) {
            case PURE_ERROR -> {
                TableException e = assertThrows(
                        TableException.class, () -> TableLine.parse(c.table()).validate(TYPES));
                assertTrue(e.isKernelError(), e::getMessage);
                String device = device(c);
                assertEquals(c.kernelLog(), e.kernelLog(device));
            }
            case DEVICE_STAGE ->
                assertDoesNotThrow(() -> TableLine.parse(c.table()).validate(TYPES));
            case OTHER_TARGET -> {
                TableException e = assertThrows(TableException.class, () -> TableLine.parse(c.table()));
                assertFalse(e.isKernelError());
            }
            case ACCEPTED -> {
                assertNotNull(c.dmsetupTable(), "an accepted case shows its table");
                TableLine normalised = TableLine.parse(c.table()).validate(TYPES);
                TableLine shown = normalised
                        .withDevices(kernelName(normalised.origin()), kernelName(normalised.cow()))
                        .withChunkSize(effectiveChunk(normalised, headers));
                assertEquals(c.dmsetupTable(), shown.format());
            }
            default -> throw new AssertionError();
        }
    }

    private static String device(Case c) {
        for (String line : c.kernelLog()) {
            Matcher m = CTR_ERROR.matcher(line);
            if (m.matches()) {
                return m.group(1);
            }
        }
        throw new AssertionError("no constructor error in case " + c.number());
    }
}
