package dev.snapstore.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.snapstore.engine.Activation;
import dev.snapstore.engine.Snapshot;
import dev.snapstore.spi.Usage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Option;

/**
 * The options shared by the commands that activate a snapshot on image files ({@code status},
 * {@code write}, {@code read}, {@code export}, {@code merge}), worded once.
 */
final class SnapshotOptions {

    private SnapshotOptions() {}

    static Option origin() {
        return Option.builder()
                .longOpt("origin")
                .hasArg()
                .argName("FILE")
                .required()
                .desc("the origin image (file or block device)")
                .get();
    }

    static Option cow() {
        return Option.builder()
                .longOpt("cow")
                .hasArg()
                .argName("FILE")
                .required()
                .desc("the COW image (file or block device)")
                .get();
    }

    static Option type() {
        return Option.builder()
                .longOpt("type")
                .hasArg()
                .argName("WORD")
                .required()
                .desc("the table's store type word: P, PO or N (the first letter picks the store)")
                .get();
    }

    static Option chunkSize(boolean required) {
        return Option.builder()
                .longOpt("chunk-size")
                .hasArg()
                .argName("N")
                .required(required)
                .desc(
                        required
                                ? "the table's chunk size in 512-byte sectors; a persistent COW's header wins, as in"
                                        + " the kernel"
                                : "the table's chunk size in 512-byte sectors (default 0: a persistent COW's own)")
                .get();
    }

    /**
     * {@code --wait-lock}: wait for another holder of an image to let go instead of being refused.
     *
     * @return the option
     */
    static Option waitLock() {
        return Option.builder()
                .longOpt("wait-lock")
                .desc("when another process holds an image, wait for it instead of failing at once (exit 2)")
                .get();
    }

    /**
     * How the command locks its images.
     *
     * @param line the command line
     * @return {@link Activation.Locking#WAIT} with {@code --wait-lock}, else {@link Activation.Locking#LOCK}
     */
    static Activation.Locking locking(CommandLine line) {
        return line.hasOption("wait-lock") ? Activation.Locking.WAIT : Activation.Locking.LOCK;
    }

    static Option json(String shape) {
        return Option.builder().longOpt("json").desc("print JSON: " + shape).get();
    }

    static Path path(CommandLine line, String option) {
        return Path.of(line.getOptionValue(option));
    }

    /**
     * Refuses an output path that is one of the images.
     *
     * @param command the command, for messages
     * @param output the output path
     * @param images the images it must not be
     * @throws CliException (exit 2) when it is one of them
     */
    static void refuseImageAsOutput(String command, Path output, Path... images) throws CliException {
        if (!Files.exists(output)) {
            return;
        }
        for (Path image : images) {
            try {
                if (Files.exists(image) && Files.isSameFile(output, image)) {
                    throw CliException.usage(command + ": --output " + output + " is " + image
                            + ", one of the images; choose another file");
                }
            } catch (IOException e) {
                throw CliException.usage(
                        command + ": cannot compare " + output + " and " + image + " (" + Arguments.describe(e) + ")");
            }
        }
    }

    /**
     * The snapshot's state for {@code --json}: the INFO status and its parts.
     *
     * @param activation the activation
     * @return the object
     */
    static ObjectNode state(ImageActivation activation) {
        Snapshot snapshot = activation.snapshot();
        ObjectNode node = Json.object();
        node.put("origin", activation.originPath().toString());
        node.put("cow", activation.cowPath().toString());
        node.put("type", snapshot.typeWord());
        node.put("chunkSize", snapshot.chunkSize());
        node.put("status", snapshot.status().format());
        node.put("table", tableStatus(snapshot));
        node.put("valid", snapshot.isValid());
        node.put("overflow", snapshot.isOverflowed());
        node.put("newCow", activation.newCow());
        if (snapshot.isValid()) {
            Usage usage = snapshot.usage();
            Json.putUnsigned(node, "allocatedSectors", usage.allocatedSectors());
            Json.putUnsigned(node, "totalSectors", usage.totalSectors());
            Json.putUnsigned(node, "metadataSectors", usage.metadataSectors());
            node.put("exceptions", snapshot.exceptionCount());
        }
        return node;
    }

    /**
     * The store's part of the TABLE status, e.g. {@code "P 8"}: what {@code dmsetup table} prints
     * after the two device names.
     *
     * @param snapshot the snapshot
     * @return the text
     */
    static String tableStatus(Snapshot snapshot) {
        return snapshot.tableStatus("", "").trim();
    }
}
