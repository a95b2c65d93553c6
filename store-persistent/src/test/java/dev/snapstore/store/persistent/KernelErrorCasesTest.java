package dev.snapstore.store.persistent;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.snapstore.spi.ChunkSize;
import dev.snapstore.spi.ExceptionStore;
import dev.snapstore.spi.MemoryBlockDevice;
import dev.snapstore.spi.MetadataState;
import dev.snapstore.spi.StoreException;
import dev.snapstore.spi.StoreTypes;
import dev.snapstore.testkit.Fixtures;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * s6-errors: every table the kernel was given, run through this store on devices prepared as the
 * fixture describes them (a zeroed COW re-zeroed per case, the prepared 16-byte headers kept from
 * case to case), comparing the outcome, the persistent store's kernel log lines, the table and
 * INFO status, and the COW header left behind.
 */
class KernelErrorCasesTest {

    private static final String FIXTURE = "s6-errors";
    private static final String STORE_PREFIX = "device-mapper: persistent snapshot: ";
    private static final Pattern CASE = Pattern.compile("^\\s*--- case (\\d+): (.*)$");
    private static final Pattern TABLE =
            Pattern.compile("dmsetup create t --table \"0 \\d+ (snapshot|snapshot-merge) (.*)\"");
    private static final Pattern PREPARED =
            Pattern.compile("^\\s*/dev/(vd[a-z]): ((?:[0-9a-f]{2} ){15}[0-9a-f]{2})\\s*$");
    private static final Pattern HEADER_AFTER =
            Pattern.compile("COW \\(/dev/(vd[a-z])\\) header after remove: ([0-9a-f ]+)$");
    private static final Pattern TARGET_ERROR =
            Pattern.compile("device-mapper: table: \\S+: [a-z-]+: (.*) \\((-E[A-Z]+)\\)$");
    private static final Pattern SMALL_DEVICE = Pattern.compile("(vd[a-z]) (\\d+)-sector zero COW");
    private static final Pattern ZEROED_SIZE = Pattern.compile("(vd[a-z]) COW (\\d+) sectors zero");

    /** The cases the issue names explicitly; the test runs every case a store can decide. */
    private static final Set<Integer> REQUIRED = Set.of(16, 17, 22, 23, 24, 27, 29, 30, 31, 32, 33, 34, 35, 36);

    record Case(int number, String title, List<String> lines) {}

    @Test
    void everyStoreCaseBehavesAsTheKernelDid() throws Exception {
        String scenario = Fixtures.text(FIXTURE, "scenario.txt");
        Map<String, MemoryBlockDevice> devices = prepareDevices(scenario);
        Set<Integer> checked = new TreeSet<>();
        for (Case c : cases(scenario)) {
            if (run(c, devices)) {
                checked.add(c.number());
            }
        }
        assertTrue(checked.containsAll(REQUIRED), "checked only " + checked);
    }

    /** The devices of the "Disks:" paragraph and the prepared headers. */
    private static Map<String, MemoryBlockDevice> prepareDevices(String scenario) {
        Map<String, MemoryBlockDevice> devices = new HashMap<>();
        Matcher zeroed = ZEROED_SIZE.matcher(scenario);
        assertTrue(zeroed.find());
        long size = Long.parseLong(zeroed.group(2));
        devices.put(zeroed.group(1), new MemoryBlockDevice(zeroed.group(1), size));
        for (String line : scenario.lines().toList()) {
            Matcher m = PREPARED.matcher(line);
            if (m.find()) {
                MemoryBlockDevice d = new MemoryBlockDevice(m.group(1), size);
                Harness.write(d, 0, Arrays.copyOf(Harness.hex(m.group(2)), ChunkSize.SECTOR_SIZE));
                devices.put(m.group(1), d);
            }
        }
        Matcher small = SMALL_DEVICE.matcher(scenario);
        assertTrue(small.find());
        devices.put(small.group(1), new MemoryBlockDevice(small.group(1), Long.parseLong(small.group(2))));
        assertEquals(Set.of("vdb", "vdc", "vdd", "vde", "vdf", "vdg", "vdh", "vdi"), devices.keySet());
        return devices;
    }

    private static List<Case> cases(String scenario) {
        List<Case> result = new ArrayList<>();
        Case current = null;
        for (String line : scenario.lines().toList()) {
            Matcher m = CASE.matcher(line);
            if (m.find()) {
                current = new Case(Integer.parseInt(m.group(1)), m.group(2), new ArrayList<>());
                result.add(current);
            } else if (current != null) {
                current.lines().add(line.trim());
            }
        }
        return result;
    }

    /** Runs one case if a store decides it; returns whether it was checked. */
    private static boolean run(Case c, Map<String, MemoryBlockDevice> devices) throws Exception {
        String text = String.join("\n", c.lines());
        Matcher table = TABLE.matcher(text);
        if (!table.find()) {
            return false;
        }
        String[] args = table.group(2).trim().split("\\s+");
        List<String> kernelStoreLog = new ArrayList<>();
        String targetError = null;
        for (String line : c.lines()) {
            String l = line.startsWith("| ") ? line.substring(2) : line;
            if (l.startsWith(STORE_PREFIX)) {
                kernelStoreLog.add(l);
            }
            Matcher e = TARGET_ERROR.matcher(l);
            if (e.find()) {
                targetError = e.group(1) + " (" + e.group(2) + ")";
            }
        }
        if (args.length < 4 || !devices.containsKey(cowName(args[1]))) {
            return false;
        }
        String cowName = cowName(args[1]);
        if (cowName.equals("vdb")) {
            devices.put("vdb", new MemoryBlockDevice("vdb", devices.get("vdb").sizeInSectors()));
        }
        MemoryBlockDevice cow = devices.get(cowName);
        String word = args[2];
        boolean persistent = !word.isEmpty() && Character.toUpperCase(word.charAt(0)) == 'P';
        if (!persistent) {
            // A transient store never touches the COW, so its "header after remove" shows what
            // earlier persistent cases left (case 37 sees the header case 36 wrote).
            checkHeader(c, devices);
            return false;
        }
        // The first exit code after the create command is the create's.
        boolean kernelFailed = !c.lines().stream()
                .filter(l -> l.startsWith("[rc="))
                .findFirst()
                .orElseThrow()
                .equals("[rc=0]");
        boolean storeError = targetError != null
                && (targetError.startsWith("Couldn't create exception store")
                        || targetError.startsWith("Failed to read snapshot metadata"));
        if (kernelFailed && !storeError) {
            return false; // decided without the store: feature arguments, devices, table length
        }

        List<String> log = new ArrayList<>();
        StoreTypes types = StoreTypes.of(new PersistentStoreType());
        ExceptionStore store;
        try {
            store = types.create(word, args[3], cow, ChunkSize.SECTOR_SIZE, log::add);
        } catch (StoreException e) {
            assertEquals("Couldn't create exception store (-EINVAL)", targetError, c.title());
            assertEquals(kernelStoreLog, log, c.title());
            return true;
        }
        MetadataState state;
        try {
            state = store.readMetadata((o, n) -> {});
        } catch (StoreException e) {
            assertEquals("Failed to read snapshot metadata (" + e.errno().negated() + ")", targetError, c.title());
            assertEquals(kernelStoreLog, log, c.title());
            return true;
        }
        assertEquals(null, targetError, c.title());
        assertEquals(kernelStoreLog, log, c.title());
        String tableLine = Harness.lineAfter(text, "$ dmsetup table t");
        assertTrue(
                (tableLine + " ").contains(store.tableStatus() + " "),
                c.title() + ": " + tableLine + " vs" + store.tableStatus());
        String statusLine = Harness.lineAfter(text, "$ dmsetup status t");
        String theirs = statusLine.split(" ", 4)[3]; // after "<start> <length> <target>"
        if (state == MetadataState.INVALIDATED) {
            assertEquals("Invalid", theirs, c.title() + ": " + statusLine);
        } else {
            assertEquals(Fixtures.usage(theirs), store.usage(), c.title() + ": " + statusLine);
        }
        store.close();
        checkHeader(c, devices);
        // write_header zeroes the rest of chunk 0.
        byte[] chunk0 = Harness.read(cow, 0, store.chunkSize());
        if (chunk0[0] != 0) {
            for (int i = 16; i < chunk0.length; i++) {
                assertEquals(0, chunk0[i], c.title() + ": byte " + i + " of chunk 0");
            }
        }
        return true;
    }

    private static void checkHeader(Case c, Map<String, MemoryBlockDevice> devices) {
        for (String line : c.lines()) {
            Matcher m = HEADER_AFTER.matcher(line);
            if (m.find()) {
                byte[] ours = Arrays.copyOf(Harness.read(devices.get(m.group(1)), 0, 1), 16);
                assertArrayEquals(Harness.hex(m.group(2)), ours, c.title());
            }
        }
    }

    private static String cowName(String path) {
        return path.startsWith("/dev/") ? path.substring(5) : path;
    }

    @Test
    void theFixtureHasTheCasesTheIssueNames() {
        Set<Integer> numbers = new LinkedHashSet<>();
        for (Case c : cases(Fixtures.text(FIXTURE, "scenario.txt"))) {
            numbers.add(c.number());
        }
        assertTrue(numbers.containsAll(REQUIRED));
    }
}
