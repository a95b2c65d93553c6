package dev.snapstore.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.snapstore.testkit.Fixtures;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The documented --json shapes of types, negotiate and table, parsed with Jackson. */
class JsonOutputTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    @Test
    void types() throws IOException {
        CliRun run = CliRun.of("types", "--json");
        assertEquals(ExitStatus.OK, run.status(), run::toString);
        List<String> letters = new ArrayList<>();
        for (JsonNode t : JSON.readTree(run.out()).get("types")) {
            letters.add(t.get("letter").asText());
            assertTrue(t.has("name") && t.has("options") && t.has("description"), t::toString);
            if (t.get("letter").asText().equals("P")) {
                assertEquals("dev.snapstore.store.persistent", t.get("module").asText());
            }
        }
        assertTrue(letters.containsAll(List.of("P", "N")), letters::toString);
    }

    @Test
    void negotiate() throws IOException {
        String targets =
                Fixtures.dir("s1-version-targets").resolve("targets.txt").toString();
        CliRun run = CliRun.of("negotiate", "--targets", targets, "--json");
        assertEquals(ExitStatus.OK, run.status(), run::toString);
        JsonNode root = JSON.readTree(run.out());
        assertEquals("PO", root.get("typeWord").asText());
        assertEquals("snapshot", root.get("target").asText());
        assertEquals("1.16.0", root.get("version").asText().replaceFirst("^v", ""));
        assertEquals(
                List.of("discard", "overflow"),
                List.of(
                        root.get("features").get(0).asText(),
                        root.get("features").get(1).asText()));
        assertTrue(root.get("reason").asText().contains("1.16.0"), run::toString);
    }

    @Test
    void table() throws IOException {
        Path origin = Files.write(tmp.resolve("origin.img"), new byte[1 << 20]);
        Path cow = Files.write(tmp.resolve("cow.img"), new byte[1 << 20]);
        CliRun run = CliRun.of(
                "table",
                "--origin",
                origin.toString(),
                "--cow",
                cow.toString(),
                "--type",
                "po",
                "--chunk-size",
                "8",
                "--json");
        assertEquals(ExitStatus.OK, run.status(), run::toString);
        JsonNode root = JSON.readTree(run.out());
        assertEquals(
                "0 2048 snapshot " + origin + " " + cow + " PO 8",
                root.get("table").asText());
        assertEquals(0, root.get("start").asLong());
        assertEquals(2048, root.get("length").asLong());
        assertEquals("snapshot", root.get("target").asText());
        assertEquals("PO", root.get("typeWord").asText());
        assertEquals("8", root.get("chunkSize").asText());
        assertEquals(0, root.get("featureArgs").size());
    }
}
