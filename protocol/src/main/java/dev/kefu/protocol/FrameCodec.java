package dev.kefu.protocol;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeName;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Turns {@link Frame}s into JSON text and back. Unknown fields are ignored (newer clients may send
 * more); an unknown {@code type} or malformed JSON raises a {@link FrameException} carrying the
 * error code to answer with. Thread-safe; all methods are static.
 *
 * <pre>{@code
 * String text = FrameCodec.encode(new Frame.Ping());   // {"type":"ping"}
 * Frame f = FrameCodec.decode(text);                   // Frame.Ping
 * }</pre>
 */
public final class FrameCodec {
    private static final ObjectMapper MAPPER = JsonMapper.builder()
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .build();

    static {
        // Keep untrusted input shallow: protocol frames nest a few levels at most.
        MAPPER.getFactory().setStreamReadConstraints(StreamReadConstraints.builder()
                .maxNestingDepth(32).maxStringLength(Limits.MAX_FRAME_BYTES * 2).build());
    }

    private static final Set<String> KNOWN_TYPES = Arrays.stream(
                    Frame.class.getAnnotation(JsonSubTypes.class).value())
            .map(t -> t.value().getAnnotation(JsonTypeName.class).value())
            .collect(Collectors.toUnmodifiableSet());

    private FrameCodec() {}

    /** The shared mapper, configured for frames; do not reconfigure it. */
    public static ObjectMapper mapper() {
        return MAPPER;
    }

    /** Every {@code type} this codec knows. */
    public static Set<String> knownTypes() {
        return KNOWN_TYPES;
    }

    /** The wire {@code type} of a frame, e.g. {@code "send"}. */
    public static String typeOf(Frame frame) {
        return frame.getClass().getAnnotation(JsonTypeName.class).value();
    }

    public static String encode(Frame frame) {
        try {
            return MAPPER.writeValueAsString(frame);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("frame not serialisable: " + frame, e);
        }
    }

    /** Encodes frames as a JSON array, the body of long-poll requests and the {@code frames} of answers. */
    public static String encodeArray(List<? extends Frame> frames) {
        ArrayNode array = MAPPER.createArrayNode();
        for (Frame f : frames) {
            array.add(MAPPER.<JsonNode>valueToTree(f));
        }
        return array.toString();
    }

    public static Frame decode(String text) throws FrameException {
        return decode(parse(text));
    }

    /** Decodes one frame from an already parsed JSON value. */
    public static Frame decode(JsonNode node) throws FrameException {
        if (!(node instanceof ObjectNode)) {
            throw new FrameException(ErrorCode.BAD_FRAME, "a frame is a JSON object");
        }
        JsonNode type = node.get("type");
        if (type == null || !type.isTextual()) {
            throw new FrameException(ErrorCode.BAD_FRAME, "a frame needs a string field 'type'");
        }
        if (!KNOWN_TYPES.contains(type.asText())) {
            throw new FrameException(ErrorCode.UNKNOWN_TYPE, "unknown frame type '" + type.asText() + "'");
        }
        try {
            return MAPPER.treeToValue(node, Frame.class);
        } catch (JsonProcessingException | IllegalArgumentException e) {
            throw new FrameException(ErrorCode.BAD_FRAME, "malformed '" + type.asText() + "' frame: "
                    + firstLine(e.getMessage()));
        }
    }

    /** Reads a JSON array of frames; each element decodes on its own, so one bad frame spoils nothing else. */
    public static List<JsonNode> parseArray(String text) throws FrameException {
        JsonNode node = parse(text);
        if (!node.isArray()) {
            throw new FrameException(ErrorCode.BAD_FRAME, "expected a JSON array of frames");
        }
        List<JsonNode> out = new ArrayList<>(node.size());
        node.forEach(out::add);
        return out;
    }

    public static JsonNode parse(String text) throws FrameException {
        try {
            JsonNode node = MAPPER.readTree(text);
            if (node == null || node.isMissingNode()) {
                throw new FrameException(ErrorCode.BAD_FRAME, "empty frame");
            }
            return node;
        } catch (JsonProcessingException e) {
            throw new FrameException(ErrorCode.BAD_FRAME, "not valid JSON: " + firstLine(e.getOriginalMessage()));
        }
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "";
        }
        int nl = s.indexOf('\n');
        String line = nl < 0 ? s : s.substring(0, nl);
        return line.length() > 200 ? line.substring(0, 200) : line;
    }
}
