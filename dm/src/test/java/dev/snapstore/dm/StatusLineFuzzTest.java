package dev.snapstore.dm;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;

/**
 * Fuzz target for the status parsers: {@link StatusLine#parseNamed} on the whole text, and
 * {@link SnapshotStatus#parse}/{@link SnapshotStatus#parseLegacy} on it as a bare status. Each either
 * fails with its documented {@link StatusException} or returns a value whose {@code format()} parses
 * back to the same value. Anything else (a runtime exception, an error, a hang) is a finding.
 *
 * <p>Without {@code JAZZER_FUZZ} this runs once per file in
 * {@code src/test/resources/dev/snapstore/dm/StatusLineFuzzTestInputs/statusLine/} (seeds from the
 * kernel fixtures), so {@code mvn verify} keeps checking them; see FUZZING.md for fuzzing mode.
 */
class StatusLineFuzzTest {

    @FuzzTest
    void statusLine(byte[] input) throws StatusException {
        String text = new String(input, StandardCharsets.UTF_8);
        Named<StatusLine> named = null;
        try {
            named = StatusLine.parseNamed(text);
        } catch (StatusException e) {
            // documented: not a snapshot status line
        }
        if (named != null) {
            // Outside the try: a printed line that fails to parse back is a finding, not a "documented error".
            assertEquals(named, StatusLine.parseNamed(named.format()), "format() must parse back to the same line");
        }
        SnapshotStatus status = null;
        try {
            status = SnapshotStatus.parse(text);
        } catch (StatusException e) {
            // documented: not a status the kernel prints
        }
        if (status != null) {
            assertEquals(status, SnapshotStatus.parse(status.format()));
        }
        SnapshotStatus legacy = null;
        try {
            legacy = SnapshotStatus.parseLegacy(text);
        } catch (StatusException e) {
            // documented: not a status any kernel prints
        }
        if (legacy != null) {
            assertEquals(legacy, SnapshotStatus.parseLegacy(legacy.format()));
        }
    }
}
