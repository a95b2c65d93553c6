package dev.snapstore.dm;

import dev.snapstore.spi.BlockDevice;
import dev.snapstore.spi.ChunkSize;
import dev.snapstore.spi.ExceptionStore;
import dev.snapstore.spi.MemoryBlockDevice;
import dev.snapstore.spi.StoreTypes;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.Set;

/**
 * One {@code snapshot} or {@code snapshot-merge} table line:
 * {@code <start> <length> <target> <origin> <cow> <type> <chunk> [<#feat> <feat>...]}, as given to
 * {@code dmsetup create --table} and as {@code dmsetup table} prints it
 * ({@code 0 65536 snapshot 254:0 254:16 P 16}).
 *
 * <p><b>Fields are kept as written</b> (type word {@code "po"}, chunk size {@code "+16"}, feature
 * arguments {@code "1 DISCARD_ZEROES_COW extra"}), so that {@link #format()} gives the line back.
 * {@link #validate(StoreTypes)} returns what {@code dmsetup table} shows once the kernel has
 * normalised the line.
 *
 * <p><b>Checks, in the kernel's order</b> ({@code snapshot_ctr} in dm-snap.c, spec §5.1, fixture
 * s6-errors), each with the kernel's {@code ti->error} text:
 * <ol>
 * <li>{@value TableException#REQUIRES_4_ARGUMENTS};
 * <li>the feature group, parsed before any device is opened: its count is read as
 *     {@code sscanf("%u%c")} does (digits only, wrapping modulo 2^32), must be 0..2 and not exceed
 *     the arguments left, else {@value TableException#INVALID_FEATURE_COUNT}; each name is compared
 *     as {@code strcasecmp} does, else {@value TableException#UNRECOGNISED_FEATURE}; then
 *     {@value TableException#PASSDOWN_NEEDS_ZEROES} (this last check runs even after an unrecognised
 *     name and then replaces its message, as in the kernel); arguments after the group are ignored;
 * <li>{@value TableException#SAME_DEVICE}, here when the two device strings are equal (the kernel
 *     compares the opened block devices, which this library does not open);
 * </ol>
 * These three hold for every {@code TableLine}: the factories throw {@link TableException} and the
 * constructor {@link IllegalArgumentException}. {@link #validate(StoreTypes)} adds the checks that
 * need the store types:
 * <ol start="4">
 * <li>store creation ({@code dm_exception_store_create}): type letter, chunk size, the type's
 *     options; any failure is {@value TableException#STORE_NOT_CREATED} with the store's reason;
 * <li>{@value TableException#MERGE_NOT_SUPPORTED} for a {@code snapshot-merge} table whose store
 *     type cannot merge. The kernel raises this in {@code register_snapshot} (after the store is
 *     created, before the metadata is read); its source only reaches it on an exception handover,
 *     but kernel 6.1 refuses {@code snapshot-merge ... N 8} with it on a direct load too (fixture
 *     s6-errors case 47), and spec §5.11 asks for it always;
 * <li>{@value TableException#CHUNK_SIZE_NOT_SET}, checked after {@code read_metadata}: only a store
 *     that does not take its chunk size from the COW (the transient {@code N}) reaches it with 0.
 * </ol>
 * The kernel's device checks ({@link TableException#DEVICE_ERRORS}, device sizes, on-disk headers)
 * are out of scope.
 *
 * <p><b>Argument splitting</b> follows {@code dm_split_args}: runs of ASCII whitespace separate
 * arguments and a backslash quotes the next character; {@link #format()} quotes the same way, so
 * arguments with spaces survive a round trip. Non-ASCII text is taken as is.
 *
 * @param start the first sector, at least 0
 * @param length the length in sectors, at least 0
 * @param kind {@code snapshot} or {@code snapshot-merge}
 * @param origin the origin device as written: a path or {@code major:minor}
 * @param cow the COW device as written
 * @param typeWord the store type word as written, e.g. {@code "P"}, {@code "po"}, {@code "Nfoo"}
 * @param chunkSize the chunk size argument as written, in sectors, e.g. {@code "8"}
 * @param featureArgs every argument after the chunk size, as written: the feature count, the
 *     feature names, and whatever follows the group (which the kernel ignores); often empty
 * @since 0.1
 */
public record TableLine(
        long start,
        long length,
        TargetKind kind,
        String origin,
        String cow,
        String typeWord,
        String chunkSize,
        List<String> featureArgs)
        implements DmsetupLine, TargetLine {

    /**
     * Checks the arguments and the kernel's pure constructor rules 2 and 3.
     *
     * @param start the first sector
     * @param length the length in sectors
     * @param kind the target
     * @param origin the origin device
     * @param cow the COW device
     * @param typeWord the type word
     * @param chunkSize the chunk size argument
     * @param featureArgs the arguments after the chunk size
     * @throws IllegalArgumentException with the kernel's message when a rule is broken, or when a
     *     number is negative or an argument is empty or contains a NUL, CR or LF
     */
    public TableLine {
        Objects.requireNonNull(kind, "kind");
        if (start < 0 || length < 0) {
            throw new IllegalArgumentException("negative start or length: " + start + " " + length);
        }
        checkArg("origin", origin);
        checkArg("cow", cow);
        checkArg("typeWord", typeWord);
        checkArg("chunkSize", chunkSize);
        featureArgs = List.copyOf(featureArgs);
        for (String arg : featureArgs) {
            checkArg("feature argument", arg);
        }
        try {
            checkPure(kind, origin, cow, featureArgs);
        } catch (TableException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }

    private static void checkArg(String what, String arg) {
        Objects.requireNonNull(arg, what);
        if (arg.isEmpty()) {
            throw new IllegalArgumentException("empty " + what);
        }
        if (arg.indexOf('\0') >= 0 || arg.indexOf('\n') >= 0 || arg.indexOf('\r') >= 0) {
            throw new IllegalArgumentException(what + " contains a NUL, CR or LF: \"" + arg + "\"");
        }
    }

    /**
     * Parses a line in {@code dmsetup table} form, with or without a {@code "name: "} prefix (which
     * is dropped; see {@link #parseNamed}). One trailing newline is allowed.
     *
     * @param line e.g. {@code "0 65536 snapshot 254:0 254:16 P 16"}
     * @return the line
     * @throws TableException when it is not a {@code snapshot}/{@code snapshot-merge} line, or breaks
     *     constructor rules 1-3 (with the kernel's message)
     */
    public static TableLine parse(String line) throws TableException {
        return parseNamed(line).line();
    }

    /**
     * Parses a line in {@code dmsetup table} form and keeps the device name in front, if any.
     *
     * @param line e.g. {@code "vg-snap: 0 32768 snapshot 253:1 253:2 P 8"}
     * @return the line with its device name
     * @throws TableException as {@link #parse(String)}
     */
    public static Named<TableLine> parseNamed(String line) throws TableException {
        Objects.requireNonNull(line, "line");
        KernelText.Line fields = KernelText.splitLine(line);
        if (fields == null) {
            throw TableException.syntax(
                    "not a device-mapper table line (expected \"<start> <length> <target> <arguments>\"): \"" + line
                            + "\"");
        }
        TargetKind kind = TargetKind.forName(fields.target())
                .orElseThrow(() -> TableException.syntax(
                        "not a snapshot or snapshot-merge table line: the target is \"" + fields.target() + "\""));
        return new Named<>(
                fields.device(),
                fromArgs(kind, fields.start(), fields.length(), KernelText.splitArgs(fields.params())));
    }

    /**
     * Builds a line from the constructor's arguments as the target sees them (already split), as in
     * {@code dmsetup create --table "0 <length> snapshot <args...>"}.
     *
     * @param kind the target
     * @param start the first sector
     * @param length the length in sectors
     * @param ctrArgs origin, COW, type word, chunk size, then any feature arguments
     * @return the line
     * @throws TableException with the kernel's message when constructor rules 1-3 are broken, or a
     *     non-kernel error when an argument is empty or contains a NUL, CR or LF
     */
    public static TableLine fromArgs(TargetKind kind, long start, long length, List<String> ctrArgs)
            throws TableException {
        Objects.requireNonNull(kind, "kind");
        List<String> args = List.copyOf(ctrArgs);
        if (start < 0 || length < 0) {
            throw TableException.syntax("negative start or length: " + start + " " + length);
        }
        if (args.size() < 4) {
            throw TableException.kernel(kind, TableException.REQUIRES_4_ARGUMENTS);
        }
        for (String arg : args) {
            if (arg.isEmpty() || arg.indexOf('\0') >= 0 || arg.indexOf('\n') >= 0 || arg.indexOf('\r') >= 0) {
                throw TableException.syntax("table argument \"" + arg + "\" is empty or contains a NUL, CR or LF");
            }
        }
        List<String> features = args.subList(4, args.size());
        checkPure(kind, args.get(0), args.get(1), features);
        return new TableLine(start, length, kind, args.get(0), args.get(1), args.get(2), args.get(3), features);
    }

    /**
     * Builds a line from the parameter text after the target name, split as the kernel splits it.
     *
     * @param kind the target
     * @param start the first sector
     * @param length the length in sectors
     * @param params e.g. {@code "/dev/vda /dev/vdb P 8 1 discard_zeroes_cow"}
     * @return the line
     * @throws TableException as {@link #fromArgs}
     */
    public static TableLine fromParams(TargetKind kind, long start, long length, String params) throws TableException {
        return fromArgs(kind, start, length, KernelText.splitArgs(params));
    }

    /**
     * The line the kernel prints in its table status for these settings: type word and chunk size as
     * given, then the features with their count in the kernel's fixed order.
     *
     * @param kind the target
     * @param start the first sector
     * @param length the length in sectors
     * @param origin the origin device, e.g. {@code "254:0"}
     * @param cow the COW device, e.g. {@code "254:16"}
     * @param typeWord the store's normalised type word, e.g. {@code "PO"}
     * @param chunkSize the chunk size in sectors (unsigned 32-bit)
     * @param features the features; {@link TableFeature#DISCARD_PASSDOWN_ORIGIN} needs
     *     {@link TableFeature#DISCARD_ZEROES_COW}
     * @return the line
     * @throws IllegalArgumentException when the settings break a constructor rule
     */
    public static TableLine of(
            TargetKind kind,
            long start,
            long length,
            String origin,
            String cow,
            String typeWord,
            long chunkSize,
            Set<TableFeature> features) {
        if (chunkSize < 0 || chunkSize > 0xFFFF_FFFFL) {
            throw new IllegalArgumentException("chunk size " + chunkSize + " is not an unsigned 32-bit number");
        }
        return new TableLine(
                start, length, kind, origin, cow, typeWord, Long.toString(chunkSize), featureArgsFor(features));
    }

    /**
     * The feature arguments as the kernel prints them: nothing, or the count and the names in the
     * fixed order {@code discard_zeroes_cow discard_passdown_origin}.
     *
     * @param features the features
     * @return the arguments
     */
    public static List<String> featureArgsFor(Set<TableFeature> features) {
        if (features.isEmpty()) {
            return List.of();
        }
        List<String> args = new ArrayList<>();
        args.add(Integer.toString(features.size()));
        for (TableFeature feature : TableFeature.values()) {
            if (features.contains(feature)) {
                args.add(feature.argName());
            }
        }
        return args;
    }

    /** Constructor rules 2 and 3, in the kernel's order. */
    private static Set<TableFeature> checkPure(TargetKind kind, String origin, String cow, List<String> rest)
            throws TableException {
        Set<TableFeature> features = readFeatures(kind, rest);
        if (origin.equals(cow)) {
            throw TableException.kernel(kind, TableException.SAME_DEVICE);
        }
        return features;
    }

    /** {@code parse_snapshot_features} with {@code dm_read_arg_group}. */
    private static Set<TableFeature> readFeatures(TargetKind kind, List<String> rest) throws TableException {
        Set<TableFeature> features = EnumSet.noneOf(TableFeature.class);
        if (rest.isEmpty()) {
            return features;
        }
        OptionalLong count = KernelText.scanUnsigned(rest.get(0));
        int left = rest.size() - 1;
        if (count.isEmpty() || count.getAsLong() > 2 || count.getAsLong() > left) {
            throw TableException.kernel(kind, TableException.INVALID_FEATURE_COUNT);
        }
        String error = null;
        for (int i = 1; i <= count.getAsLong(); i++) {
            var feature = TableFeature.forArg(rest.get(i));
            if (feature.isEmpty()) {
                error = TableException.UNRECOGNISED_FEATURE;
                break;
            }
            features.add(feature.get());
        }
        // The dependency check runs after the loop whatever happened in it, and overwrites ti->error.
        if (features.contains(TableFeature.DISCARD_PASSDOWN_ORIGIN)
                && !features.contains(TableFeature.DISCARD_ZEROES_COW)) {
            error = TableException.PASSDOWN_NEEDS_ZEROES;
        }
        if (error != null) {
            throw TableException.kernel(kind, error);
        }
        return features;
    }

    /**
     * The features this line turns on (duplicates and letter case do not matter).
     *
     * @return an unmodifiable set
     */
    public Set<TableFeature> features() {
        try {
            return Collections.unmodifiableSet(readFeatures(kind, featureArgs));
        } catch (TableException e) {
            throw new IllegalStateException("checked by the constructor", e);
        }
    }

    /**
     * The constructor's arguments: origin, COW, type word, chunk size, then the feature arguments.
     *
     * @return an unmodifiable list
     */
    public List<String> ctrArgs() {
        List<String> args = new ArrayList<>(4 + featureArgs.size());
        args.add(origin);
        args.add(cow);
        args.add(typeWord);
        args.add(chunkSize);
        args.addAll(featureArgs);
        return List.copyOf(args);
    }

    /**
     * The constructor's arguments as one string, quoted where needed: what follows the target name.
     *
     * @return e.g. {@code "254:0 254:16 P 8 1 discard_zeroes_cow"}
     */
    @Override
    public String params() {
        return KernelText.joinArgs(ctrArgs());
    }

    /**
     * The target's name.
     *
     * @return {@code "snapshot"} or {@code "snapshot-merge"}
     */
    @Override
    public String targetName() {
        return kind.targetName();
    }

    /**
     * The whole line as {@code dmsetup table} prints it.
     *
     * @return e.g. {@code "0 65536 snapshot 254:0 254:16 P 16"}
     */
    @Override
    public String format() {
        return DmsetupLine.super.format();
    }

    /**
     * The same as {@link #format()}.
     *
     * @return the line
     */
    @Override
    public String toString() {
        return format();
    }

    /**
     * This line with other device names, e.g. the {@code major:minor} names the kernel prints.
     *
     * @param newOrigin the origin device
     * @param newCow the COW device
     * @return the new line
     * @throws IllegalArgumentException when the names are equal or empty
     */
    public TableLine withDevices(String newOrigin, String newCow) {
        return new TableLine(start, length, kind, newOrigin, newCow, typeWord, chunkSize, featureArgs);
    }

    /**
     * This line with another chunk size: the one a persistent store took from the COW header (which
     * overrides the table's) or its default of 32 sectors on a blank COW when the table said 0.
     *
     * @param sectors the chunk size in sectors (unsigned 32-bit)
     * @return the new line
     */
    public TableLine withChunkSize(long sectors) {
        if (sectors < 0 || sectors > 0xFFFF_FFFFL) {
            throw new IllegalArgumentException("chunk size " + sectors + " is not an unsigned 32-bit number");
        }
        return new TableLine(start, length, kind, origin, cow, typeWord, Long.toString(sectors), featureArgs);
    }

    /**
     * {@link #validate(StoreTypes, int, int)} for devices with 512-byte logical blocks.
     *
     * @param types the available store types
     * @return the line as {@code dmsetup table} shows it
     * @throws TableException with the kernel's message
     */
    public TableLine validate(StoreTypes types) throws TableException {
        return validate(types, ChunkSize.SECTOR_SIZE, ChunkSize.SECTOR_SIZE);
    }

    /**
     * Runs the constructor checks that need the store types (rules 4-6 above) without touching a
     * device, and returns what {@code dmsetup table} shows for the line: the type word as the store
     * prints it ({@code po}, {@code pOx} → {@code PO}; {@code Nfoo} → {@code N}), the chunk size in
     * plain decimal, the features lower-case with their count in the kernel's order, leftovers
     * dropped. Devices stay as written (the kernel prints {@code major:minor}; see
     * {@link #withDevices}), and a chunk size of 0 stays 0 (a persistent store takes it from the COW;
     * see {@link #withChunkSize}).
     *
     * @param types the available store types
     * @param cowBlockSize the COW device's logical block size in bytes
     * @param originBlockSize the origin device's logical block size in bytes
     * @return the normalised line
     * @throws TableException with the kernel's message; for "Couldn't create exception store" the
     *     store's reason is the inner reason, and lines the store logged are in
     *     {@link TableException#kernelLog}
     * @throws dev.snapstore.spi.StoreTypeConfigurationException when the installed store types are broken
     */
    public TableLine validate(StoreTypes types, int cowBlockSize, int originBlockSize) throws TableException {
        Objects.requireNonNull(types, "types");
        List<String> log = Collections.synchronizedList(new ArrayList<>());
        // The constructor does no I/O, so an empty device stands in for the COW.
        BlockDevice emptyCow = new MemoryBlockDevice("cow", 0, cowBlockSize);
        SnapshotConstructor.Created created = SnapshotConstructor.createStore(
                kind, types, typeWord, chunkSize, emptyCow, originBlockSize, log::add, log);
        try (ExceptionStore store = created.store()) {
            // A type that takes its chunk size from the COW (P: the header, or 32 on a blank COW) is
            // decided by the real device; any other with chunk size 0 gets the kernel's refusal.
            if (!created.type().takesChunkSizeFromCow()) {
                SnapshotConstructor.requireChunkSize(kind, store);
            }
            return new TableLine(
                    start,
                    length,
                    kind,
                    origin,
                    cow,
                    store.typeWord(),
                    Integer.toUnsignedString(store.chunkSize()),
                    featureArgsFor(features()));
        }
    }

    /**
     * The same as {@link #validate(StoreTypes)}: the line as {@code dmsetup table} shows it.
     *
     * @param types the available store types
     * @return the normalised line
     * @throws TableException with the kernel's message
     */
    public TableLine normalised(StoreTypes types) throws TableException {
        return validate(types);
    }

    /**
     * Checks the line against the targets a live kernel has ({@code dmsetup targets}), before it is
     * loaded there: the target must exist, feature arguments need snapshot 1.16.0 (snapshot-merge
     * 1.5.0; older constructors say {@value KernelMessages#REQUIRES_EXACTLY_4_ARGUMENTS}), and the
     * persistent store's {@code O} option needs snapshot 1.15.0 (snapshot-merge 1.4.0): an older
     * kernel has no overflow mode, and a full COW would invalidate the snapshot.
     *
     * @param versions the kernel's targets
     * @return this line
     * @throws TableException naming what the kernel lacks, in the kernel's words where it has them
     */
    public TableLine requireSupport(TargetVersions versions) throws TableException {
        Objects.requireNonNull(versions, "versions");
        TargetVersion version = versions.find(kind.targetName())
                .orElseThrow(() -> TableException.other(
                        kind.targetName(),
                        KernelMessages.UNKNOWN_TARGET_TYPE + " (the kernel lists no " + kind.targetName()
                                + " target: load dm-snapshot)"));
        if (!featureArgs.isEmpty() && !version.isAtLeast(kind.since(Feature.DISCARD))) {
            throw TableException.kernel(kind, KernelMessages.REQUIRES_EXACTLY_4_ARGUMENTS);
        }
        boolean overflowOption = typeWord.length() > 1
                && Character.toUpperCase(typeWord.charAt(0)) == 'P'
                && Character.toUpperCase(typeWord.charAt(1)) == 'O';
        if (overflowOption && !version.isAtLeast(kind.since(Feature.OVERFLOW))) {
            throw TableException.other(
                    kind.targetName(),
                    "type " + typeWord + " needs " + kind.targetName() + " " + kind.since(Feature.OVERFLOW)
                            + " or newer for overflow; this kernel has " + version + ": ask for P");
        }
        return this;
    }
}
