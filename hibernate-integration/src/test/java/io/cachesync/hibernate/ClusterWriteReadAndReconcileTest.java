package io.cachesync.hibernate;

import io.cachesync.core.Snapshot;
import io.cachesync.core.SnapshotCodec;
import org.hibernate.SessionFactory;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static io.cachesync.hibernate.RedisOutageNeverFailsACommitTest.waitUntil;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The write path, the read path across two nodes and the Reconciler, on a real Redis Cluster of three masters and
 * three replicas (started once for the class): keys spread over every master, versioned writes and tombstones
 * routed by slot, invalidations reaching the other node, batched reads across slots, and an orphan scan that
 * walks every master.
 */
class ClusterWriteReadAndReconcileTest extends ClusterTestBase {


    @BeforeEach
    void empty() throws Exception {
        redis.cluster.flushAll();
    }

    @Test
    void commitsRollbacksAndDeletesReachEveryMasterBySlot() throws Exception {
        try (SessionFactory sf = TestNodes.node(TestNodes.newDatabase(), redis.uri(), true)) {
            CacheSync sync = CacheSync.of(sf);
            sf.inTransaction(s -> {
                for (long id = 1; id <= 60; id++) {
                    s.persist(new Account(id, "owner" + id, BigDecimal.valueOf(id)));
                }
            });
            sf.inTransaction(s -> s.find(Account.class, 1L).setOwner("renamed"));
            try (var session = sf.openSession()) {
                session.beginTransaction();
                session.find(Account.class, 2L).setOwner("rolled back");
                session.flush();
                session.getTransaction().rollback();
            }
            sf.inTransaction(s -> s.remove(s.find(Account.class, 3L)));

            assertEquals(1, sync.snapshot(Account.class, 1L).orElseThrow().version());
            assertEquals("renamed", sync.snapshot(Account.class, 1L).orElseThrow().state().get("owner"));
            assertEquals("owner2", sync.snapshot(Account.class, 2L).orElseThrow().state().get("owner"));
            assertTrue(sync.snapshot(Account.class, 3L).orElseThrow().tombstone());
            assertTrue(redis.commands().pttl(sync.key(Account.class, 3L)) > 0, "a tombstone expires");
            Map<Integer, Long> perMaster = redis.cluster.keysPerMaster();
            System.out.println("[cluster] keys per master after 60 inserts: " + perMaster);
            assertEquals(3, perMaster.size());
            assertTrue(perMaster.values().stream().allMatch(n -> n > 0), perMaster.toString());
            assertEquals(0, sync.pendingRepairs());
            CacheAgreesWithDatabase.assertAgrees(sf, true);
        }
    }

    @Test
    void aStaleWriteIsRefusedOnWhicheverMasterHoldsTheKey() {
        try (SessionFactory sf = TestNodes.node(TestNodes.newDatabase(), redis.uri(), true)) {
            CacheSync sync = CacheSync.of(sf);
            sf.inTransaction(s -> {
                for (long id = 1; id <= 30; id++) {
                    s.persist(new Account(id, "owner" + id, BigDecimal.ONE));
                }
            });
            for (long id = 1; id <= 30; id++) {
                long n = id;
                sf.inTransaction(s -> s.find(Account.class, n).setOwner("second"));
            }
            // a slow reader's fill carrying version 0 must lose against version 1 on every master
            var store = sync.runtime().cache().store();
            var entity = sync.runtime().entity(Account.class);
            for (long id = 1; id <= 30; id++) {
                Snapshot old = Snapshot.of(entity.schema(), id, 0, Instant.now(), state("old"));
                var outcome = store.writeAndWait(io.cachesync.core.SnapshotWrite.newer(old));
                assertTrue(!outcome.written() && outcome.storedVersion() == 1, outcome.toString());
            }
            CacheAgreesWithDatabase.assertAgrees(sf, true);
        }
    }

    @Test
    void anotherNodeSeesEachCommitOnceTheInvalidationLands() throws Exception {
        try (TwoNodes nodes = new TwoNodes(redis.uri()).ready()) {
            nodes.a.inTransaction(s -> {
                for (long id = 0; id < 30; id++) {
                    s.persist(new Account(id, "owner" + id, BigDecimal.ZERO));
                }
            });
            for (long id = 0; id < 30; id++) {
                assertEquals(0, nodes.syncB.find(Account.class, id).orElseThrow().getVersion()); // B's tier holds v0
            }
            List<Long> delays = new ArrayList<>();
            for (int round = 1; round <= 3; round++) {
                for (long id = 0; id < 30; id++) {
                    long n = id;
                    long cents = round * 1000 + id;
                    nodes.a.inTransaction(s -> s.find(Account.class, n).setBalance(BigDecimal.valueOf(cents, 2)));
                    long expected = round;
                    long start = System.nanoTime();
                    waitUntil(() -> nodes.syncB.find(Account.class, n).orElseThrow().getVersion() == expected,
                            Duration.ofSeconds(5));
                    delays.add((System.nanoTime() - start) / 1000);
                }
            }
            delays.sort(null);
            System.out.printf("[cluster] invalidation to another node over %d updates: p50 %d us, p99 %d us%n",
                    delays.size(), delays.get(delays.size() / 2), delays.get(delays.size() * 99 / 100));
            assertTrue(nodes.syncB.statistics().invalidationsReceived() >= 90);
            CacheAgreesWithDatabase.assertAgrees(nodes.a, true);
        }
    }

    @Test
    void theReconcilerFindsMissingStaleAndOrphanedKeysOnEveryMasterAndRepairsThem() throws Exception {
        try (SessionFactory sf = TestNodes.node(TestNodes.newDatabase(), redis.uri(), true)) {
            CacheSync sync = CacheSync.of(sf);
            sf.inTransaction(s -> {
                for (long id = 1; id <= 300; id++) {
                    s.persist(new Account(id, "owner" + id, BigDecimal.ONE));
                }
            });
            waitUntil(() -> sync.pendingRepairs() == 0, Duration.ofSeconds(20));
            // on each master: two keys lost, one row changed by SQL, three snapshots without a row
            List<List<Long>> existing = redis.accountIdsPerMaster(id -> sync.key(Account.class, id), 1, 3);
            List<List<Long>> strays = redis.accountIdsPerMaster(id -> sync.key(Account.class, id), 10_000, 3);
            Set<Integer> mastersWithOrphans = new HashSet<>();
            var entity = sync.runtime().entity(Account.class);
            SnapshotCodec codec = sync.runtime().cache().store().codec();
            for (int m = 0; m < 3; m++) {
                redis.commands().del(sync.key(Account.class, existing.get(m).get(0)),
                        sync.key(Account.class, existing.get(m).get(1)));
                long staleId = existing.get(m).get(2);
                sf.inTransaction(s -> s.createNativeMutationQuery(
                        "update account set owner = 'sql', version = version + 1 where id = " + staleId).executeUpdate());
                for (long stray : strays.get(m)) {
                    String key = sync.key(Account.class, stray);
                    redis.commands().set(key, new String(codec.encode(Snapshot.of(entity.schema(), stray, 2,
                            Instant.now(), state("no row"))), StandardCharsets.UTF_8));
                    mastersWithOrphans.add(redis.cluster.masterOf(key).port());
                }
            }
            assertEquals(3, mastersWithOrphans.size(), "orphans planted on every master");

            List<String> lines = new ArrayList<>();
            ReconciliationReport check = Reconciler.of(sf).batchSize(50).checkOnly(true).onDiscrepancy(lines::add).run();
            assertEquals(6, check.missing(), check.toString());
            assertEquals(3, check.stale(), check.toString());
            assertEquals(9, check.orphaned(), "the orphan scan covers every master: " + check);
            for (List<Long> ids : strays) {
                for (long stray : ids) {
                    assertTrue(lines.stream().anyMatch(l -> l.startsWith("Account#" + stray + ": orphaned")),
                            String.join("\n", lines));
                }
            }

            ReconciliationReport repair = Reconciler.of(sf).batchSize(50).run();
            assertEquals(6 + 3 + 9, repair.repaired(), repair.toString());
            ReconciliationReport after = Reconciler.of(sf).batchSize(50).checkOnly(true).run();
            assertEquals(0, after.inconsistent() + after.missing() + after.orphaned(), after.toString());
            CacheAgreesWithDatabase.assertAgrees(sf, true);
        }
    }

    @Test
    void aScanOfOneEntityReturnsEveryKeyOnEveryMasterOnce() throws Exception {
        try (SessionFactory sf = TestNodes.node(TestNodes.newDatabase(), redis.uri(), true)) {
            CacheSync sync = CacheSync.of(sf);
            sf.inTransaction(s -> {
                for (long id = 1; id <= 1000; id++) {
                    s.persist(new Account(id, "owner" + id, BigDecimal.ONE));
                }
            });
            waitUntil(() -> sync.pendingRepairs() == 0, Duration.ofSeconds(20)); // a 1000-key push may time out
            Set<String> scanned = new HashSet<>();
            sync.runtime().cache().store().scan("Account", 100, scanned::add);
            assertEquals(1000, scanned.size());
            List<String> keys = new ArrayList<>(scanned);
            List<byte[]> values = sync.runtime().cache().store().readAll(keys);
            assertEquals(1000, values.size());
            for (int i = 0; i < keys.size(); i++) {
                assertTrue(new String(values.get(i), StandardCharsets.UTF_8).contains("\"id\":\""
                        + keys.get(i).substring(keys.get(i).lastIndexOf(':') + 1)), keys.get(i));
            }
            System.out.println("[cluster] 1000 keys scanned and read back with MGET; keys per master: "
                    + redis.cluster.keysPerMaster());
        }
    }

    private static Map<String, Object> state(String owner) {
        Map<String, Object> state = new LinkedHashMap<>();
        state.put("balance", BigDecimal.ONE);
        state.put("owner", owner);
        state.put("status", Account.Status.OPEN);
        return state;
    }
}
