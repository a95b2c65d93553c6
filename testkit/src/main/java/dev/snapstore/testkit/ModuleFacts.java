package dev.snapstore.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.module.ModuleDescriptor;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * A module descriptor reduced to sorted sets, so that a test can pin it with one
 * {@code assertEquals}: a dropped {@code provides} or a new {@code exports} line fails the build.
 *
 * @param name the module's name
 * @param requires the names of the modules it requires, {@code java.base} included
 * @param exports the exported packages (qualified exports as {@code pkg to m1,m2})
 * @param opens the opened packages
 * @param uses the used services
 * @param provides service to sorted implementation classes
 */
public record ModuleFacts(
        String name,
        Set<String> requires,
        Set<String> exports,
        Set<String> opens,
        Set<String> uses,
        Map<String, List<String>> provides) {

    /**
     * Reads the facts of a named module.
     *
     * @param module the module, e.g. {@code SomeClass.class.getModule()}
     * @return its facts
     * @throws IllegalArgumentException when the module is unnamed (tests not run on the module path)
     */
    public static ModuleFacts of(Module module) {
        ModuleDescriptor d = module.getDescriptor();
        if (d == null) {
            throw new IllegalArgumentException("not a named module: tests must run on the module path");
        }
        return new ModuleFacts(
                d.name(),
                d.requires().stream()
                        .map(ModuleDescriptor.Requires::name)
                        .collect(Collectors.toCollection(TreeSet::new)),
                d.exports().stream()
                        .map(e -> e.isQualified()
                                ? e.source() + " to " + String.join(",", new TreeSet<>(e.targets()))
                                : e.source())
                        .collect(Collectors.toCollection(TreeSet::new)),
                d.opens().stream().map(ModuleDescriptor.Opens::source).collect(Collectors.toCollection(TreeSet::new)),
                new TreeSet<>(d.uses()),
                d.provides().stream()
                        .collect(Collectors.toMap(
                                ModuleDescriptor.Provides::service,
                                p -> p.providers().stream().sorted().toList(),
                                (a, b) -> a,
                                TreeMap::new)));
    }

    /**
     * The classes a module's {@code META-INF/services} file names for a service, for class-path
     * users; comments and blank lines are dropped.
     *
     * @param module the module whose jar holds the file
     * @param service the service interface's binary name
     * @return the sorted class names; empty when there is no file
     */
    public static List<String> servicesFile(Module module, String service) {
        try (InputStream in = module.getResourceAsStream("META-INF/services/" + service)) {
            if (in == null) {
                return List.of();
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8)
                    .lines()
                    .map(line -> line.replaceFirst("#.*", "").trim())
                    .filter(line -> !line.isEmpty())
                    .sorted()
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
