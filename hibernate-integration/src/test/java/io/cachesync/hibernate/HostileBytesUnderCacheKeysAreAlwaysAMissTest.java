package io.cachesync.hibernate;

import io.cachesync.core.DecodeResult;
import io.cachesync.core.Snapshot;
import io.cachesync.core.SnapshotCodec;
import io.cachesync.core.SnapshotSchema;
import io.cachesync.testsupport.LogCapture;
import io.cachesync.testsupport.RedisExtension;
import io.cachesync.testsupport.SnapshotMutator;
import io.cachesync.testsupport.TestRedis;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import org.hibernate.SessionFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Invariant 6 on the read path: whatever sits under a cachesync key (truncated JSON, several megabytes, a list or
 * a hash, JSON of another schema or another row, JSON naming Java classes, Java serialization, or thousands of
 * seeded mutations of real snapshots), {@code CacheSync.find} returns exactly the database's row, never throws,
 * never instantiates a class the bytes name; the value is counted, logged once per key, and overwritten with the
 * row's snapshot.
 */
@ExtendWith(RedisExtension.class)
class HostileBytesUnderCacheKeysAreAlwaysAMissTest {

    /** Set if anything ever loads the class that the hostile JSON names. */
    static final AtomicBoolean CANARY_LOADED = new AtomicBoolean();

    /** Named in hostile JSON only; loading it (as a deserializer would) trips the canary. */
    public static final class Canary {
        static {
            CANARY_LOADED.set(true);
        }

        public Canary() {
        }
    }

    private static final int ROWS = 8;

    private SessionFactory sf;
    private CacheSync sync;
    private RedisClusterCommands<byte[], byte[]> raw;

    @BeforeEach
    void start(TestRedis redis) throws InterruptedException {
        sf = TestNodes.node(TestNodes.newDatabase(), redis.uri(), true);
        sync = CacheSync.of(sf);
        RedisOutageNeverFailsACommitTest.waitUntil(sync::localTierServing, java.time.Duration.ofSeconds(10));
        for (long id = 1; id <= ROWS; id++) {
            long n = id;
            sf.inTransaction(s -> s.persist(new Account(n, "owner " + n + " ünï", new BigDecimal("12.3" + n))));
        }
        raw = redis.binaryCommands();
    }

    @AfterEach
    void stop() {
        sf.close();
    }

    @Test
    void eachKindOfForeignValueIsAMissCountedLoggedAndRepaired() throws Exception {
        String canary = Canary.class.getName();
        Map<String, byte[]> strings = new LinkedHashMap<>();
        byte[] real = raw.get(key(1L));
        strings.put("truncated", Arrays.copyOf(real, real.length - 7));
        strings.put("huge", huge(5 * 1024 * 1024));
        strings.put("foreign JSON", "{\"name\":\"x\",\"balance\":1}".getBytes(StandardCharsets.UTF_8));
        strings.put("@class", ("{\"@class\":\"" + canary + "\",\"version\":9}").getBytes(StandardCharsets.UTF_8));
        strings.put("typed array", ("[\"" + canary + "\",{\"version\":9}]").getBytes(StandardCharsets.UTF_8));
        strings.put("class in state", new String(real, StandardCharsets.UTF_8)
                .replace("\"owner\":", "\"owner\":{\"@class\":\"" + canary + "\"},\"x\":")
                .getBytes(StandardCharsets.UTF_8));
        strings.put("java serialization", new byte[]{(byte) 0xac, (byte) 0xed, 0, 5, 0x73, 0x72});
        strings.put("another row's snapshot", raw.get(key(2L)));
        strings.put("another schema", anotherSchema(1L));

        try (LogCapture logs = new LogCapture()) {
            long id = 1;
            for (Map.Entry<String, byte[]> hostile : strings.entrySet()) {
                byte[] key = key(id);
                raw.set(key, hostile.getValue());
                expectMissAndRepair(hostile.getKey(), id, logs, !hostile.getKey().equals("another schema"));
                id = id % ROWS + 1;
            }
            RedisClusterCommands<byte[], byte[]> r = raw;
            byte[] b = bytes("b");
            String[] types = {"list", "hash", "set", "sorted set", "stream"};
            for (String type : types) {
                byte[] key = key(id);
                r.del(key);
                switch (type) {
                    case "list" -> r.rpush(key, b, b);
                    case "hash" -> r.hset(key, bytes("version"), bytes("99"));
                    case "set" -> r.sadd(key, b);
                    case "sorted set" -> r.zadd(key, 99.0, b);
                    default -> r.xadd(key, Map.of(bytes("version"), bytes("99")));
                }
                expectMissAndRepair(type, id, logs, true);
                id = id % ROWS + 1;
            }
        }
        assertFalse(CANARY_LOADED.get(), "a class named by hostile bytes was loaded");
        CacheAgreesWithDatabase.assertAgrees(sf, true);
    }

    @Test
    void thousandsOfMutatedSnapshotsReadThroughFindNeverReturnAWrongRow() {
        long seed = Long.getLong("cachesync.fuzz.seed", System.nanoTime());
        int values = Integer.getInteger("cachesync.fuzz.reads", 2_000);
        System.out.println("[fuzz-read] seed " + seed + " (rerun with -Dcachesync.fuzz.seed=" + seed + ")");
        SyncedEntity accounts = sync.runtime().entity(Account.class);
        SnapshotCodec codec = sync.cache().store().codec();
        List<byte[]> corpus = new ArrayList<>();
        List<Snapshot> rows = new ArrayList<>();
        for (long id = 1; id <= ROWS; id++) {
            corpus.add(raw.get(key(id)));
            rows.add(sync.runtime().load(accounts, id).orElseThrow());
        }
        Random random = new Random(seed);
        SnapshotMutator mutator = new SnapshotMutator(random, corpus);
        long corruptBefore = sync.statistics().corrupt();
        long expectedCorrupt = 0;
        int servedFromRedis = 0;
        List<String> problems = new ArrayList<>();
        for (int i = 0; i < values && problems.size() < 10; i++) {
            int row = random.nextInt(ROWS);
            long id = row + 1;
            SnapshotMutator.Mutation mutation = mutator.mutate(row);
            DecodeResult expected = codec.decode(accounts.schema(), id, mutation.bytes());
            if (expected instanceof DecodeResult.Undecodable u && !u.schemaMismatch()) {
                expectedCorrupt++;
            } else if (expected instanceof DecodeResult.Decoded) {
                servedFromRedis++;
            }
            raw.set(key(id), mutation.bytes());
            sync.clearLocalTier();
            try {
                Optional<Account> found = sync.find(Account.class, id);
                if (found.isEmpty() || !accounts.snapshotOf(found.get()).sameAs(rows.get(row))) {
                    problems.add(mutation.name() + " made find(" + id + ") return " + found.map(accounts::snapshotOf)
                            + " instead of " + rows.get(row));
                }
            } catch (RuntimeException e) {
                problems.add(mutation.name() + " made find(" + id + ") throw " + e);
            }
        }
        long counted = sync.statistics().corrupt() - corruptBefore;
        System.out.printf("[fuzz-read] %d mutated values planted and read through find: %d wrong rows, %d counted "
                        + "corrupt (expected %d), %d were byte-exact snapshots served from Redis%n", values,
                problems.size(), counted, expectedCorrupt, servedFromRedis);
        if (!problems.isEmpty()) {
            fail("seed " + seed + ":\n" + String.join("\n", problems));
        }
        assertEquals(expectedCorrupt, counted, "every undecodable value is counted");
        CacheAgreesWithDatabase.assertAgrees(sf, true);
    }

    private void expectMissAndRepair(String what, long id, LogCapture logs, boolean corrupt) throws Exception {
        long corruptBefore = sync.statistics().corrupt();
        long loadsBefore = sync.statistics().databaseLoads();
        Snapshot row = sync.runtime().load(sync.runtime().entity(Account.class), id).orElseThrow();
        String keyText = sync.key(Account.class, id);
        // the first read may time out on a huge value under load: then it reads the database and a later one repairs
        for (int attempt = 0; attempt < 10; attempt++) {
            sync.clearLocalTier();
            Account found = sync.find(Account.class, id).orElseThrow(() -> new AssertionError(what + ": no row"));
            assertTrue(sync.runtime().entity(Account.class).snapshotOf(found).sameAs(row), what + ": wrong row");
            Optional<Snapshot> inRedis = sync.snapshot(Account.class, id);
            if (inRedis.isPresent() && inRedis.get().sameAs(row)) {
                break;
            }
            if (attempt == 9) {
                fail(what + ": never repaired, Redis holds " + inRedis);
            }
        }
        assertTrue(sync.statistics().databaseLoads() > loadsBefore, what + ": not a miss");
        if (corrupt) {
            assertTrue(sync.statistics().corrupt() > corruptBefore, what + ": not counted");
            assertTrue(logs.count("WARN", "undecodable bytes under " + keyText) >= 1, what + ": not logged\n"
                    + logs.text());
        }
        System.out.printf("[hostile] %-22s under %s: a miss, %s, repaired%n", what, keyText,
                corrupt ? "counted and logged" : "a schema mismatch (not counted as corrupt)");
    }

    private byte[] anotherSchema(long id) {
        SyncedEntity accounts = sync.runtime().entity(Account.class);
        Snapshot row = sync.runtime().load(accounts, id).orElseThrow();
        SnapshotSchema older = new SnapshotSchema("Account", Long.class, List.of("owner", "balance"),
                List.of(String.class, BigDecimal.class));
        Map<String, Object> state = new LinkedHashMap<>();
        state.put("owner", "from an older deploy");
        state.put("balance", BigDecimal.ONE);
        return sync.cache().store().codec().encode(Snapshot.of(older, id, row.version() + 5, row.lastUpdated(), state));
    }

    /** A 5 MB value that starts like a snapshot, so that only its size gives it away. */
    private static byte[] huge(int size) {
        byte[] head = "{\"version\":999,\"deleted\":false,\"schema\":\"x\",\"state\":{\"owner\":\""
                .getBytes(StandardCharsets.UTF_8);
        byte[] out = new byte[size];
        Arrays.fill(out, (byte) 'a');
        System.arraycopy(head, 0, out, 0, head.length);
        return out;
    }

    private byte[] key(long id) {
        return bytes(sync.key(Account.class, id));
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
