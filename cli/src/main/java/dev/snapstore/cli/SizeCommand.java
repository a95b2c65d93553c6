package dev.snapstore.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.snapstore.cow.CowSizing;
import dev.snapstore.spi.ChunkSize;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Option;
import org.apache.commons.cli.Options;

/** {@code snapstore size}: the COW size that covers a whole origin, by lvm2's rule ({@link CowSizing}). */
final class SizeCommand implements Command {

    @Override
    public String name() {
        return "size";
    }

    @Override
    public String synopsis() {
        return "--origin-size SIZE --chunk-size SECTORS [--json]";
    }

    @Override
    public String summary() {
        return "print the COW size that lets every origin chunk be copied (lvm2's rule)";
    }

    @Override
    public Options options() {
        return new Options()
                .addOption(Option.builder()
                        .longOpt("origin-size")
                        .hasArg()
                        .argName("SIZE")
                        .required()
                        .desc("the origin's size in bytes, or with a unit: 8s (sectors), 64K, 16M, 2G, 1T")
                        .get())
                .addOption(Option.builder()
                        .longOpt("chunk-size")
                        .hasArg()
                        .argName("SECTORS")
                        .required()
                        .desc("chunk size in 512-byte sectors, a power of two (0: the kernel's default, 32)")
                        .get())
                .addOption(Option.builder()
                        .longOpt("json")
                        .desc("JSON: {originSectors, chunkSize, originChunks, metadataChunks, cowSectors, cowBytes,"
                                + " minimumCowSectors}")
                        .get());
    }

    @Override
    public String footer() {
        return "The size holds the header chunk, one data chunk per origin chunk and every metadata area, including"
                + " the terminating area the kernel writes when the last one fills; one chunk less and rewriting the"
                + " whole origin invalidates the snapshot. Example: snapstore size --origin-size 1G --chunk-size 8";
    }

    @Override
    public ExitStatus run(CommandLine line, Io io) throws CliException {
        String sizeArg = line.getOptionValue("origin-size");
        long originBytes = Arguments.bytes(name(), "--origin-size", sizeArg);
        if (originBytes < ChunkSize.SECTOR_SIZE) {
            throw CliException.usage(name() + ": --origin-size " + sizeArg + " is smaller than one 512-byte sector");
        }
        long originSectors = (originBytes + ChunkSize.SECTOR_SIZE - 1) >> ChunkSize.SECTOR_SHIFT;
        String chunkArg = line.getOptionValue("chunk-size");
        int chunkSize = Arguments.newCowChunkSize(name(), chunkArg);
        long cowSectors;
        try {
            cowSectors = CowSizing.fullCoverageSectors(originSectors, chunkSize);
        } catch (ArithmeticException e) {
            throw CliException.usage(name() + ": --origin-size " + sizeArg + " is too large for a COW size in 64 bits");
        }
        long originChunks = CowSizing.originChunks(originSectors, chunkSize);
        long metadataChunks = CowSizing.metadataChunks(originSectors, chunkSize);
        long cowBytes = cowSectors << ChunkSize.SECTOR_SHIFT;
        if (line.hasOption("json")) {
            ObjectNode root = Json.object()
                    .put("originSectors", originSectors)
                    .put("chunkSize", chunkSize)
                    .put("originChunks", originChunks)
                    .put("metadataChunks", metadataChunks)
                    .put("cowSectors", cowSectors);
            Json.putUnsigned(root, "cowBytes", cowBytes);
            root.put("minimumCowSectors", CowSizing.minimumSectors(chunkSize));
            Json.print(io, root);
            return ExitStatus.OK;
        }
        io.out()
                .println(cowSectors + " sectors (" + Long.toUnsignedString(cowBytes) + " bytes): 1 header chunk, "
                        + originChunks + " data chunks, " + metadataChunks + " metadata chunks of " + chunkSize
                        + " sectors");
        return ExitStatus.OK;
    }
}
