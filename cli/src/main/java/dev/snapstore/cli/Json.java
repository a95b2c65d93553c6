package dev.snapstore.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigInteger;

/**
 * JSON output of the commands' {@code --json} options: trees of {@code ObjectNode}s printed by one
 * shared mapper, so no class of the CLI is reflected on (no {@code opens} needed).
 */
final class Json {

    static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private Json() {}

    static ObjectNode object() {
        return MAPPER.createObjectNode();
    }

    /**
     * Puts an unsigned 64-bit value as a JSON number (never negative).
     *
     * @param node the object
     * @param field the field
     * @param unsigned the value, unsigned
     * @return the object
     */
    static ObjectNode putUnsigned(ObjectNode node, String field, long unsigned) {
        if (unsigned >= 0) {
            return node.put(field, unsigned);
        }
        return node.put(field, new BigInteger(Long.toUnsignedString(unsigned)));
    }

    static void print(Io io, Object tree) {
        try {
            io.out().println(MAPPER.writeValueAsString(tree));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write JSON", e);
        }
    }
}
