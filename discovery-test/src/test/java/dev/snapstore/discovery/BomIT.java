package dev.snapstore.discovery;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * The BOM (bom/pom.xml) a consumer imports lists exactly snapstore's jars that the CLI ships (the
 * libraries and the CLI itself), at this build's version, and has no parent that would drag the
 * build's own dependency management (JUnit, Jackson, testkit ...) into the consumer.
 */
class BomIT {

    @Test
    void theBomListsEveryShippedSnapstoreJarAtThisVersion() throws Exception {
        String version = System.getProperty("discovery.version");
        DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
        factory.setNamespaceAware(true);
        Document bom = factory.newDocumentBuilder()
                .parse(Path.of(System.getProperty("discovery.bom")).toFile());
        Element project = bom.getDocumentElement();
        assertEquals(0, project.getElementsByTagNameNS("*", "parent").getLength(), "the BOM has no parent");
        assertEquals("snapstore-bom", child(project, "artifactId"));
        assertEquals("dev.snapstore", child(project, "groupId"));
        assertEquals(version, child(project, "version"));

        Set<String> listed = new TreeSet<>();
        NodeList dependencies = project.getElementsByTagNameNS("*", "dependency");
        for (int i = 0; i < dependencies.getLength(); i++) {
            Element dependency = (Element) dependencies.item(i);
            assertEquals("dev.snapstore", child(dependency, "groupId"));
            assertEquals("${project.version}", child(dependency, "version"));
            listed.add(child(dependency, "artifactId"));
        }
        assertEquals(shipped(version), listed);
    }

    /** The artifact ids of the snapstore jars in the CLI's runtime closure (the example store is not shipped). */
    private static Set<String> shipped(String version) throws IOException {
        try (Stream<Path> files = Files.list(Path.of(System.getProperty("discovery.jars")))) {
            return files.map(p -> p.getFileName().toString())
                    .filter(name -> name.startsWith("snapstore-") && !name.startsWith("snapstore-example-store-"))
                    .map(name -> name.substring(0, name.length() - ("-" + version + ".jar").length()))
                    .collect(Collectors.toCollection(TreeSet::new));
        }
    }

    private static String child(Element parent, String name) {
        NodeList children = parent.getChildNodes();
        for (int i = 0; i < children.getLength(); i++) {
            if (children.item(i) instanceof Element element
                    && element.getLocalName().equals(name)) {
                return element.getTextContent().trim();
            }
        }
        throw new AssertionError("no <" + name + "> in <" + parent.getLocalName() + ">");
    }
}
