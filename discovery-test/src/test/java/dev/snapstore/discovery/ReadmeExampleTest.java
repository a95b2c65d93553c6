package dev.snapstore.discovery;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.snapstore.dm.Negotiator;
import dev.snapstore.dm.TargetVersions;
import dev.snapstore.engine.Activation;
import dev.snapstore.engine.ActivationRequest;
import dev.snapstore.engine.Snapshot;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The example of README.md's "Using snapstore as a library", compiled and run here against the jars
 * a consumer gets (the library modules, the store types found through ServiceLoader). The README
 * copies the lines between the {@code README example} markers; {@link #theReadmeShowsThisExample()}
 * fails when the two differ, so change both together.
 */
class ReadmeExampleTest {

    private static final String MARK = "        // README example ";

    /** The README's example; {@code dir} stands for the consumer's own folder. */
    static void example(Path dir) throws Exception {
        // README example begin
        Path originFile = dir.resolve("origin.img"), cowFile = dir.resolve("cow.img");
        Files.write(originFile, new byte[16 << 20]); // a 16 MiB origin: your volume
        Files.write(cowFile, new byte[4 << 20]); // a 4 MiB COW of zeros: activation formats it as the kernel does

        // The type word to ask this kernel for, from the output of `dmsetup targets`.
        TargetVersions targets = TargetVersions.parse("snapshot-origin v1.9.0\nsnapshot v1.16.0\n");
        String typeWord = Negotiator.negotiate(targets, false, false).typeWord();
        System.out.println("type " + typeWord); // type PO

        // As loading "snapshot <origin> <cow> PO 8" would: 8-sector (4 KiB) chunks, both files written.
        ActivationRequest request = ActivationRequest.of(originFile, cowFile, typeWord)
                .withChunkSize("8")
                .withAccess(Activation.Access.ORIGIN_AND_COW);
        try (Activation activation = Activation.open(request)) {
            Snapshot snapshot = activation.snapshot();
            System.out.println("status " + snapshot.status()); // status 16/8192 16

            byte[] data = new byte[4096];
            Arrays.fill(data, (byte) 'A');
            activation.origin().write(0, ByteBuffer.wrap(data)); // chunk 0 is copied to the COW first
            ByteBuffer old = ByteBuffer.allocate(4096);
            snapshot.read(0, old);
            System.out.println("snapshot reads " + old.get(0)); // snapshot reads 0
            System.out.println("status " + snapshot.status()); // status 24/8192 16
        }
        // README example end
    }

    @Test
    void theExampleRunsAndPrintsTheKernelsStatus(@TempDir Path dir) throws Exception {
        PrintStream stdout = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            example(dir);
        } finally {
            System.setOut(stdout);
        }
        assertEquals(
                List.of("type PO", "status 16/8192 16", "snapshot reads 0", "status 24/8192 16"),
                captured.toString(StandardCharsets.UTF_8).lines().toList());
    }

    @Test
    void theReadmeShowsThisExample() throws Exception {
        List<String> source = Files.readAllLines(Path.of(System.getProperty("readme.example.source")));
        List<String> code = source.subList(source.indexOf(MARK + "begin") + 1, source.indexOf(MARK + "end")).stream()
                .map(line -> line.replaceFirst("^ {8}", ""))
                .toList();
        String readme = Files.readString(Path.of(System.getProperty("readme.path")));
        String section = readme.substring(readme.indexOf("## Using snapstore as a library"));
        String block = section.substring(section.indexOf("```java\n") + 8);
        assertEquals(
                String.join("\n", code) + "\n",
                block.substring(0, block.indexOf("```")),
                "README.md's \"Using snapstore as a library\" must show ReadmeExampleTest's example verbatim");
    }
}
