package dev.snapstore.cli;

import dev.snapstore.cow.CowHeader;
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
 * {@code restore} reads back).
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
                + " 'snapstore restore' reads either back.";
    }

    @Override
    public ExitStatus run(CommandLine line, Io io) throws CliException {
        Path path = Path.of(line.getOptionValue("cow"));
        try (CowFile cow = CowFile.open(name(), path, false)) {
            CowHeader header = cow.decodableHeader(name());
            try {
                if (line.hasOption("json")) {
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
