package dev.snapstore.dm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import dev.snapstore.spi.StoreTypes;
import dev.snapstore.testkit.Fixtures;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Every snapshot and snapshot-merge line that {@code dmsetup table} or {@code dmsetup status}
 * printed in any fixture scenario parses and prints back byte for byte; table lines are already
 * what the kernel normalises to, so validating them changes nothing.
 */
class FixtureLinesTest {

    private static final StoreTypes TYPES = StoreTypes.load();

    record Output(Path file, boolean table, String line) {}

    /**
     * Every line of every scenario that has the shape of a snapshot/snapshot-merge table or status
     * line. Scenarios do not all say which command printed a line, so the kind is told by content:
     * a status is one of the kernel's status texts, anything else must be a table line.
     */
    static List<Output> outputs() throws IOException {
        List<Output> result = new ArrayList<>();
        for (Path file : Fixtures.scenarios()) {
            for (String raw : Files.readAllLines(file)) {
                String line = raw.strip();
                KernelText.Line fields = KernelText.splitLine(line);
                if (fields != null && TargetKind.forName(fields.target()).isPresent()) {
                    result.add(new Output(file, !isStatus(fields.params()), line));
                }
            }
        }
        return result;
    }

    private static boolean isStatus(String params) {
        try {
            SnapshotStatus.parse(params);
            return true;
        } catch (StatusException e) {
            return false;
        }
    }

    @Test
    void thereAreManyOfBothKinds() throws IOException {
        List<Output> all = outputs();
        assertTrue(all.stream().filter(Output::table).count() >= 30, "table lines");
        assertTrue(all.stream().filter(o -> !o.table()).count() >= 30, "status lines");
        assertTrue(all.stream().anyMatch(o -> o.line().contains("snapshot-merge")));
        assertTrue(all.stream().anyMatch(o -> o.line().endsWith(" Overflow")));
        assertTrue(all.stream().anyMatch(o -> o.line().endsWith(" Invalid")));
    }

    @TestFactory
    Stream<DynamicTest> everyLineRoundTrips() throws IOException {
        return outputs().stream()
                .map(o -> dynamicTest(o.file().getParent().getFileName() + ": " + o.line(), () -> {
                    if (o.table()) {
                        Named<TableLine> named = TableLine.parseNamed(o.line());
                        assertEquals(o.line(), named.format());
                        assertEquals(named.line(), named.line().validate(TYPES));
                    } else {
                        assertEquals(o.line(), StatusLine.parseNamed(o.line()).format());
                    }
                }));
    }
}
