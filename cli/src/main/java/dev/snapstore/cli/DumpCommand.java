package dev.snapstore.cli;

import dev.snapstore.cow.CowHeader;
import dev.snapstore.cow.tools.CowTable;
import dev.snapstore.cow.tools.DumpJson;
import dev.snapstore.cow.tools.DumpText;
import java.io.IOException;
import java.nio.file.Path;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Option;
import org.apache.commons.cli.Options;

/**
 * {@code snapstore dump}: the header and every exception of a persistent COW in table order, like
 * {@code thin_dump}, in the text format of {@link DumpText} or the JSON of {@link DumpJson} (which
 * {@code restore} reads back). Both stream out with memory bounded by one chunk (not the table).
 * The text is printed as the table is read, and a failure part-way ends it without its {@code end}
 * line. The JSON is printed by a second walk, after a first one read the whole table: a table that
 * cannot be read to its end prints nothing; only a read error in between the two walks (a device
 * failing then) leaves a document unfinished (never well-formed) on stdout, with the error on stderr.
 */
final class DumpCommand implements Command {

    @Override
    public String name() {
        return "dump";
    }

    @Override
    public String synopsis() {
        return "--cow FILE [--json]";
    }

    @Override
    public String summary() {
        return "print a persistent COW's header and exceptions in table order (read-only)";
    }

    @Override
    public Options options() {
        return new Options()
                .addOption(SnapshotOptions.waitLock())
                .addOption(Option.builder()
                        .longOpt("cow")
                        .hasArg()
                        .argName("FILE")
                        .required()
                        .desc("COW image or device")
                        .get())
                .addOption(Option.builder()
                        .longOpt("json")
                        .desc("JSON instead of the text format")
                        .get());
    }

    @Override
    public String footer() {
        return "Text format: 'snapstore-cow-dump 1', 'header magic=0x70416e53 valid=V version=N chunk_size=CS',"
                + " one 'exception area=A index=I old=OLD new=NEW' per record in table order, 'end exceptions=COUNT'."
                + " JSON: {format, formatVersion, cow, cowBytes, header{magic, valid, version, chunkSize},"
                + " exceptionsPerArea, exceptions[{area, index, oldChunk, newChunk}], count}."
                + " 'snapstore restore' reads either back. The text streams out as the table is read (a failure"
                + " part-way leaves no 'end' line); the JSON is printed after a first pass read the whole table, so"
                + " a table that cannot be read prints none of it (a device failing between the two passes leaves an"
                + " unfinished document).";
    }

    @Override
    public ExitStatus run(CommandLine line, Io io) throws CliException {
        Path path = Path.of(line.getOptionValue("cow"));
        try (CowFile cow = CowFile.open(name(), path, false, SnapshotOptions.locking(line))) {
            CowHeader header = cow.decodableHeader(name());
            try {
                if (line.hasOption("json")) {
                    // A table that fails part-way prints no half document: a first walk only reads
                    // it to the end (~0.1 s at 10M records, warm) rather than the document being
                    // held in memory (3.6 GB at 10M).
                    CowTable.count(cow.device(), header);
                    DumpJson.write(io.out(), path.toString(), cow.device(), header);
                } else {
                    DumpText.write(io.out(), path.toString(), cow.device(), header);
                }
            } catch (IOException e) {
                throw cow.readError(name(), e);
            }
            return ExitStatus.OK;
        }
    }
}
