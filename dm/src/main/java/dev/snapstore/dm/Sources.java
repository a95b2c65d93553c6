package dev.snapstore.dm;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;

/** The file and error handling behind {@link VersionSource}, outside the interface so it can be tested. */
final class Sources {

    private Sources() {}

    static String readFile(Path path) throws TargetException {
        if (Files.isDirectory(path)) {
            throw new TargetException("cannot read dmsetup targets from " + path + ": it is a directory");
        }
        try {
            // Decoded leniently: a stray byte shows up in the parse error instead of a decoder error.
            return new String(Files.readAllBytes(path), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw readError(path, e);
        }
    }

    /** Turns an I/O error into one sentence that names the file. */
    static TargetException readError(Path path, IOException e) {
        String why;
        if (e instanceof NoSuchFileException) {
            why = "no such file";
        } else if (e instanceof AccessDeniedException) {
            why = "permission denied";
        } else if (e instanceof NotDirectoryException) {
            why = "a parent is not a directory";
        } else {
            why = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        }
        return new TargetException("cannot read dmsetup targets from " + path + ": " + why, e);
    }

    static TargetVersions parse(String text, String source) throws TargetException {
        try {
            return TargetVersions.parse(text);
        } catch (TargetException e) {
            throw new TargetException(source + ": " + e.getMessage(), e);
        }
    }
}
