package dev.snapstore.cow.tools;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigInteger;

/** The one mapper of this module's JSON: trees and streams only, nothing reflected on. */
final class ToolJson {

    static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private ToolJson() {}

    /** Puts an unsigned 64-bit value as a JSON number (never negative). */
    static ObjectNode putUnsigned(ObjectNode node, String field, long unsigned) {
        if (unsigned >= 0) {
            return node.put(field, unsigned);
        }
        return node.put(field, new BigInteger(Long.toUnsignedString(unsigned)));
    }
}
