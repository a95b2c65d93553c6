package dev.snapstore.cli;

import dev.snapstore.cow.CowFormat;
import dev.snapstore.spi.ChunkSize;
import dev.snapstore.spi.StoreException;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Parsing of option values and wording of I/O errors, shared by the commands. */
final class Arguments {

    private Arguments() {}

    /**
     * A non-negative decimal number of sectors.
     *
     * @param command the command, for the message
     * @param option the option, for the message
     * @param value the text
     * @return the number
     * @throws CliException when it is not a non-negative decimal number
     */
    static long sectors(String command, String option, String value) throws CliException {
        try {
            long n = Long.parseLong(value);
            if (n < 0) {
                throw new NumberFormatException();
            }
            return n;
        } catch (NumberFormatException e) {
            throw CliException.usage(
                    command + ": " + option + " must be a number of 512-byte sectors, not '" + value + "'");
        }
    }

    /**
     * A size or offset in bytes: a decimal number with an optional unit, {@code s} (512-byte
     * sectors) or {@code K}, {@code M}, {@code G}, {@code T} (powers of 1024, any case, optionally
     * followed by {@code iB} or {@code B}), as {@code lvcreate} and {@code dd} take them.
     *
     * @param command the command, for the message
     * @param option the option, for the message
     * @param value the text, e.g. {@code 4096}, {@code 8s}, {@code 64M}, {@code 1GiB}
     * @return the number of bytes
     * @throws CliException when it is not such a size or does not fit in 63 bits
     */
    static long bytes(String command, String option, String value) throws CliException {
        Matcher m = SIZE.matcher(value);
        if (!m.matches()) {
            throw CliException.usage(command + ": " + option + " must be a size in bytes, such as 4096, 8s (sectors),"
                    + " 64K, 16M or 2G, not '" + value + "'");
        }
        int shift =
                switch (m.group(2).isEmpty()
                        ? ' '
                        : Character.toUpperCase(m.group(2).charAt(0))) {
                    case 'S' -> 9;
                    case 'K' -> 10;
                    case 'M' -> 20;
                    case 'G' -> 30;
                    case 'T' -> 40;
                    default -> 0;
                };
        try {
            long n = Long.parseLong(m.group(1));
            if (n > (Long.MAX_VALUE >> shift)) {
                throw new NumberFormatException();
            }
            return n << shift;
        } catch (NumberFormatException e) {
            throw CliException.usage(command + ": " + option + " '" + value + "' is too large");
        }
    }

    private static final Pattern SIZE = Pattern.compile("([0-9]+)(s|S|[kKmMgGtT](?:i?[bB])?|)");

    /**
     * A byte offset or length that must fall on a 512-byte sector boundary.
     *
     * @param command the command, for the message
     * @param option the option, for the message
     * @param value the text, as {@link #bytes}
     * @return the number of bytes, a multiple of 512
     * @throws CliException when it is not a size or not a multiple of 512
     */
    static long sectorAligned(String command, String option, String value) throws CliException {
        long n = bytes(command, option, value);
        if ((n & 511) != 0) {
            throw CliException.usage(command + ": " + option + " " + value + " (" + n
                    + " bytes) is not a multiple of the 512-byte sector");
        }
        return n;
    }

    /**
     * A short reason for an I/O error, without the Java exception's class name.
     *
     * @param e the error
     * @return e.g. {@code no such file} or {@code permission denied}
     */
    static String describe(Exception e) {
        if (e instanceof NoSuchFileException) {
            return "no such file";
        }
        if (e instanceof AccessDeniedException) {
            return "permission denied";
        }
        if (e instanceof FileSystemException fs && fs.getReason() != null) {
            return fs.getReason();
        }
        if (e instanceof IOException && e.getMessage() != null) {
            return e.getMessage();
        }
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }

    /**
     * A chunk size for a new persistent COW, checked with the kernel's rules and words; 0 is the
     * kernel's default ({@code DM_CHUNK_SIZE_DEFAULT_SECTORS}, 32).
     *
     * @param command the command, for the message
     * @param value the {@code --chunk-size} argument in sectors
     * @return the chunk size in sectors
     * @throws CliException with the kernel's words, e.g. {@code Chunk size is not a power of 2}
     */
    static int newCowChunkSize(String command, String value) throws CliException {
        try {
            long parsed = ChunkSize.parse(value);
            return parsed == 0
                    ? CowFormat.DM_CHUNK_SIZE_DEFAULT_SECTORS
                    : ChunkSize.validate(parsed, ChunkSize.SECTOR_SIZE, ChunkSize.SECTOR_SIZE);
        } catch (StoreException e) {
            throw CliException.usage(command + ": --chunk-size " + value + ": " + e.getMessage());
        }
    }
}
