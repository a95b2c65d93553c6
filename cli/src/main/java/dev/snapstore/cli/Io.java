package dev.snapstore.cli;

import java.io.InputStream;
import java.io.PrintStream;

/**
 * Where a command reads and writes: the process's streams in production, buffers in tests.
 *
 * @param out standard output, for answers
 * @param err standard error, for messages
 * @param in standard input, for {@code -} arguments
 */
record Io(PrintStream out, PrintStream err, InputStream in) {

    static Io system() {
        return new Io(System.out, System.err, System.in);
    }
}
