package io.cachesync.core;

import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import io.cachesync.testsupport.SnapshotMutator;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Invariant 6 under fuzzing: thousands of random and mutated values (real encoded snapshots with flipped bytes,
 * truncations, splices, changed numbers and types, injected class names) thrown at {@link SnapshotCodec#decode}.
 * None throws; none decodes into anything but exactly the snapshot that was encoded (never a wrong value, never a
 * type named by the bytes). Seeded and reproducible: {@code -Dcachesync.fuzz.seed=...},
 * {@code -Dcachesync.fuzz.values=...}.
 */
class SnapshotCodecSurvivesFuzzingTest {

    private final SnapshotCodec codec = new SnapshotCodec();

    @Test
    void noMutatedValueThrowsOrDecodesIntoAWrongSnapshot() {
        long seed = Long.getLong("cachesync.fuzz.seed", System.nanoTime());
        int values = Integer.getInteger("cachesync.fuzz.values", 50_000);
        System.out.println("[fuzz-codec] seed " + seed + " (rerun with -Dcachesync.fuzz.seed=" + seed + ")");
        Random random = new Random(seed);
        List<Snapshot> originals = originals();
        List<byte[]> encoded = new ArrayList<>();
        originals.forEach(s -> encoded.add(codec.encode(s)));
        SnapshotMutator mutator = new SnapshotMutator(random, encoded);

        int decoded = 0;
        int[] byKind = new int[SnapshotMutator.KINDS];
        List<String> problems = new ArrayList<>();
        for (int i = 0; i < values && problems.size() < 10; i++) {
            int base = random.nextInt(originals.size());
            Snapshot original = originals.get(base);
            SnapshotMutator.Mutation mutation = mutator.mutate(base);
            byKind[mutation.kind()]++;
            DecodeResult result;
            try {
                result = codec.decode(TestSchemas.ACCOUNT, original.id(), mutation.bytes());
            } catch (Throwable t) {
                problems.add(mutation.name() + " threw " + t + " on " + printable(mutation.bytes()));
                continue;
            }
            if (result instanceof DecodeResult.Decoded d) {
                decoded++;
                if (!Arrays.equals(codec.encode(d.snapshot()), encoded.get(base))) {
                    problems.add(mutation.name() + " decoded into a snapshot that is not the original: "
                            + d.snapshot() + " from " + printable(mutation.bytes()));
                }
                checkTypes(d.snapshot(), problems);
            }
        }
        System.out.printf("[fuzz-codec] %d values (%s by mutation kind), %d decoded (each exactly its original), "
                + "%d undecodable, %d problems%n", values, Arrays.toString(byKind), decoded, values - decoded,
                problems.size());
        if (!problems.isEmpty()) {
            fail("seed " + seed + ":\n" + String.join("\n", problems));
        }
        assertTrue(decoded < values, "mutations must mostly break the value");
    }

    /** Every state value is null or exactly of the schema's type: the bytes never chose a class. */
    private static void checkTypes(Snapshot snapshot, List<String> problems) {
        int i = 0;
        for (Object value : snapshot.state().values()) {
            Class<?> type = TestSchemas.ACCOUNT.propertyTypes().get(i++);
            if (value != null && value.getClass() != type) {
                problems.add("property of type " + type.getName() + " decoded as " + value.getClass().getName());
            }
        }
    }

    static List<Snapshot> originals() {
        List<Snapshot> list = new ArrayList<>();
        String[] owners = {"ann", "bob", "ünïcødé ✓", "", "quote\" and \\ backslash", "a:b:c {x} *"};
        for (int i = 0; i < owners.length; i++) {
            Map<String, Object> state = new LinkedHashMap<>();
            state.put("owner", owners[i]);
            state.put("balance", new BigDecimal(i % 2 == 0 ? "120.50" : "-0.01"));
            state.put("opened", i == 3 ? null : LocalDate.of(2026, 1, 1 + i));
            state.put("active", i % 2 == 0);
            state.put("scores", new byte[]{(byte) i, 2, 3});
            list.add(Snapshot.of(TestSchemas.ACCOUNT, (long) i * 7919, i * 3L, Instant.parse("2026-11-26T10:15:30.123456Z")
                    .plusSeconds(i), state));
        }
        list.add(Snapshot.tombstone(TestSchemas.ACCOUNT, 99L, 12, Instant.parse("2026-11-26T11:00:00Z")));
        return list;
    }

    static String printable(byte[] bytes) {
        String text = new String(bytes, 0, Math.min(bytes.length, 300), StandardCharsets.UTF_8);
        return bytes.length > 300 ? text + "… (" + bytes.length + " bytes)" : text;
    }

    /** Hex, for bytes that do not print. */
    static String hex(byte[] bytes) {
        return HexFormat.of().formatHex(bytes, 0, Math.min(bytes.length, 64));
    }
}
