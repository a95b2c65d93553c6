package dev.snapstore.dm;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.snapstore.spi.StoreTypes;
import java.nio.charset.StandardCharsets;

/**
 * Fuzz target for the table-line parser: any text either parses or fails with the documented
 * {@link TableException}; a parsed line prints back to text that parses to the same line, and
 * {@link TableLine#validate} either fails with a {@link TableException} or gives a line that
 * validates to itself. Anything else (a runtime exception, an error, a hang) is a finding.
 *
 * <p>Without {@code JAZZER_FUZZ} this runs once per file in
 * {@code src/test/resources/dev/snapstore/dm/TableLineFuzzTestInputs/tableLine/} (seeds from the
 * kernel fixtures), so {@code mvn verify} keeps checking them; see FUZZING.md for fuzzing mode.
 */
class TableLineFuzzTest {

    private static final StoreTypes TYPES = StoreTypes.load();

    @FuzzTest
    void tableLine(byte[] input) throws TableException {
        String text = new String(input, StandardCharsets.UTF_8);
        Named<TableLine> named;
        try {
            named = TableLine.parseNamed(text);
        } catch (TableException e) {
            return;
        }
        TableLine line = named.line();
        assertEquals(named, TableLine.parseNamed(named.format()), "format() must parse back to the same line");
        assertEquals(line, TableLine.parse(line.format()));
        TableLine valid;
        try {
            valid = line.validate(TYPES);
        } catch (TableException e) {
            return;
        }
        assertEquals(valid, valid.validate(TYPES), "a validated line must validate to itself");
        assertEquals(valid, TableLine.parse(valid.format()));
    }
}
