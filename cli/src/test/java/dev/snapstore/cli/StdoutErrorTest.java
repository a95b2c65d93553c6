package dev.snapstore.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.snapstore.spi.StoreTypes;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** A command whose standard output cannot be written (a full disk, a closed pipe) never exits 0. */
class StdoutErrorTest {

    /** Standard output on a full disk: every write fails, as on /dev/full. */
    private static final class FullDisk extends OutputStream {
        @Override
        public void write(int b) throws IOException {
            throw new IOException("No space left on device");
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            throw new IOException("No space left on device");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"types", "types --json", "--version", "--help", "negotiate --targets - --json"})
    void aFailedWriteToStandardOutputIsExitOneWithAMessage(String command) {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Io io = new Io(
                new PrintStream(new FullDisk(), true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8),
                new ByteArrayInputStream("snapshot          v1.16.0\n".getBytes(StandardCharsets.UTF_8)));
        ExitStatus status = new Snapstore(io, StoreTypes.load()).run(command.split(" "));
        assertEquals(ExitStatus.NO, status, command);
        String message = err.toString(StandardCharsets.UTF_8);
        assertTrue(message.contains("snapstore: cannot write to standard output"), message);
    }

    @ParameterizedTest
    @ValueSource(strings = {"types", "--version"})
    void theSameCommandsExitZeroWhenTheirOutputIsWritten(String command) {
        CliRun run = CliRun.of(command.split(" "));
        assertEquals(ExitStatus.OK, run.status(), run.toString());
        assertEquals("", run.err());
    }
}
