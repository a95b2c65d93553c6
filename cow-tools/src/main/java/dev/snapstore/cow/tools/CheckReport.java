package dev.snapstore.cow.tools;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.snapstore.cow.CowHeader;
import java.util.ArrayList;
import java.util.List;

/**
 * What {@link CowCheck} found on a COW, as values, with its two renderings ({@link #lines(String)}
 * and {@link #json(String)}).
 *
 * @param header the COW's header
 * @param cowBytes the COW's size in bytes
 * @param exceptions how many records the table holds (up to a truncation)
 * @param findings the first findings, in the order they were found (at most the check's limit)
 * @param problemCount how many findings there were in all
 */
public record CheckReport(CowHeader header, long cowBytes, long exceptions, List<Finding> findings, long problemCount) {

    /**
     * Copies the findings.
     *
     * @param header the COW's header
     * @param cowBytes the COW's size in bytes
     * @param exceptions how many records the table holds
     * @param findings the first findings
     * @param problemCount how many findings there were in all
     */
    public CheckReport {
        findings = List.copyOf(findings);
    }

    /** @return whether nothing was found */
    public boolean clean() {
        return problemCount == 0;
    }

    /**
     * The text report: one {@link Finding#line()} per listed finding, {@code ... and N more} when
     * some were not listed, and a summary {@code COW: N exceptions, clean} (or {@code K problems}).
     *
     * @param cow the COW's name, for the summary
     * @return the lines, without line breaks
     */
    public List<String> lines(String cow) {
        List<String> lines = new ArrayList<>();
        findings.forEach(f -> lines.add(f.line()));
        if (problemCount > findings.size()) {
            lines.add("... and " + (problemCount - findings.size()) + " more");
        }
        lines.add(cow + ": " + exceptions + " exceptions, "
                + (clean() ? "clean" : problemCount + " problem" + (problemCount == 1 ? "" : "s")));
        return lines;
    }

    /**
     * The JSON report, pretty-printed: <code>{"cow", "cowBytes", "header": {"magic", "valid",
     * "version", "chunkSize"}, "exceptions", "clean", "problems": [{"kind", "area", "index",
     * "offset", "message"}], "problemCount"}</code>; a header finding has no {@code area} and
     * {@code index}, an area finding no {@code index}.
     *
     * @param cow the COW's name
     * @return the document, without a final line break
     */
    public String json(String cow) {
        ObjectNode root = ToolJson.MAPPER.createObjectNode().put("cow", cow).put("cowBytes", cowBytes);
        root.putObject("header")
                .put("magic", Integer.toUnsignedLong(header.magic()))
                .put("valid", Integer.toUnsignedLong(header.valid()))
                .put("version", Integer.toUnsignedLong(header.version()))
                .put("chunkSize", Integer.toUnsignedLong(header.chunkSize()));
        root.put("exceptions", exceptions).put("clean", clean());
        ArrayNode problems = root.putArray("problems");
        for (Finding f : findings) {
            ObjectNode node = problems.addObject().put("kind", f.kind().word());
            if (f.area() >= 0) {
                node.put("area", f.area());
            }
            if (f.index() >= 0) {
                node.put("index", f.index());
            }
            ToolJson.putUnsigned(node, "offset", f.offset());
            node.put("message", f.message());
        }
        root.put("problemCount", problemCount);
        try {
            return ToolJson.MAPPER.writeValueAsString(root);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write JSON", e);
        }
    }
}
