package dev.snapstore.discovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Starts the packaged CLI in new JVMs, as users do, and checks which store types it finds: the
 * example third-party jar on the module path and on the class path, without it, and broken or
 * clashing provider jars.
 */
class StoreTypeDiscoveryIT {

    private static final String MAIN = "dev.snapstore.cli.Main";
    private static Path jars;
    private static Path work;

    @BeforeAll
    static void locate() throws IOException {
        jars = Path.of(System.getProperty("discovery.jars"));
        work = Path.of(System.getProperty("discovery.work"));
        Files.createDirectories(work);
        assertTrue(Files.isRegularFile(example()), "example-store jar not packaged in " + jars);
    }

    private static Path example() throws IOException {
        try (Stream<Path> files = Files.list(jars)) {
            return files.filter(p -> p.getFileName().toString().startsWith("snapstore-example-store-"))
                    .findFirst()
                    .orElseThrow();
        }
    }

    private static List<Path> builtIn() throws IOException {
        try (Stream<Path> files = Files.list(jars)) {
            return files.filter(p -> !p.getFileName().toString().startsWith("snapstore-example-store-"))
                    .sorted()
                    .toList();
        }
    }

    private record Run(int status, List<String> out, String err) {
        List<String> letters() {
            return out.stream().map(line -> line.substring(0, 1)).toList();
        }
    }

    private static Run run(List<String> command) throws IOException, InterruptedException {
        List<String> full = new ArrayList<>();
        full.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        full.addAll(command);
        Process process = new ProcessBuilder(full)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .start();
        byte[] out = process.getInputStream().readAllBytes();
        byte[] err = process.getErrorStream().readAllBytes();
        assertTrue(process.waitFor(60, TimeUnit.SECONDS));
        return new Run(
                process.exitValue(),
                new String(out, StandardCharsets.UTF_8).lines().toList(),
                new String(err, StandardCharsets.UTF_8));
    }

    private static String path(List<Path> entries) {
        return entries.stream().map(Path::toString).collect(Collectors.joining(File.pathSeparator));
    }

    private static Run modulePath(List<Path> entries, String... args) throws IOException, InterruptedException {
        List<String> command =
                new ArrayList<>(List.of("--module-path", path(entries), "-m", "dev.snapstore.cli/" + MAIN));
        command.addAll(List.of(args));
        return run(command);
    }

    private static Run classPath(List<Path> entries, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("-cp", path(entries), MAIN));
        command.addAll(List.of(args));
        return run(command);
    }

    private static List<Path> with(List<Path> base, Path... more) {
        List<Path> all = new ArrayList<>(base);
        all.addAll(List.of(more));
        return all;
    }

    @Test
    void exampleJarOnTheModulePathIsFoundAndNamedByItsModule() throws Exception {
        Run run = modulePath(with(builtIn(), example()), "types");
        assertEquals(0, run.status(), run.err());
        assertEquals(List.of("P", "N", "Z"), run.letters());
        assertTrue(
                run.out().get(2).contains("module: com.example.snapstore.zero"),
                run.out().get(2));
    }

    @Test
    void exampleJarOnTheClassPathIsFoundThroughItsServicesFile() throws Exception {
        Run run = classPath(with(builtIn(), example()), "types");
        assertEquals(0, run.status(), run.err());
        assertEquals(List.of("P", "N", "Z"), run.letters());
        assertTrue(run.out().get(2).contains("module: class path"), run.out().get(2));
    }

    @Test
    void removingTheExampleJarChangesNothingElse() throws Exception {
        Run with = modulePath(with(builtIn(), example()), "types");
        Run without = modulePath(builtIn(), "types");
        assertEquals(0, without.status(), without.err());
        assertEquals(with.out().subList(0, 2), without.out());
        assertEquals(List.of("P", "N"), without.letters());
        Run classPathWithout = classPath(builtIn(), "types");
        assertEquals(0, classPathWithout.status(), classPathWithout.err());
        assertEquals(List.of("P", "N"), classPathWithout.letters());
    }

    @Test
    void aProviderJarThatBreaksServiceLoaderIsNamedAndExitsWithoutAStackTrace() throws Exception {
        Path broken = work.resolve("broken-provider.jar");
        writeJar(broken, List.of(), "com.example.missing.GoneStoreType\n");
        Run run = classPath(with(builtIn(), broken), "types");
        assertEquals(2, run.status(), run.err());
        assertTrue(
                run.err().startsWith("snapstore: broken installation: Cannot load the exception store types: "),
                run.err());
        assertTrue(run.err().contains("com.example.missing.GoneStoreType"), run.err());
        assertTrue(!run.err().contains("\tat "), "no stack trace: " + run.err());
    }

    @Test
    void twoTypesWithTheSameLetterAreRefusedNamingBoth() throws Exception {
        Path dup = compileProvider("dup", "DuplicatePType", "P");
        Run run = classPath(with(builtIn(), dup), "types");
        assertEquals(2, run.status(), run.err());
        assertTrue(run.err().contains("Two exception store types are named P: "), run.err());
        assertTrue(run.err().contains("dup.DuplicatePType"), run.err());
    }

    /** Compiles a one-class provider against the packaged SPI jar and packs it with its services file. */
    private static Path compileProvider(String pkg, String name, String letter) throws IOException {
        Path src = work.resolve("src-" + name + "/" + pkg + "/" + name + ".java");
        Files.createDirectories(src.getParent());
        Files.writeString(
                src,
                "package " + pkg + ";\n"
                        + "public final class " + name + " implements dev.snapstore.spi.ExceptionStoreType {\n"
                        + "  public String name() { return \"" + letter + "\"; }\n"
                        + "  public String longName() { return \"duplicate\"; }\n"
                        + "  public String description() { return \"test\"; }\n"
                        + "  public dev.snapstore.spi.ExceptionStore create(dev.snapstore.spi.StoreContext c, String o) {\n"
                        + "    throw new UnsupportedOperationException(); }\n}\n");
        Path classes = work.resolve("classes-" + name);
        Files.createDirectories(classes);
        Path spi;
        try (Stream<Path> files = Files.list(jars)) {
            spi = files.filter(p -> p.getFileName().toString().startsWith("snapstore-spi-"))
                    .findFirst()
                    .orElseThrow();
        }
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        int rc = javac.run(null, null, null, "-d", classes.toString(), "-cp", spi.toString(), src.toString());
        assertEquals(0, rc, "javac");
        Path jar = work.resolve(name + ".jar");
        writeJar(jar, List.of(classes.resolve(pkg + "/" + name + ".class")), pkg + "." + name + "\n");
        return jar;
    }

    private static void writeJar(Path jar, List<Path> classFiles, String services) throws IOException {
        Manifest manifest = new Manifest();
        manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        try (OutputStream file = Files.newOutputStream(jar);
                JarOutputStream out = new JarOutputStream(file, manifest)) {
            for (Path classFile : classFiles) {
                Path relative = classFile.getParent().getParent().relativize(classFile);
                out.putNextEntry(new JarEntry(relative.toString().replace('\\', '/')));
                out.write(Files.readAllBytes(classFile));
                out.closeEntry();
            }
            out.putNextEntry(new JarEntry("META-INF/services/dev.snapstore.spi.ExceptionStoreType"));
            out.write(services.getBytes(StandardCharsets.UTF_8));
            out.closeEntry();
        }
    }
}
