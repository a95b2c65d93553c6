package dev.snapstore.cow.tools;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.SerializableString;
import com.fasterxml.jackson.core.io.SerializedString;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.MissingNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.snapstore.cow.CowHeader;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigInteger;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * Reads a JSON dump ({@link DumpJson}) with Jackson's streaming parser: the top-level fields but
 * {@code exceptions} as small trees, and each record as tokens straight into {@link DumpRecords},
 * never a tree of the whole document. What the old reader (one tree of the whole document, then
 * its checks) refused, this refuses with the same message: a syntax error anywhere first, then the
 * checks in their order (format, header, the array, the first bad record, the count); a record
 * that is not four plain integers is read as the tree it was, for the rules and the message.
 * Not thread-safe.
 */
final class JsonDumpReader {

    private static final BigInteger MAX_U64 = BigInteger.ONE.shiftLeft(64).subtract(BigInteger.ONE);
    private static final long MAX_U32 = 0xffff_ffffL;
    private static final String[] FIELDS = {"area", "index", "oldChunk", "newChunk"};
    private static final SerializableString[] NAMES = {
        new SerializedString(FIELDS[0]),
        new SerializedString(FIELDS[1]),
        new SerializedString(FIELDS[2]),
        new SerializedString(FIELDS[3])
    };

    private final JsonParser parser;
    private final Map<String, JsonNode> fields = new HashMap<>();
    private boolean exceptionsArray;
    private DumpRecords records;
    private DumpException recordError;
    // the fields of the record object being read, in order, for a refusal's message
    private String[] names = new String[8];
    private long[] longs = new long[8];
    private BigInteger[] bigs = new BigInteger[8];
    private int count;
    // the four values, by their place in FIELDS; -1 where absent
    private final int[] slots = new int[4];
    private final long[] values = new long[4];

    private JsonDumpReader(JsonParser parser) {
        this.parser = parser;
        parser.disable(JsonParser.Feature.AUTO_CLOSE_SOURCE);
    }

    /** Reads a JSON dump held in a String, as Jackson reads a String. */
    static CowDump parse(String text) throws DumpException {
        try {
            return new JsonDumpReader(ToolJson.MAPPER.getFactory().createParser(text)).read();
        } catch (JsonProcessingException e) {
            throw invalid(e);
        } catch (IOException e) {
            throw new IllegalStateException(e); // a String does not fail
        }
    }

    /**
     * Reads a JSON dump from a stream of UTF-8, to its end.
     *
     * @param strict whether malformed UTF-8 throws rather than reads as U+FFFD
     */
    static CowDump read(InputStream in, boolean strict) throws DumpException, IOException {
        Utf8Reader reader = new Utf8Reader(in, strict);
        CowDump dump;
        try {
            dump = new JsonDumpReader(ToolJson.MAPPER.getFactory().createParser(reader)).read();
        } catch (JsonProcessingException e) {
            reader.drain();
            throw invalid(e);
        } catch (DumpException e) {
            reader.drain();
            throw e;
        }
        reader.drain();
        return dump;
    }

    private static DumpException invalid(JsonProcessingException e) {
        return new DumpException("the dump is not valid JSON (line "
                + e.getLocation().getLineNr() + ": " + e.getOriginalMessage() + ")");
    }

    private CowDump read() throws IOException, DumpException {
        JsonToken first = parser.nextToken();
        if (first == JsonToken.START_OBJECT) {
            for (String name = parser.nextFieldName(); name != null; name = parser.nextFieldName()) {
                JsonToken value = parser.nextToken();
                if (name.equals("exceptions")) {
                    exceptions(value);
                } else {
                    fields.put(name, tree());
                }
            }
        } else if (first != null) {
            tree(); // not an object: read whole for its syntax, then refused as not a dump
        }
        if (!path("format").asText().equals(DumpJson.FORMAT)
                || path("formatVersion").asInt() != DumpJson.FORMAT_VERSION) {
            throw new DumpException(
                    "the JSON is not a 'snapstore dump --json' output (format snapstore-cow-dump, formatVersion 1)");
        }
        JsonNode h = path("header");
        CowHeader header = new CowHeader(u32(h, "magic"), u32(h, "valid"), u32(h, "version"), u32(h, "chunkSize"));
        if (!exceptionsArray) {
            throw new DumpException("the JSON dump has no 'exceptions' array");
        }
        if (recordError != null) {
            throw recordError;
        }
        JsonNode count = path("count");
        if (!count.canConvertToLong() || count.asLong() != records.size()) {
            throw new DumpException("the JSON dump's count does not match its " + records.size() + " exceptions");
        }
        return new CowDump(header, records);
    }

    private JsonNode path(String field) {
        return fields.getOrDefault(field, MissingNode.getInstance());
    }

    /** The value at the current token as the tree the old reader built. */
    private JsonNode tree() throws IOException {
        JsonNode node = ToolJson.MAPPER.readTree(parser);
        return node == null ? NullNode.getInstance() : node;
    }

    /** An {@code exceptions} value (a later one replaces an earlier one, as in a tree). */
    private void exceptions(JsonToken value) throws IOException {
        exceptionsArray = value == JsonToken.START_ARRAY;
        recordError = null;
        if (!exceptionsArray) {
            records = null;
            tree();
            return;
        }
        JsonNode h = path("header").path("chunkSize");
        records = new DumpRecords(DumpRecords.placesPerArea(h.canConvertToLong() ? h.asLong() : 0));
        for (JsonToken t = parser.nextToken(); t != JsonToken.END_ARRAY; t = parser.nextToken()) {
            if (t == JsonToken.START_OBJECT && recordError == null) {
                record();
            } else {
                JsonNode node = tree();
                if (recordError == null) {
                    check(node);
                }
            }
        }
    }

    /** A record object: its integers as tokens, and the tree only if it has anything else. */
    private void record() throws IOException {
        count = 0;
        Arrays.fill(slots, -1);
        // The writer's order first, matched against the input without a symbol lookup.
        JsonToken t = null;
        for (int f = 0; f < FIELDS.length; f++) {
            if (!parser.nextFieldName(NAMES[f])) {
                t = parser.currentToken();
                break;
            }
            if (parser.nextToken() != JsonToken.VALUE_NUMBER_INT) {
                slow(FIELDS[f]);
                return;
            }
            slots[f] = count;
            names[count] = FIELDS[f];
            number(count++);
        }
        for (t = t == null ? parser.nextToken() : t; t == JsonToken.FIELD_NAME; t = parser.nextToken()) {
            String name = parser.currentName();
            if (parser.nextToken() != JsonToken.VALUE_NUMBER_INT) {
                slow(name);
                return;
            }
            int at = count;
            for (int i = 0; i < count; i++) {
                if (names[i].equals(name)) {
                    at = i; // a repeated field keeps its place and takes the last value, as in a tree
                    break;
                }
            }
            if (at == count) {
                if (count == names.length) {
                    names = Arrays.copyOf(names, count * 2);
                    longs = Arrays.copyOf(longs, count * 2);
                    bigs = Arrays.copyOf(bigs, count * 2);
                }
                names[count++] = name;
                for (int f = 0; f < FIELDS.length; f++) {
                    if (FIELDS[f].equals(name)) {
                        slots[f] = at;
                    }
                }
            }
            number(at);
        }
        for (int f = 0; f < FIELDS.length; f++) {
            int at = slots[f];
            boolean fits = at >= 0
                    && (bigs[at] == null ? longs[at] >= 0 : bigs[at].signum() >= 0 && bigs[at].compareTo(MAX_U64) <= 0);
            if (!fits) {
                recordError = fieldError(FIELDS[f], node());
                return;
            }
            values[f] = bigs[at] == null ? longs[at] : bigs[at].longValue();
        }
        records.add(values[0], values[1], values[2], values[3]);
    }

    /** The integer at the current token as pair {@code at}'s value. */
    private void number(int at) throws IOException {
        JsonParser.NumberType type = parser.getNumberType();
        if (type == JsonParser.NumberType.INT || type == JsonParser.NumberType.LONG) {
            longs[at] = parser.getLongValue();
            bigs[at] = null;
        } else {
            bigs[at] = parser.getBigIntegerValue();
        }
    }

    /**
     * The rest of a record object that holds more than integers (its field {@code name}'s value is
     * next): as a tree.
     */
    private void slow(String name) throws IOException {
        ObjectNode node = node();
        node.replace(name, tree());
        for (String more = parser.nextFieldName(); more != null; more = parser.nextFieldName()) {
            parser.nextToken();
            node.replace(more, tree());
        }
        check(node);
    }

    /** The record object read so far, as a tree. */
    private ObjectNode node() {
        ObjectNode node = JsonNodeFactory.instance.objectNode();
        for (int i = 0; i < count; i++) {
            if (bigs[i] != null) {
                node.put(names[i], bigs[i]);
            } else if (longs[i] == (int) longs[i]) {
                node.put(names[i], (int) longs[i]);
            } else {
                node.put(names[i], longs[i]);
            }
        }
        return node;
    }

    /** A record read as a tree, by the old reader's rules. */
    private void check(JsonNode node) {
        try {
            records.add(u64(node, "area"), u64(node, "index"), u64(node, "oldChunk"), u64(node, "newChunk"));
        } catch (DumpException e) {
            recordError = e;
        }
    }

    private static int u32(JsonNode node, String field) throws DumpException {
        JsonNode v = node.path(field);
        if (!v.isIntegralNumber()
                || v.bigIntegerValue().signum() < 0
                || v.bigIntegerValue().compareTo(BigInteger.valueOf(MAX_U32)) > 0) {
            throw new DumpException("JSON header field '" + field + "' must be an unsigned 32-bit integer");
        }
        return (int) v.longValue();
    }

    private static long u64(JsonNode node, String field) throws DumpException {
        JsonNode v = node.path(field);
        if (!v.isIntegralNumber()
                || v.bigIntegerValue().signum() < 0
                || v.bigIntegerValue().compareTo(MAX_U64) > 0) {
            throw fieldError(field, node);
        }
        return v.bigIntegerValue().longValue();
    }

    private static DumpException fieldError(String field, JsonNode node) {
        return new DumpException("JSON exception field '" + field + "' must be an unsigned 64-bit integer, in " + node);
    }
}
