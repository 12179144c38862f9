package io.cachesync.core;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SnapshotCodecTest {

    private final SnapshotCodec codec = new SnapshotCodec();

    @Test
    void aSnapshotSurvivesTheRoundTripWithItsTypes() {
        Snapshot original = TestSchemas.account(42, 3, "ann");
        byte[] bytes = codec.encode(original);
        String json = new String(bytes, StandardCharsets.UTF_8);
        assertTrue(json.startsWith("{\"version\":3,\"deleted\":false,\"schema\":\"" + TestSchemas.ACCOUNT.fingerprint()
                + "\",\"entity\":\"Account\",\"id\":\"42\""), json);

        Snapshot decoded = ((DecodeResult.Decoded) codec.decode(TestSchemas.ACCOUNT, 42L, bytes)).snapshot();
        assertEquals(original, decoded);
        assertEquals(java.time.LocalDate.class, decoded.state().get("opened").getClass());
        assertEquals(java.math.BigDecimal.class, decoded.state().get("balance").getClass());
    }

    @Test
    void aTombstoneSurvivesTheRoundTrip() {
        Snapshot tombstone = Snapshot.tombstone(TestSchemas.ACCOUNT, 5L, 4, java.time.Instant.EPOCH);
        Snapshot decoded = ((DecodeResult.Decoded) codec.decode(TestSchemas.ACCOUNT, 5L, codec.encode(tombstone)))
                .snapshot();
        assertTrue(decoded.tombstone());
        assertEquals(5, decoded.version());
    }

    @Test
    void bytesOfAnotherRowOrEntityAreNotTakenForThisRow() {
        byte[] bytes = codec.encode(TestSchemas.account(42, 3, "ann"));
        assertInstanceOf(DecodeResult.Undecodable.class, codec.decode(TestSchemas.ACCOUNT, 43L, bytes));
        SnapshotSchema other = new SnapshotSchema("Other", Long.class, TestSchemas.ACCOUNT.propertyNames(),
                TestSchemas.ACCOUNT.propertyTypes());
        assertInstanceOf(DecodeResult.Undecodable.class, codec.decode(other, 42L, bytes));
    }

    @Test
    void aSnapshotOfAnotherSchemaIsASchemaMismatchNeverAnObject() {
        byte[] bytes = codec.encode(TestSchemas.account(42, 3, "ann"));
        SnapshotSchema widened = new SnapshotSchema("Account", Long.class,
                List.of("owner", "balance", "opened", "active", "scores", "email"),
                List.of(String.class, java.math.BigDecimal.class, java.time.LocalDate.class, Boolean.class,
                        byte[].class, String.class));
        DecodeResult result = codec.decode(widened, 42L, bytes);
        assertTrue(((DecodeResult.Undecodable) result).schemaMismatch());
    }

    @Test
    void garbageIsUndecodableNotAnException() {
        byte[] good = codec.encode(TestSchemas.account(42, 3, "ann"));
        List<byte[]> hostile = List.of(
                new byte[0],
                "not json".getBytes(StandardCharsets.UTF_8),
                java.util.Arrays.copyOf(good, good.length / 2),
                "[1,2,3]".getBytes(StandardCharsets.UTF_8),
                "{\"version\":\"three\"}".getBytes(StandardCharsets.UTF_8),
                "{\"@class\":\"java.lang.Runtime\",\"version\":1}".getBytes(StandardCharsets.UTF_8),
                new String(good, StandardCharsets.UTF_8).replace("\"owner\":\"ann\"", "\"owner\":{\"@class\":\"x\"}")
                        .getBytes(StandardCharsets.UTF_8),
                (new String(good, StandardCharsets.UTF_8) + "trailing").getBytes(StandardCharsets.UTF_8),
                new byte[]{(byte) 0xac, (byte) 0xed, 0, 5});
        for (byte[] bytes : hostile) {
            DecodeResult result = codec.decode(TestSchemas.ACCOUNT, 42L, bytes);
            assertInstanceOf(DecodeResult.Undecodable.class, result, new String(bytes, StandardCharsets.UTF_8));
            assertFalse(((DecodeResult.Undecodable) result).reason().isEmpty());
        }
    }
}
