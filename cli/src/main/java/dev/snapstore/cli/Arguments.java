package dev.snapstore.cli;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;

/** Parsing of option values and wording of I/O errors, shared by the commands. */
final class Arguments {

    private Arguments() {
    }

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
            throw CliException.usage(command + ": " + option + " must be a number of 512-byte sectors, not '" + value + "'");
        }
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
}
