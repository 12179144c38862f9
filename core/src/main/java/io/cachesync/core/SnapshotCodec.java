package io.cachesync.core;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.Arrays;
import java.util.zip.CRC32C;

/**
 * Snapshot JSON, written and read with Jackson's streaming API and typed by the {@link SnapshotSchema}.
 *
 * <p>The value under a key reads, for example:
 * <pre>{"version":3,"deleted":false,"schema":"9f2c1a7b44e0","entity":"Account","id":"42",
 * "lastUpdated":"2026-11-26T10:15:30.123456Z","state":{"owner":"ann","balance":120.50},"crc":"5e1f09a2"}</pre>
 * The first three fields always come first and in that order (a tombstone adds {@code "deletedAt"}, in
 * microseconds since the epoch, right after them): the versioned-write script reads them with a pattern match
 * rather than a full JSON parse. The last field is always {@code "crc"}: the CRC-32C (8 hex digits) of every byte
 * before its comma; a value whose checksum does not match is undecodable.
 *
 * <p>Decoding never instantiates a type named by the bytes (no default typing, no Java serialization): each
 * property is read as the type the schema gives. Bytes that do not decode to a snapshot of the expected entity
 * and id under the current schema come back as {@link DecodeResult.Undecodable}, never as an exception.
 * Thread-safe.
 */
public final class SnapshotCodec {

    /** Larger values are treated as undecodable without being parsed. */
    public static final int MAX_SNAPSHOT_BYTES = 4 * 1024 * 1024;

    private final ObjectMapper mapper;

    public SnapshotCodec() {
        this.mapper = JsonMapper.builder()
                .addModule(new JavaTimeModule())
                .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
                .disable(DeserializationFeature.ADJUST_DATES_TO_CONTEXT_TIME_ZONE)
                .build();
    }

    /** The value's last 18 bytes: {@code ,"crc":"<8 hex digits>"}} followed by the closing brace. */
    private static final byte[] CRC_FIELD = ",\"crc\":\"".getBytes(StandardCharsets.US_ASCII);
    private static final int CRC_TAIL = CRC_FIELD.length + 8 + 2;

    public byte[] encode(Snapshot snapshot) {
        Buffer out = new Buffer();
        try (JsonGenerator gen = mapper.getFactory().createGenerator(out)) {
            gen.writeStartObject();
            gen.writeNumberField("version", snapshot.version());
            gen.writeBooleanField("deleted", snapshot.tombstone());
            gen.writeStringField("schema", snapshot.schemaFingerprint());
            if (snapshot.tombstone()) {
                gen.writeNumberField("deletedAt", micros(snapshot.lastUpdated()));
            }
            gen.writeStringField("entity", snapshot.entityName());
            gen.writeStringField("id", snapshot.id().toString());
            if (snapshot.lastUpdated() != null) {
                gen.writeStringField("lastUpdated", snapshot.lastUpdated().toString());
            }
            gen.writeObjectFieldStart("state");
            if (!snapshot.tombstone()) {
                List<String> names = schemaNames(snapshot);
                for (int i = 0; i < names.size(); i++) {
                    gen.writeFieldName(names.get(i));
                    writeValue(gen, snapshot.value(i));
                }
            }
            gen.writeEndObject();
            gen.flush();
            gen.writeStringField("crc", crcHex(out.crc()));
            gen.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot encode " + snapshot, e);
        }
        return out.toByteArray();
    }

    private static List<String> schemaNames(Snapshot snapshot) {
        return snapshot.stateNames();
    }

    private static void writeValue(JsonGenerator gen, Object value) throws IOException {
        // The common types are written straight; the rest go through Jackson's serializers for their type.
        if (value == null) {
            gen.writeNull();
        } else if (value instanceof String s) {
            gen.writeString(s);
        } else if (value instanceof Long l) {
            gen.writeNumber(l);
        } else if (value instanceof Integer i) {
            gen.writeNumber(i);
        } else if (value instanceof BigDecimal d) {
            gen.writeNumber(d);
        } else if (value instanceof Boolean b) {
            gen.writeBoolean(b);
        } else {
            gen.writeObject(value);
        }
    }

    /**
     * Decodes bytes read under the key of {@code expectedId}. The id, the entity name and the fingerprint in the
     * bytes must all match, so that bytes copied under the wrong key are not taken for the right row.
     */
    public DecodeResult decode(SnapshotSchema schema, Object expectedId, byte[] bytes) {
        if (bytes == null || bytes.length == 0) {
            return new DecodeResult.Undecodable(false, "empty value");
        }
        if (bytes.length > MAX_SNAPSHOT_BYTES) {
            return new DecodeResult.Undecodable(false, "value of " + bytes.length + " bytes is over the limit");
        }
        String integrity = checkCrc(bytes);
        if (integrity != null) {
            return new DecodeResult.Undecodable(false, integrity);
        }
        try (JsonParser parser = mapper.getFactory().createParser(bytes)) {
            return read(schema, expectedId, parser);
        } catch (IOException | RuntimeException e) {
            return new DecodeResult.Undecodable(false, "not snapshot JSON: " + firstLine(e.getMessage()));
        }
    }

    private DecodeResult read(SnapshotSchema schema, Object expectedId, JsonParser parser) throws IOException {
        if (parser.nextToken() != JsonToken.START_OBJECT) {
            return new DecodeResult.Undecodable(false, "not a JSON object");
        }
        Long version = null;
        Boolean deleted = null;
        String fingerprint = null;
        String entity = null;
        String idText = null;
        Instant lastUpdated = null;
        Object[] state = null;
        int present = 0;
        boolean foreignProperty = false;
        JsonToken token;
        while ((token = parser.nextToken()) == JsonToken.FIELD_NAME) {
            String field = parser.currentName();
            JsonToken value = parser.nextToken();
            switch (field) {
                case "version" -> version = value == JsonToken.VALUE_NUMBER_INT ? parser.getLongValue() : null;
                case "deleted" -> deleted = value.isBoolean() ? value == JsonToken.VALUE_TRUE : null;
                case "schema" -> fingerprint = value == JsonToken.VALUE_STRING ? parser.getText() : null;
                case "entity" -> entity = value == JsonToken.VALUE_STRING ? parser.getText() : null;
                case "id" -> idText = value == JsonToken.VALUE_STRING ? parser.getText() : null;
                case "lastUpdated" -> lastUpdated = value == JsonToken.VALUE_NULL ? null : Instant.parse(parser.getText());
                case "state" -> {
                    if (value != JsonToken.START_OBJECT) {
                        return new DecodeResult.Undecodable(false, "state is not an object");
                    }
                    state = new Object[schema.propertyNames().size()];
                    present = readState(schema, parser, state);
                    foreignProperty = present < 0;
                }
                case "crc" -> {
                    // checked over the raw bytes before parsing
                }
                case "deletedAt" -> {
                    // the tombstone's deletion time, repeated for the write script; lastUpdated carries it
                }
                default -> parser.skipChildren();
            }
        }
        if (token != JsonToken.END_OBJECT || parser.nextToken() != null) {
            return new DecodeResult.Undecodable(false, "trailing or truncated JSON");
        }
        if (version == null || version < 0 || deleted == null || fingerprint == null || entity == null
                || idText == null || state == null) {
            return new DecodeResult.Undecodable(false, "a required field is missing or of the wrong type");
        }
        if (!entity.equals(schema.entityName()) || !idText.equals(schema.idText(expectedId))) {
            return new DecodeResult.Undecodable(false, "snapshot of " + entity + "#" + idText + " under this key");
        }
        if (!fingerprint.equals(schema.fingerprint()) || foreignProperty) {
            return new DecodeResult.Undecodable(true, "written under schema " + fingerprint
                    + ", current schema is " + schema.fingerprint());
        }
        if (!deleted && present != state.length) {
            return new DecodeResult.Undecodable(false, "state has " + present + " of " + state.length
                    + " properties");
        }
        return new DecodeResult.Decoded(Snapshot.decoded(schema, expectedId, version, lastUpdated, deleted, state));
    }

    /**
     * Reads the state object into {@code state} by schema position. Returns how many distinct properties were
     * present, or -1 when it names a property the schema does not have.
     */
    private int readState(SnapshotSchema schema, JsonParser parser, Object[] state) throws IOException {
        boolean known = true;
        boolean[] seen = new boolean[state.length];
        int present = 0;
        while (parser.nextToken() == JsonToken.FIELD_NAME) {
            String name = parser.currentName();
            JsonToken value = parser.nextToken();
            int index = schema.indexOf(name);
            if (index < 0) {
                known = false;
                parser.skipChildren();
                continue;
            }
            state[index] = value == JsonToken.VALUE_NULL ? null
                    : readValue(parser, value, schema.propertyTypes().get(index));
            if (!seen[index]) {
                seen[index] = true;
                present++;
            }
        }
        return known ? present : -1;
    }

    private Object readValue(JsonParser parser, JsonToken token, Class<?> type) throws IOException {
        // The common types are read straight off the token; the rest go through Jackson, typed by the schema.
        if (type == String.class && token == JsonToken.VALUE_STRING) {
            return parser.getText();
        }
        if (type == Long.class && token == JsonToken.VALUE_NUMBER_INT) {
            return parser.getLongValue();
        }
        if (type == Integer.class && token == JsonToken.VALUE_NUMBER_INT) {
            return parser.getIntValue();
        }
        if (type == Boolean.class && token.isBoolean()) {
            return token == JsonToken.VALUE_TRUE;
        }
        if (type == BigDecimal.class && token.isNumeric()) {
            return parser.getDecimalValue();
        }
        if (token.isStructStart() && !type.isArray() && !Map.class.isAssignableFrom(type)
                && !java.util.Collection.class.isAssignableFrom(type)) {
            throw new IOException("a structure where a " + type.getSimpleName() + " belongs");
        }
        return parser.readValueAs(type);
    }

    /**
     * Null when the value ends with the CRC-32C of everything before its {@code "crc"} field, else why not.
     * Why a checksum: a value whose bytes were changed (a flipped {@code deleted}, a spliced state, a changed
     * number) can still be well-formed JSON of the right shape; without it, such a value would be served as the
     * row. It detects accidents and foreign writers, not forgery: whoever can write to Redis can compute it (see
     * the ACL advice in the README).
     */
    private static String checkCrc(byte[] bytes) {
        int tail = bytes.length - CRC_TAIL;
        if (tail < 2 || bytes[bytes.length - 1] != '}' || bytes[bytes.length - 2] != '"'
                || !Arrays.equals(bytes, tail, tail + CRC_FIELD.length, CRC_FIELD, 0, CRC_FIELD.length)) {
            return "no checksum at the end";
        }
        long stored = 0;
        for (int i = tail + CRC_FIELD.length; i < bytes.length - 2; i++) {
            int digit = Character.digit(bytes[i], 16);
            if (digit < 0) {
                return "malformed checksum";
            }
            stored = stored << 4 | digit;
        }
        CRC32C crc = new CRC32C();
        crc.update(bytes, 0, tail);
        return crc.getValue() == stored ? null : "checksum mismatch: the bytes were changed after cachesync wrote them";
    }

    private static String crcHex(long crc) {
        String hex = Long.toHexString(crc);
        return "0".repeat(8 - hex.length()) + hex;
    }

    /** An output buffer whose CRC can be taken without copying it. */
    private static final class Buffer extends ByteArrayOutputStream {
        Buffer() {
            super(256);
        }

        long crc() {
            CRC32C crc = new CRC32C();
            crc.update(buf, 0, count);
            return crc.getValue();
        }
    }

    /** Microseconds since the epoch: the unit in which the write script compares times. */
    public static long micros(Instant instant) {
        if (instant == null) {
            return 0;
        }
        return Math.addExact(Math.multiplyExact(instant.getEpochSecond(), 1_000_000L), instant.getNano() / 1_000);
    }

    /** True for the id types whose text in a key parses back to the same id (see {@link #parseId}). */
    public static boolean supportsId(Class<?> idType) {
        return idType == Long.class || idType == Integer.class || idType == String.class || idType == UUID.class
                || idType == Short.class || idType == BigInteger.class;
    }

    /** Parses the id text of a key back into an id of the schema's id type. */
    public static Object parseId(Class<?> idType, String idText) {
        if (idType == Long.class) {
            return Long.valueOf(idText);
        }
        if (idType == Integer.class) {
            return Integer.valueOf(idText);
        }
        if (idType == String.class) {
            return idText;
        }
        if (idType == UUID.class) {
            return UUID.fromString(idText);
        }
        if (idType == Short.class) {
            return Short.valueOf(idText);
        }
        if (idType == BigInteger.class) {
            return new BigInteger(idText);
        }
        throw new IllegalArgumentException("ids of type " + idType.getName() + " are not supported");
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "unreadable";
        }
        int end = message.indexOf('\n');
        String line = end < 0 ? message : message.substring(0, end);
        return line.length() > 160 ? line.substring(0, 160) + "…" : line;
    }
}
