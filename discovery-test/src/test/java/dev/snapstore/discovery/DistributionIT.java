package dev.snapstore.discovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.lang.module.ModuleFinder;
import java.lang.module.ModuleReference;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Unpacks the distribution archive (cli/target/snapstore-VERSION-dist.tar.gz) with tar, as users do,
 * and starts its bin/snapstore with nothing but java on PATH: the archive alone is a working install.
 */
class DistributionIT {

    private static String version;
    private static Path work;
    private static Path home;
    private static Path onlyJava;

    @BeforeAll
    static void unpack() throws Exception {
        version = System.getProperty("discovery.version");
        work = Path.of(System.getProperty("discovery.work"), "dist");
        delete(work);
        Files.createDirectories(work);
        Path archive = Path.of(System.getProperty("discovery.dist"));
        assertTrue(Files.isRegularFile(archive), "no distribution archive at " + archive);
        Process tar = new ProcessBuilder("tar", "-xzf", archive.toString(), "-C", work.toString())
                .redirectErrorStream(true)
                .start();
        String out = new String(tar.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(tar.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, tar.exitValue(), out);
        home = work.resolve("snapstore-" + version);
        onlyJava = Files.createDirectories(work.resolve("path-only-java"));
        Files.createSymbolicLink(onlyJava.resolve("java"), Path.of(System.getProperty("java.home"), "bin", "java"));
    }

    private static void delete(Path dir) throws IOException {
        if (Files.exists(dir)) {
            try (Stream<Path> all = Files.walk(dir)) {
                for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
    }

    private record Run(int status, List<String> out, String err) {
        List<String> letters() {
            return out.stream().map(line -> line.substring(0, 1)).toList();
        }
    }

    /** Starts {@code command} with an environment of exactly {@code env} (PATH included). */
    private static Run run(Map<String, String> env, String... command) throws IOException, InterruptedException {
        ProcessBuilder builder = new ProcessBuilder(command)
                .directory(work.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        builder.environment().clear();
        builder.environment().putAll(env);
        Process process = builder.start();
        byte[] out = process.getInputStream().readAllBytes();
        byte[] err = process.getErrorStream().readAllBytes();
        assertTrue(process.waitFor(60, TimeUnit.SECONDS));
        return new Run(
                process.exitValue(),
                new String(out, StandardCharsets.UTF_8).lines().toList(),
                new String(err, StandardCharsets.UTF_8));
    }

    private static String launcher() {
        return home.resolve("bin/snapstore").toString();
    }

    private static Set<String> names(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).collect(Collectors.toCollection(TreeSet::new));
        }
    }

    @Test
    void theArchiveHoldsTheLauncherAndEveryJarTheCliNeeds() throws Exception {
        assertEquals(Set.of("bin", "lib"), names(home));
        assertEquals(Set.of("snapstore"), names(home.resolve("bin")));
        assertTrue(Files.isExecutable(home.resolve("bin/snapstore")));
        // The same jars the discovery tests start the CLI from, less the example third-party store.
        Set<String> packaged = names(Path.of(System.getProperty("discovery.jars")));
        packaged.removeIf(name -> name.startsWith("snapstore-example-store-"));
        assertEquals(packaged, names(home.resolve("lib")));
        for (String module : List.of(
                "spi",
                "cow-format",
                "cow-tools",
                "store-persistent",
                "store-transient",
                "dm",
                "engine",
                "serve",
                "serve-engine",
                "cli")) {
            assertTrue(packaged.contains("snapstore-" + module + "-" + version + ".jar"), module + " in " + packaged);
        }
    }

    @Test
    void everySnapstoreJarNamesItsModuleItself() {
        // A jar without module-info would get a module name derived from its file name, which the
        // artifact ids (snapstore-spi-VERSION.jar) would make snapstore.spi instead of dev.snapstore.spi.
        Set<String> named = new TreeSet<>();
        for (ModuleReference module : ModuleFinder.of(home.resolve("lib")).findAll()) {
            String file = Path.of(module.location().orElseThrow()).getFileName().toString();
            if (file.startsWith("snapstore-")) {
                assertTrue(!module.descriptor().isAutomatic(), file + " has no module-info");
                named.add(module.descriptor().name());
            }
        }
        assertEquals(
                Set.of(
                        "dev.snapstore.spi",
                        "dev.snapstore.cow",
                        "dev.snapstore.cow.tools",
                        "dev.snapstore.store.persistent",
                        "dev.snapstore.store.memory",
                        "dev.snapstore.dm",
                        "dev.snapstore.engine",
                        "dev.snapstore.serve",
                        "dev.snapstore.serve.engine",
                        "dev.snapstore.cli"),
                named);
    }

    @Test
    void typesRunsWithOnlyJavaOnThePath() throws Exception {
        Run run = run(Map.of("PATH", onlyJava.toString()), launcher(), "types");
        assertEquals(0, run.status(), run.err());
        assertEquals(List.of("P", "N"), run.letters());
        assertTrue(
                run.out().get(0).contains("module: dev.snapstore.store.persistent"),
                run.out().get(0));
        assertEquals("", run.err());
    }

    @Test
    void helpRunsWithOnlyJavaOnThePath() throws Exception {
        Run run = run(Map.of("PATH", onlyJava.toString()), launcher(), "--help");
        assertEquals(0, run.status(), run.err());
        assertEquals("usage: snapstore COMMAND [OPTIONS]", run.out().get(0));
        for (String command : List.of("demo", "create", "status", "types", "negotiate", "check")) {
            assertTrue(run.out().stream().anyMatch(line -> line.startsWith("  " + command + " ")), command);
        }
    }

    @Test
    void lightCommandsStartFromAClassDataSharingArchiveInTheUsersCache() throws Exception {
        Path cache = work.resolve("cache");
        Map<String, String> env = Map.of("PATH", System.getenv("PATH"), "XDG_CACHE_HOME", cache.toString());
        Path cow = work.resolve("cds-cow.img");
        Path origin = Files.write(work.resolve("cds-origin.img"), new byte[1 << 20]);
        Run create = run(env, launcher(), "create", "--cow", cow.toString(), "--size", "1M", "--chunk-size", "8");
        assertEquals(0, create.status(), create.err());
        // The first light command dumped the archive, whole and under its final name only.
        Set<String> archives = names(cache.resolve("snapstore"));
        assertEquals(1, archives.size(), archives.toString());
        Path archive = cache.resolve("snapstore").resolve(archives.iterator().next());
        assertTrue(archive.getFileName().toString().endsWith(".jsa"), archive.toString());
        assertTrue(Files.size(archive) > 0);

        String[] status = {launcher(), "status", "--origin", origin.toString(), "--cow", cow.toString(), "--type", "P"};
        Run mapped = run(env, status);
        assertEquals(0, mapped.status(), mapped.err());
        assertEquals(List.of("16/2048 16"), mapped.out());
        assertEquals("", mapped.err());
        // A start with plug-ins runs on the module path: the class-path start must print the same.
        Path noPlugins = Files.createDirectories(work.resolve("no-plugins"));
        Run onModulePath = run(Map.of("PATH", onlyJava.toString(), "SNAPSTORE_PLUGINS", noPlugins.toString()), status);
        assertEquals(mapped, onModulePath);

        // An archive older than a jar (an upgrade in place) is made again.
        Files.setLastModifiedTime(archive, FileTime.fromMillis(0));
        assertEquals(mapped, run(env, status));
        assertTrue(Files.getLastModifiedTime(archive).toMillis() > 0, "the stale archive was not replaced");
        assertEquals(Set.of(archive.getFileName().toString()), names(cache.resolve("snapstore")));

        // SNAPSTORE_CDS=0 keeps none.
        Path noCache = work.resolve("no-cache");
        Run off = run(
                Map.of("PATH", System.getenv("PATH"), "XDG_CACHE_HOME", noCache.toString(), "SNAPSTORE_CDS", "0"),
                status);
        assertEquals(mapped, off);
        assertTrue(Files.notExists(noCache), "SNAPSTORE_CDS=0 wrote " + noCache);
    }

    @Test
    void dataCommandsPrintOnTheClassPathWhatTheyPrintOnTheModulePath() throws Exception {
        Path cache = work.resolve("data-cache");
        // mv on PATH too: the launcher keeps an archive only with it.
        Map<String, String> classPath = Map.of("PATH", System.getenv("PATH"), "XDG_CACHE_HOME", cache.toString());
        // With plug-ins (none here) every command starts on the module path.
        Path noPlugins = Files.createDirectories(work.resolve("data-no-plugins"));
        Map<String, String> modulePath = Map.of("PATH", onlyJava.toString(), "SNAPSTORE_PLUGINS", noPlugins.toString());
        Path origin = Files.write(work.resolve("data-origin.img"), new byte[1 << 20]);
        Path cow = work.resolve("data-cow.img");
        Path notACow = Files.write(work.resolve("data-not-a-cow.img"), new byte[1 << 20]);
        String o = origin.toString();
        String c = cow.toString();
        // A data command without an archive starts without one and dumps none: only the short
        // commands run java as a child of the launcher, as dumping at exit needs.
        Run early = run(classPath, launcher(), "dump", "--cow", notACow.toString());
        assertEquals(2, early.status(), early.err());
        assertTrue(Files.notExists(cache), "a data command dumped an archive into " + cache);
        assertEquals(
                0,
                run(classPath, launcher(), "create", "--cow", c, "--size", "1M", "--chunk-size", "8")
                        .status());
        assertEquals(1, names(cache.resolve("snapstore")).size());
        Run write = run(
                classPath,
                launcher(),
                "write",
                "--origin",
                o,
                "--cow",
                c,
                "--type",
                "P",
                "--chunk-size",
                "8",
                "--to",
                "snapshot",
                "--offset",
                "8192",
                "--fill",
                "7",
                "--length",
                "20000");
        assertEquals(0, write.status(), write.err());

        Path missing = work.resolve("data-missing.img");
        List<List<String>> commands = List.of(
                List.of("check", "--origin", o, "--cow", c),
                List.of("check", "--origin", o, "--cow", c, "--json"),
                List.of("dump", "--cow", c),
                List.of("dump", "--cow", c, "--json"),
                List.of(
                        "read",
                        "--origin",
                        o,
                        "--cow",
                        c,
                        "--type",
                        "P",
                        "--chunk-size",
                        "8",
                        "--from",
                        "snapshot",
                        "--offset",
                        "8000",
                        "--length",
                        "300",
                        "--output",
                        "-"),
                List.of("check", "--origin", o, "--cow", notACow.toString()),
                List.of(
                        "export",
                        "--origin",
                        o,
                        "--cow",
                        missing.toString(),
                        "--output",
                        work.resolve("data-none.img").toString()),
                List.of("--version"));
        for (List<String> args : commands) {
            Run onClassPath = run(classPath, with(launcher(), args));
            assertEquals(run(modulePath, with(launcher(), args)), onClassPath, args.toString());
            assertTrue(onClassPath.status() != 0 || onClassPath.err().isEmpty(), args + ": " + onClassPath.err());
        }
        assertEquals(2, run(classPath, with(launcher(), commands.get(5))).status(), "not a COW: usage or input error");
        assertEquals(2, run(classPath, with(launcher(), commands.get(6))).status(), "no COW: usage or input error");

        // export and merge write files: the same bytes either way.
        Path onClassPath = work.resolve("data-export-cp.img");
        Path onModulePath = work.resolve("data-export-mp.img");
        Run exportClassPath =
                run(classPath, launcher(), "export", "--origin", o, "--cow", c, "--output", onClassPath.toString());
        Run exportModulePath =
                run(modulePath, launcher(), "export", "--origin", o, "--cow", c, "--output", onModulePath.toString());
        assertEquals(0, exportClassPath.status(), exportClassPath.err());
        assertEquals(
                exportModulePath.out(),
                exportClassPath.out().stream()
                        .map(line -> line.replace(onClassPath.toString(), onModulePath.toString()))
                        .toList());
        assertEquals(-1L, Files.mismatch(onClassPath, onModulePath));
        byte[] originBefore = Files.readAllBytes(origin);
        byte[] cowBefore = Files.readAllBytes(cow);
        Run mergeClassPath = run(classPath, launcher(), "merge", "--origin", o, "--cow", c);
        byte[] mergedOrigin = Files.readAllBytes(origin);
        byte[] mergedCow = Files.readAllBytes(cow);
        Files.write(origin, originBefore);
        Files.write(cow, cowBefore);
        Run mergeModulePath = run(modulePath, launcher(), "merge", "--origin", o, "--cow", c);
        assertEquals(0, mergeClassPath.status(), mergeClassPath.err());
        assertEquals(mergeModulePath, mergeClassPath);
        assertTrue(Arrays.equals(mergedOrigin, Files.readAllBytes(origin)));
        assertTrue(Arrays.equals(mergedCow, Files.readAllBytes(cow)));
        assertTrue(Arrays.equals(Files.readAllBytes(onClassPath), mergedOrigin), "merge = export");
    }

    private static String[] with(String first, List<String> rest) {
        return Stream.concat(Stream.of(first), rest.stream()).toArray(String[]::new);
    }

    @Test
    void pluginFolderAndJavaOptionsAreHonoured() throws Exception {
        Path plugins = Files.createDirectories(work.resolve("plugins"));
        Path jars = Path.of(System.getProperty("discovery.jars"));
        try (Stream<Path> files = Files.list(jars)) {
            for (Path jar : files.filter(p -> p.getFileName().toString().startsWith("snapstore-example-store-"))
                    .toList()) {
                Files.copy(jar, plugins.resolve(jar.getFileName()));
            }
        }
        // A bad option would stop the JVM: both words must reach java, split at the space.
        Run run = run(
                Map.of(
                        "PATH",
                        onlyJava.toString(),
                        "SNAPSTORE_PLUGINS",
                        plugins.toString(),
                        "SNAPSTORE_JAVA_OPTS",
                        "-Xmx96m -Dsnapstore.test=1"),
                launcher(),
                "types");
        assertEquals(0, run.status(), run.err());
        assertEquals(List.of("P", "N", "Z"), run.letters());
        assertTrue(
                run.out().get(2).contains("module: com.example.snapstore.zero"),
                run.out().get(2));
    }

    @Test
    void aBrokenPluginJarIsNamedWithExitTwo() throws Exception {
        Path plugins = Files.createDirectories(work.resolve("broken-plugins"));
        Path jar = Files.writeString(plugins.resolve("broken.jar"), "not a zip");
        Run run =
                run(Map.of("PATH", onlyJava.toString(), "SNAPSTORE_PLUGINS", plugins.toString()), launcher(), "types");
        assertEquals(2, run.status(), run.err());
        assertEquals(List.of(), run.out());
        assertTrue(run.err().startsWith("snapstore: broken installation: plug-in " + jar), run.err());
    }

    @Test
    void aSymbolicLinkToTheLauncherFindsTheLibFolder() throws Exception {
        Path bin = Files.createDirectories(work.resolve("elsewhere/bin"));
        Path link = Files.createSymbolicLink(bin.resolve("snapstore"), home.resolve("bin/snapstore"));
        // readlink is the one program the launcher uses besides java, and only for a link.
        Path readlink = Stream.of(System.getenv("PATH").split(File.pathSeparator))
                .map(dir -> Path.of(dir, "readlink"))
                .filter(Files::isExecutable)
                .findFirst()
                .orElseThrow();
        Path tools = Files.createDirectories(work.resolve("path-java-readlink"));
        Files.createSymbolicLink(tools.resolve("java"), onlyJava.resolve("java"));
        Files.createSymbolicLink(tools.resolve("readlink"), readlink);
        Run run = run(Map.of("PATH", tools.toString()), link.toString(), "types");
        assertEquals(0, run.status(), run.err());
        assertEquals(List.of("P", "N"), run.letters());
    }

    @Test
    void withoutJavaTheLauncherSaysSoAndExitsWithTwo() throws Exception {
        Path empty = Files.createDirectories(work.resolve("path-empty"));
        Run run = run(Map.of("PATH", empty.toString()), launcher(), "types");
        assertEquals(2, run.status(), run.err());
        assertEquals(List.of(), run.out());
        assertTrue(run.err().startsWith("snapstore: broken installation: no java found"), run.err());
    }

    @Test
    void javaHomeWinsOverPath() throws Exception {
        Path empty = Files.createDirectories(work.resolve("path-empty"));
        Run run = run(
                Map.of("PATH", empty.toString(), "JAVA_HOME", System.getProperty("java.home")), launcher(), "types");
        assertEquals(0, run.status(), run.err());
        assertEquals(List.of("P", "N"), run.letters());
    }
}
