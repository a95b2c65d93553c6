package dev.snapstore.dm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.snapstore.spi.CommitCallback;
import dev.snapstore.spi.Errno;
import dev.snapstore.spi.ExceptionSink;
import dev.snapstore.spi.ExceptionStore;
import dev.snapstore.spi.ExceptionStoreType;
import dev.snapstore.spi.MetadataState;
import dev.snapstore.spi.StoreContext;
import dev.snapstore.spi.StoreException;
import dev.snapstore.spi.StoreTypes;
import dev.snapstore.spi.Usage;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** snapshot/snapshot-merge table lines and snapshot_ctr's checks: spec §5.1, §2.3, §6.8-6.12. */
class TableLineTest {

    private static final StoreTypes TYPES = StoreTypes.load();

    private static TableException refused(String line) {
        return assertThrows(TableException.class, () -> TableLine.parse(line).validate(TYPES));
    }

    @Test
    void theBuiltInStoreTypesAreFound() {
        assertNotNull(TYPES.find("P").orElseThrow());
        assertNotNull(TYPES.find("N").orElseThrow());
    }

    @Test
    void onlyThePersistentTypeDeclaresThatItTakesItsChunkSizeFromTheCow() {
        assertTrue(TYPES.find("P").orElseThrow().takesChunkSizeFromCow());
        assertFalse(TYPES.find("N").orElseThrow().takesChunkSizeFromCow());
    }

    @Test
    void parsesAndFormatsADmsetupTableLine() throws TableException {
        TableLine line = TableLine.parse("0 65536 snapshot 254:0 254:16 P 16");
        assertEquals(new TableLine(0, 65536, TargetKind.SNAPSHOT, "254:0", "254:16", "P", "16", List.of()), line);
        assertEquals("0 65536 snapshot 254:0 254:16 P 16", line.format());
        assertEquals("254:0 254:16 P 16", line.params());
        assertEquals(List.of("254:0", "254:16", "P", "16"), line.ctrArgs());
        assertEquals(Set.of(), line.features());
    }

    @Test
    void keepsTheDeviceNameOfAMultiDeviceListing() throws TableException {
        Named<TableLine> named = TableLine.parseNamed("vg-snap: 0 32768 snapshot 253:1 253:2 P 8");
        assertEquals(Optional.of("vg-snap"), named.deviceName());
        assertEquals(TargetKind.SNAPSHOT, named.line().kind());
        assertEquals("vg-snap: 0 32768 snapshot 253:1 253:2 P 8", named.format());
        assertEquals(TableLine.parse("vg-snap: 0 32768 snapshot 253:1 253:2 P 8"), named.line());
        assertEquals(
                Optional.empty(),
                TableLine.parseNamed("0 32768 snapshot 253:1 253:2 P 8").deviceName());
        // A device name may itself contain ": ".
        assertEquals(
                Optional.of("odd: name"),
                TableLine.parseNamed("odd: name: 0 8 snapshot-merge a b P 8").deviceName());
    }

    @Test
    void otherTargetsAndGarbageAreNotKernelErrors() {
        TableException other =
                assertThrows(TableException.class, () -> TableLine.parse("vg-lv-real: 0 32768 linear 254:0 2048"));
        assertFalse(other.isKernelError());
        assertEquals("not a snapshot or snapshot-merge table line: the target is \"linear\"", other.getMessage());
        assertThrows(IllegalStateException.class, () -> other.kernelLogLine("253:0"));
        TableException garbage =
                assertThrows(TableException.class, () -> TableLine.parse("snapshot /dev/a /dev/b P 8"));
        assertFalse(garbage.isKernelError());
        assertEquals(Optional.empty(), garbage.target());
    }

    @Test
    void requiresFourArguments() {
        TableException e =
                assertThrows(TableException.class, () -> TableLine.parse("0 8192 snapshot /dev/vda /dev/vdb P"));
        assertEquals(TableException.REQUIRES_4_ARGUMENTS, e.kernelMessage());
        assertEquals(Errno.EINVAL, e.errno());
        assertEquals(
                "device-mapper: table: 253:0: snapshot: requires 4 or more arguments (-EINVAL)",
                e.kernelLogLine("253:0"));
        assertThrows(TableException.class, () -> TableLine.parse("0 8192 snapshot-merge"));
    }

    @ParameterizedTest(name = "\"{0}\" -> {1}")
    @CsvSource(
            delimiter = '|',
            value = {
                // spec §6.11 and fixture s6-errors cases 43-45
                "P 8 1 discard_passdown_origin               | discard_passdown_origin feature depends on discard_zeroes_cow",
                "P 8 3 a b c                                 | Invalid number of feature arguments",
                "P 8 2 x                                     | Invalid number of feature arguments",
                "P 8 1 foo                                   | Unrecognised feature requested",
                "P 8 extra                                   | Invalid number of feature arguments",
                // sscanf(\"%u%c\") takes no sign and nothing after the digits
                "P 8 +1 discard_zeroes_cow                   | Invalid number of feature arguments",
                "P 8 -1 discard_zeroes_cow                   | Invalid number of feature arguments",
                "P 8 1x discard_zeroes_cow                   | Invalid number of feature arguments",
                "P 8 0x1 discard_zeroes_cow                  | Invalid number of feature arguments",
                "P 8 3 discard_zeroes_cow discard_zeroes_cow discard_zeroes_cow | Invalid number of feature arguments",
                // the dependency check runs after an unrecognised name and overwrites its message
                "P 8 2 discard_passdown_origin bogus         | discard_passdown_origin feature depends on discard_zeroes_cow",
                "P 8 2 bogus discard_passdown_origin         | Unrecognised feature requested",
                // strcasecmp folds ASCII only; Java's equalsIgnoreCase would take the long s for an s
                "P 8 1 di\u017Fcard_zeroes_cow              | Unrecognised feature requested",
                // feature errors come before anything about the devices or the store (spec §6.12)
                "X 8 1 bogus                                 | Unrecognised feature requested",
            })
    void featureGroup(String args, String message) {
        TableException e = assertThrows(
                TableException.class,
                () -> TableLine.fromParams(TargetKind.SNAPSHOT, 0, 8192, "/dev/vda /dev/vdb " + args));
        assertEquals(message, e.kernelMessage());
        assertTrue(e.isKernelError());
        assertEquals(Optional.of(TargetKind.SNAPSHOT), e.target());
    }

    @ParameterizedTest(name = "\"{0}\" -> \"{1}\"")
    @CsvSource(
            delimiter = '|',
            value = {
                "P 8 1 DISCARD_ZEROES_COW extra              | P 8 1 discard_zeroes_cow",
                "P 8 0 anything at all                       | P 8",
                "P 8 00                                      | P 8",
                "P 8 2 Discard_Passdown_Origin discard_zeroes_cow | P 8 2 discard_zeroes_cow discard_passdown_origin",
                "P 8 2 discard_zeroes_cow DISCARD_ZEROES_COW | P 8 1 discard_zeroes_cow",
                "P 8 01 discard_zeroes_cow                   | P 8 1 discard_zeroes_cow",
                // the count is stored in an unsigned int: 2^32 + 1 wraps to 1
                "P 8 4294967297 discard_zeroes_cow           | P 8 1 discard_zeroes_cow",
                "po +16                                      | PO 16",
                "pOx 0008                                    | PO 8",
                "Nfoo 8                                      | N 8",
                "n 8                                         | N 8",
                "P 0                                         | P 0",
                "PO 2097152                                  | PO 2097152",
            })
    void normalisedAsTheKernelPrintsIt(String args, String normalised) throws TableException {
        TableLine line = TableLine.fromParams(TargetKind.SNAPSHOT, 0, 8192, "254:0 254:16 " + args);
        assertEquals("0 8192 snapshot 254:0 254:16 " + args, line.format());
        assertEquals(
                "0 8192 snapshot 254:0 254:16 " + normalised,
                line.validate(TYPES).format());
        assertEquals(line.validate(TYPES), line.normalised(TYPES));
    }

    @Test
    void sameDeviceIsRefusedAfterFeaturesAndBeforeTheStore() {
        assertEquals(
                TableException.SAME_DEVICE,
                refused("0 8192 snapshot /dev/vda /dev/vda P 8").kernelMessage());
        assertEquals(
                TableException.SAME_DEVICE,
                refused("0 8192 snapshot /dev/vda /dev/vda X 8").kernelMessage());
        assertEquals(
                TableException.UNRECOGNISED_FEATURE,
                refused("0 8192 snapshot /dev/vda /dev/vda P 8 1 bogus").kernelMessage());
        assertThrows(IllegalArgumentException.class, () -> TableLine.parse("0 8192 snapshot 254:0 254:16 P 8")
                .withDevices("254:0", "254:0"));
    }

    @ParameterizedTest(name = "\"{0}\" -> {1}")
    @CsvSource(
            delimiter = '|',
            value = {
                "X 8            | Exception store type is not P or N",
                "PX 8           | Unsupported persistent store option: X",
                "PP 8           | Unsupported persistent store option: P",
                "Persistent 8   | Unsupported persistent store option: ersistent",
                "P 12           | Chunk size is not a power of 2",
                "N 12           | Chunk size is not a power of 2",
                "P abc          | Invalid chunk size",
                "P -8           | Invalid chunk size",
                "P 8k           | Invalid chunk size",
                "P 4294967296   | Invalid chunk size",
                "P 4194304      | Chunk size is too high",
                "P 8388608      | Chunk size is too high",
                // the type is chosen before the chunk size is read
                "X abc          | Exception store type is not P or N",
            })
    void storeCreationFailuresKeepTheInnerReason(String args, String inner) {
        TableException e = refused("0 8192 snapshot /dev/vda /dev/vdb " + args);
        assertEquals(TableException.STORE_NOT_CREATED, e.kernelMessage());
        assertEquals(Optional.of(inner), e.innerReason());
        assertTrue(e.getCause() instanceof StoreException);
        assertEquals("Couldn't create exception store: " + inner, e.getMessage());
        assertEquals(
                "device-mapper: table: 253:0: snapshot: Couldn't create exception store (-EINVAL)",
                e.kernelLogLine("253:0"));
    }

    @Test
    void theStoresOwnLogLinesComeFirst() {
        TableException e = refused("0 8192 snapshot /dev/vda /dev/vdb PX 8");
        assertEquals(
                List.of(
                        "device-mapper: persistent snapshot: Unsupported persistent store option: X",
                        "device-mapper: table: 253:0: snapshot: Couldn't create exception store (-EINVAL)",
                        "device-mapper: ioctl: error adding target to table"),
                e.kernelLog("253:0"));
    }

    @Test
    void blockSizesOfTheDevicesCount() throws TableException {
        TableLine line = TableLine.parse("0 8192 snapshot 254:0 254:16 P 4");
        TableException e = assertThrows(TableException.class, () -> line.validate(TYPES, 4096, 512));
        assertEquals(Optional.of("Chunk size is not a multiple of device blocksize"), e.innerReason());
        assertEquals(
                "0 8192 snapshot 254:0 254:16 P 8",
                TableLine.parse("0 8192 snapshot 254:0 254:16 P 8")
                        .validate(TYPES, 4096, 4096)
                        .format());
    }

    @Test
    void transientWithChunkZero() {
        TableException e = refused("0 8192 snapshot /dev/vda /dev/vdb N 0");
        assertEquals(TableException.CHUNK_SIZE_NOT_SET, e.kernelMessage());
        assertEquals(Optional.empty(), e.innerReason());
    }

    @Test
    void mergeNeedsAStoreThatCanMerge() throws TableException {
        assertEquals(
                TableException.MERGE_NOT_SUPPORTED,
                refused("0 8192 snapshot-merge /dev/vda /dev/vdb N 8").kernelMessage());
        assertEquals(
                "device-mapper: table: 253:0: snapshot-merge: Snapshot exception store does not support snapshot-merge. (-EINVAL)",
                refused("0 8192 snapshot-merge /dev/vda /dev/vdb N 8").kernelLogLine("253:0"));
        // register_snapshot comes after the store is created and before the chunk size is checked
        assertEquals(
                TableException.STORE_NOT_CREATED,
                refused("0 8192 snapshot-merge /dev/vda /dev/vdb N abc").kernelMessage());
        assertEquals(
                TableException.MERGE_NOT_SUPPORTED,
                refused("0 8192 snapshot-merge /dev/vda /dev/vdb N 0").kernelMessage());
        assertEquals(
                "0 8192 snapshot-merge /dev/vda /dev/vdb PO 8",
                TableLine.parse("0 8192 snapshot-merge /dev/vda /dev/vdb po 8")
                        .validate(TYPES)
                        .format());
    }

    @Test
    void chunkZeroIsForStoresThatReadTheirChunkSizeFromTheCow() throws TableException {
        // A third-party type that, like N, keeps nothing on the COW: chunk size 0 stays 0.
        StoreTypes memoryOnly = StoreTypes.of(new FakeType("M", false, false));
        TableException e = assertThrows(TableException.class, () -> TableLine.parse("0 8 snapshot a b M 0")
                .validate(memoryOnly));
        assertEquals(TableException.CHUNK_SIZE_NOT_SET, e.kernelMessage());
        // One that reads the COW (and so cannot on an empty one) decides at load time, as P does.
        StoreTypes onDisk = StoreTypes.of(new FakeType("D", true, true));
        assertEquals(
                "0 8 snapshot-merge a b D 0",
                TableLine.parse("0 8 snapshot-merge a b d 0").validate(onDisk).format());
    }

    @Test
    void argumentsAreSplitAndQuotedAsDmSplitArgsDoes() throws TableException {
        TableLine line =
                TableLine.fromArgs(TargetKind.SNAPSHOT, 0, 8, List.of("/dev/my disk", "back\\slash", "P", "8"));
        assertEquals("0 8 snapshot /dev/my\\ disk back\\\\slash P 8", line.format());
        assertEquals(line, TableLine.parse(line.format()));
        assertEquals(
                List.of("a", "b", "P", "8"),
                TableLine.parse("0 8 snapshot  a \t b   P 8 ").ctrArgs());
        assertEquals(List.of("a", "b\\"), KernelText.splitArgs("a b\\"));
        assertEquals(List.of("a b", "c"), KernelText.splitArgs("a\\ b c"));
    }

    @Test
    void builderPrintsTheKernelsTableStatus() {
        TableLine line = TableLine.of(
                TargetKind.SNAPSHOT,
                0,
                65536,
                "254:11",
                "254:12",
                "PO",
                16,
                EnumSet.of(TableFeature.DISCARD_PASSDOWN_ORIGIN, TableFeature.DISCARD_ZEROES_COW));
        assertEquals("254:11 254:12 PO 16 2 discard_zeroes_cow discard_passdown_origin", StatusLine.tableStatus(line));
        assertThrows(
                IllegalArgumentException.class,
                () -> TableLine.of(
                        TargetKind.SNAPSHOT, 0, 8, "a", "b", "P", 8, EnumSet.of(TableFeature.DISCARD_PASSDOWN_ORIGIN)));
        assertEquals(
                "0 8 snapshot a b P 32",
                TableLine.of(TargetKind.SNAPSHOT, 0, 8, "a", "b", "P", 0, Set.of())
                        .withChunkSize(32)
                        .format());
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "",
                "\n",
                "0",
                "0 8",
                "0 8 snapshot",
                "x 8 snapshot a b P 8",
                "0 -8 snapshot a b P 8",
                "0 8 snapshot a b P 8\n\n",
                "0 8 snapshot a b P 8\r",
                "99999999999999999999 8 snapshot a b P 8"
            })
    void malformedLines(String line) {
        TableException e = assertThrows(TableException.class, () -> TableLine.parse(line));
        assertFalse(e.getMessage().isEmpty());
    }

    @Property(tries = 300)
    void formatThenParseIsIdentity(@ForAll("lines") TableLine line) throws TableException {
        assertEquals(line, TableLine.parse(line.format()));
        assertEquals(line, TableLine.fromArgs(line.kind(), line.start(), line.length(), line.ctrArgs()));
    }

    @Property(tries = 300)
    void normalisingTwiceChangesNothing(@ForAll("lines") TableLine line) {
        try {
            TableLine once = line.validate(TYPES);
            assertEquals(once, once.validate(TYPES));
            assertEquals(once, TableLine.parse(once.format()));
        } catch (TableException e) {
            assertTrue(e.isKernelError());
            assertTrue(
                    e.kernelMessage().equals(TableException.STORE_NOT_CREATED)
                            || e.kernelMessage().equals(TableException.CHUNK_SIZE_NOT_SET)
                            || e.kernelMessage().equals(TableException.MERGE_NOT_SUPPORTED),
                    e.kernelMessage());
        }
    }

    @Property(tries = 500)
    void randomTextOnlyEverThrowsTableException(@ForAll("noise") String text) {
        try {
            TableLine.parse(text).validate(TYPES);
        } catch (TableException expected) {
            assertFalse(expected.getMessage().isEmpty());
        }
    }

    @Provide
    Arbitrary<TableLine> lines() {
        Arbitrary<String> word = Arbitraries.strings()
                .withChars("abcxyz0129:/-_ \\\tPONpon")
                .ofMinLength(1)
                .ofMaxLength(8);
        Arbitrary<String> type = Arbitraries.of("P", "PO", "po", "N", "n", "Nfoo", "X", "PX", "pOx");
        Arbitrary<String> chunk = Arbitraries.of("0", "1", "8", "16", "+16", "0008", "12", "abc", "2097152", "4194304");
        Arbitrary<List<String>> features = Arbitraries.of(
                List.<String>of(),
                List.of("0"),
                List.of("1", "discard_zeroes_cow"),
                List.of("1", "DISCARD_ZEROES_COW", "left over"),
                List.of("2", "discard_zeroes_cow", "discard_passdown_origin"),
                List.of("00", "x y"));
        // Distinct prefixes keep origin and COW apart, which the constructor insists on.
        return Combinators.combine(
                        Arbitraries.longs().between(0, 1L << 40),
                        Arbitraries.longs().between(0, 1L << 40),
                        Arbitraries.of(TargetKind.class),
                        word.map(w -> "o" + w),
                        word.map(w -> "c" + w),
                        type,
                        chunk,
                        features)
                .as(TableLine::new);
    }

    @Provide
    Arbitrary<String> noise() {
        Arbitrary<String> tokens = Arbitraries.of(
                "0",
                "8192",
                "snapshot",
                "snapshot-merge",
                "/dev/vda",
                "/dev/vdb",
                "P",
                "po",
                "N",
                "X",
                "8",
                "0",
                "1",
                "2",
                "3",
                "discard_zeroes_cow",
                "DISCARD_PASSDOWN_ORIGIN",
                "bogus",
                "name:",
                "\\",
                " ",
                "\t",
                "4294967297",
                "-1",
                "+1",
                "\u017F",
                "\n");
        return Arbitraries.oneOf(
                tokens.list().ofMaxSize(12).map(l -> String.join(" ", l)),
                Arbitraries.strings().ofMaxLength(40));
    }

    /** A minimal third-party store type for the chunk-size-0 rule. */
    private record FakeType(String name, boolean readsCow, boolean supportsMerge) implements ExceptionStoreType {
        @Override
        public boolean takesChunkSizeFromCow() {
            return readsCow;
        }

        @Override
        public String longName() {
            return "fake";
        }

        @Override
        public String description() {
            return "test type";
        }

        @Override
        public ExceptionStore create(StoreContext context, String options) {
            return new ExceptionStore() {
                @Override
                public int chunkSize() {
                    return context.chunkSize();
                }

                @Override
                public String typeWord() {
                    return name;
                }

                @Override
                public MetadataState readMetadata(ExceptionSink sink) throws StoreException {
                    if (readsCow && context.cow().sizeInSectors() == 0) {
                        throw new StoreException(Errno.EIO, "no header");
                    }
                    return MetadataState.VALID;
                }

                @Override
                public long prepareException(long oldChunk) {
                    return NO_SPACE;
                }

                @Override
                public void commitException(long oldChunk, long newChunk, boolean copied, CommitCallback callback) {
                    callback.committed(copied);
                }

                @Override
                public Usage usage() {
                    return new Usage(0, 0, 0);
                }
            };
        }
    }
}
