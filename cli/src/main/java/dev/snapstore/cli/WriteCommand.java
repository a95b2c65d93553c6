package dev.snapstore.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.snapstore.cow.CowAreaReader;
import dev.snapstore.engine.Activation;
import dev.snapstore.engine.ImageLock;
import dev.snapstore.spi.BlockDevice;
import dev.snapstore.spi.FileBlockDevice;
import dev.snapstore.spi.StoreException;
import dev.snapstore.spi.StoreTypes;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Option;
import org.apache.commons.cli.Options;

/**
 * {@code snapstore write}: one write through the engine, in one activation, with the kernel's
 * semantics: an origin write copies the chunks it changes to the snapshot first; a snapshot write
 * allocates exceptions; a full COW overflows ({@code PO}) or invalidates ({@code P}, {@code N}, and
 * any origin write). The last line printed is the INFO status afterwards.
 */
final class WriteCommand implements Command {

    private final StoreTypes types;

    WriteCommand(StoreTypes types) {
        this.types = types;
    }

    @Override
    public String name() {
        return "write";
    }

    @Override
    public String synopsis() {
        return "--origin FILE --cow FILE --type WORD --chunk-size N --to origin|snapshot --offset BYTES"
                + " (--input FILE | --fill BYTE --length BYTES) [--json]";
    }

    @Override
    public String summary() {
        return "write to the origin or the snapshot through the engine, as the kernel would";
    }

    @Override
    public Options options() {
        return new Options()
                .addOption(SnapshotOptions.origin())
                .addOption(SnapshotOptions.waitLock())
                .addOption(SnapshotOptions.cow())
                .addOption(SnapshotOptions.type())
                .addOption(SnapshotOptions.chunkSize(true))
                .addOption(Option.builder()
                        .longOpt("to")
                        .hasArg()
                        .argName("origin|snapshot")
                        .required()
                        .desc("which device is written")
                        .get())
                .addOption(Option.builder()
                        .longOpt("offset")
                        .hasArg()
                        .argName("BYTES")
                        .required()
                        .desc("where, in bytes from the device's start (units: s, K, M, G)")
                        .get())
                .addOption(Option.builder()
                        .longOpt("input")
                        .hasArg()
                        .argName("FILE")
                        .desc("write this file's bytes; '-', a pipe or /dev/stdin is read to its end (it must fit)")
                        .get())
                .addOption(Option.builder()
                        .longOpt("fill")
                        .hasArg()
                        .argName("BYTE")
                        .desc("write this byte, --length times: 0-255, 0x00-0xff, or one character")
                        .get())
                .addOption(Option.builder()
                        .longOpt("force")
                        .desc("let a non-persistent --type (N) overwrite a COW that holds a persistent snapshot")
                        .get())
                .addOption(Option.builder()
                        .longOpt("length")
                        .hasArg()
                        .argName("BYTES")
                        .desc("how many bytes --fill writes")
                        .get())
                .addOption(
                        SnapshotOptions.json(
                                "{written, to, offset, ok, error, origin, cow, type, chunkSize, status,"
                                        + " table, valid, overflow, newCow, allocatedSectors, totalSectors, metadataSectors, exceptions}"));
    }

    @Override
    public String footer() {
        return "Exit 1 when the write fails as the kernel fails it (Input/output error: overflow, invalid snapshot);"
                + " the status line is printed either way. A PO overflow lives only as long as the activation, as in"
                + " the kernel. Example: snapstore write --origin o.img --cow c.img --type PO --chunk-size 8"
                + " --to snapshot --offset 4096 --fill 0x41 --length 4096";
    }

    @Override
    public ExitStatus run(CommandLine line, Io io) throws CliException {
        String to = line.getOptionValue("to");
        if (!to.equals("origin") && !to.equals("snapshot")) {
            throw CliException.usage(name() + ": --to must be 'origin' or 'snapshot', not '" + to + "'");
        }
        long offset = Arguments.bytes(name(), "--offset", line.getOptionValue("offset"));
        Path originPath = SnapshotOptions.path(line, "origin");
        Path cowPath = SnapshotOptions.path(line, "cow");
        Path input = null;
        long length;
        int fill = -1;
        boolean streamed = false;
        if (line.hasOption("input") == line.hasOption("fill")) {
            throw CliException.usage(name() + ": give either --input FILE or --fill BYTE --length BYTES");
        }
        if (line.hasOption("input")) {
            if (line.hasOption("length")) {
                throw CliException.usage(name() + ": --length goes with --fill; --input writes the whole file");
            }
            String inputText = line.getOptionValue("input");
            input = inputText.equals("-") ? null : Path.of(inputText);
            streamed = input == null || isStream(input);
            length = streamed ? 0 : inputLength(input, originPath, cowPath);
        } else {
            if (!line.hasOption("length")) {
                throw CliException.usage(name() + ": --fill needs --length BYTES");
            }
            fill = fillByte(line.getOptionValue("fill"));
            length = Arguments.bytes(name(), "--length", line.getOptionValue("length"));
        }
        // Checked before activation, which may initialise a new COW: bad input changes no byte.
        long deviceBytes = ImageActivation.originBytes(name(), originPath);
        Path spool = null;
        if (streamed) {
            // A pipe has no size: read it to its end first, so that too much input changes no byte.
            spool = spool(input, io, Math.max(0, deviceBytes - offset), to, deviceBytes);
            input = spool;
            length = spoolLength(spool);
        }
        try {
            return write(line, io, to, offset, originPath, cowPath, input, length, fill, deviceBytes);
        } finally {
            if (spool != null) {
                deleteQuietly(spool);
            }
        }
    }

    private ExitStatus write(
            CommandLine line,
            Io io,
            String to,
            long offset,
            Path originPath,
            Path cowPath,
            Path input,
            long length,
            int fill,
            long deviceBytes)
            throws CliException {
        boolean toOrigin = to.equals("origin");
        if (offset > deviceBytes || length > deviceBytes - offset) {
            throw CliException.usage(name() + ": bytes " + offset + " to " + (offset + length)
                    + " lie beyond the end of the " + to + " (" + deviceBytes + " bytes)");
        }
        refuseTransientOverPersistent(line, cowPath);
        try (ImageActivation activation = ImageActivation.open(
                name(),
                types,
                originPath,
                cowPath,
                line.getOptionValue("type"),
                line.getOptionValue("chunk-size"),
                toOrigin ? Activation.Access.ORIGIN_AND_COW : Activation.Access.COW,
                SnapshotOptions.locking(line),
                io)) {
            BlockDevice device = toOrigin ? activation.origin() : activation.snapshot();
            String error = null;
            long written = length;
            try (FileChannel channel = input == null ? null : FileChannel.open(input, StandardOpenOption.READ)) {
                int value = fill;
                Path from = input;
                ByteRanges.Source source = channel == null
                        ? dst -> {
                            while (dst.hasRemaining()) {
                                dst.put((byte) value);
                            }
                        }
                        : dst -> {
                            while (dst.hasRemaining()) {
                                if (channel.read(dst) < 0) {
                                    throw new EOFException(from + " ended early (it shrank while being read)");
                                }
                            }
                        };
                ByteRanges.write(device, offset, length, source, Progress.none());
            } catch (ByteRanges.DeviceException e) {
                written = Math.max(0, e.offset() - offset);
                error = "Input/output error writing the " + to + " at byte " + Math.max(offset, e.offset()) + " ("
                        + e.getMessage() + ")" + spaceCause(e, cowPath);
            } catch (IOException e) {
                throw CliException.usage(
                        name() + ": cannot read --input " + input + " (" + Arguments.describe(e) + ")");
            }
            if (line.hasOption("json")) {
                ObjectNode node = Json.object();
                node.put("written", written);
                node.put("to", to);
                node.put("offset", offset);
                node.put("ok", error == null);
                if (error != null) {
                    node.put("error", error);
                }
                node.setAll(SnapshotOptions.state(activation));
                Json.print(io, node);
            } else {
                if (error == null) {
                    io.out().println("wrote " + length + " bytes to the " + to + " at byte " + offset);
                }
                io.out().println(activation.snapshot().status());
            }
            if (error != null) {
                throw CliException.no(name() + ": " + error);
            }
        }
        return ExitStatus.OK;
    }

    /**
     * The cause the kernel's status does not say: the COW's file system full or over quota. The
     * engine keeps the device's error underneath its {@code Input/output error}; where it did not
     * reach us, a file system with no space left is the cause all the same.
     */
    static String spaceCause(Throwable error, Path cowPath) {
        for (Throwable t = error; t != null; t = t.getCause()) {
            String message = String.valueOf(t.getMessage());
            if (message.contains("No space left on device")) {
                return "; the COW " + cowPath + " could not grow: No space left on device (ENOSPC)";
            }
            if (message.contains("Disk quota exceeded")) {
                return "; the COW " + cowPath + " could not grow: Disk quota exceeded (EDQUOT)";
            }
        }
        try {
            if (Files.isRegularFile(cowPath) && Files.getFileStore(cowPath).getUsableSpace() == 0) {
                return "; the COW " + cowPath + " could not grow: its file system is full (ENOSPC)";
            }
        } catch (IOException e) {
            // no answer: the kernel's words stand alone
        }
        return "";
    }

    /**
     * The kernel lets an {@code N} table overwrite a persistent COW's header; so would this write,
     * and the snapshot in it would be gone. {@code create} refuses the same without {@code --force}.
     */
    private void refuseTransientOverPersistent(CommandLine line, Path cowPath) throws CliException {
        String word = line.getOptionValue("type");
        try {
            if (line.hasOption("force")
                    || StoreTypes.PERSISTENT.equals(types.select(word).type().name())
                    || !Files.isRegularFile(cowPath)
                            && ImageLock.specialKind(cowPath).isPresent()
                    || !Files.exists(cowPath)) {
                return;
            }
        } catch (StoreException e) {
            return; // the activation words an unknown type
        }
        try (FileBlockDevice cow = FileBlockDevice.open(cowPath, false)) {
            if (cow.sizeInSectors() > 0 && CowAreaReader.readHeader(cow).hasMagic()) {
                throw CliException.usage(name() + ": " + cowPath + " holds a persistent snapshot (its header has the"
                        + " magic); a --type " + word + " write would overwrite it. Use --type P, or --force if it may"
                        + " go");
            }
        } catch (IOException | RuntimeException e) {
            // unreadable: the activation words it
        }
    }

    /** A FIFO, a pipe's {@code /dev/stdin} or a character device: read to its end, not sized. */
    private static boolean isStream(Path input) {
        return !Files.isDirectory(input)
                && Files.exists(input)
                && !Files.isRegularFile(input)
                && ImageLock.specialKind(input).isPresent();
    }

    private Path spool(Path input, Io io, long room, String to, long deviceBytes) throws CliException {
        String what = input == null ? "standard input" : input.toString();
        Path spool;
        try {
            spool = Files.createTempFile("snapstore-input", ".bin");
        } catch (IOException e) {
            throw CliException.usage(
                    name() + ": cannot make a temporary file for --input " + what + " (" + Arguments.describe(e) + ")");
        }
        boolean done = false;
        try (InputStream in = input == null ? io.in() : Files.newInputStream(input);
                OutputStream out = Files.newOutputStream(spool)) {
            byte[] buffer = new byte[1 << 16];
            long total = 0;
            int n;
            while ((n = in.read(buffer)) > 0) {
                total += n;
                if (total > room) {
                    throw CliException.usage(name() + ": --input " + what + " holds more than the " + room
                            + " bytes between the offset and the end of the " + to + " (" + deviceBytes
                            + " bytes); nothing was written");
                }
                out.write(buffer, 0, n);
            }
            done = true;
            return spool;
        } catch (IOException e) {
            throw CliException.usage(name() + ": cannot read --input " + what + " (" + Arguments.describe(e) + ")");
        } finally {
            if (!done) {
                deleteQuietly(spool);
            }
        }
    }

    private long spoolLength(Path spool) throws CliException {
        try {
            return Files.size(spool);
        } catch (IOException e) {
            throw CliException.usage(name() + ": cannot read the spooled input (" + Arguments.describe(e) + ")");
        }
    }

    private static void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            // a temporary file: the system's cleaning takes it
        }
    }

    private long inputLength(Path input, Path originPath, Path cowPath) throws CliException {
        if (Files.isDirectory(input)) {
            throw CliException.usage(name() + ": --input " + input + ": is a directory");
        }
        if (!Files.exists(input)) {
            throw CliException.usage(name() + ": --input " + input + ": no such file");
        }
        try {
            for (Path image : new Path[] {originPath, cowPath}) {
                if (Files.exists(image) && Files.isSameFile(input, image)) {
                    throw CliException.usage(
                            name() + ": --input " + input + " is " + image + ", one of the images; copy it first");
                }
            }
            return Files.size(input);
        } catch (IOException e) {
            throw CliException.usage(name() + ": cannot read --input " + input + " (" + Arguments.describe(e) + ")");
        }
    }

    private int fillByte(String text) throws CliException {
        try {
            int value;
            if (text.startsWith("0x") || text.startsWith("0X")) {
                value = Integer.parseInt(text.substring(2), 16);
            } else if (!text.isEmpty() && Character.isDigit(text.charAt(0))) {
                value = Integer.parseInt(text);
            } else if (text.length() == 1 && text.charAt(0) < 0x80) {
                value = text.charAt(0);
            } else {
                value = -1;
            }
            if (value >= 0 && value <= 255) {
                return value;
            }
        } catch (NumberFormatException e) {
            // worded below
        }
        throw CliException.usage(
                name() + ": --fill must be a byte: 0-255, 0x00-0xff or one ASCII character, not '" + text + "'");
    }
}
