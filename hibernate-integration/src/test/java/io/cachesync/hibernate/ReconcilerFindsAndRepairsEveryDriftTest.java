package io.cachesync.hibernate;

import io.cachesync.core.Snapshot;
import io.cachesync.testsupport.RedisExtension;
import io.cachesync.testsupport.TestRedis;
import org.hibernate.SessionFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every kind of drift at once: the check reports each with its exact count and changes nothing; a repair run
 * fixes all but cache-ahead; a forced run fixes that too; then everything agrees.
 */
@ExtendWith(RedisExtension.class)
class ReconcilerFindsAndRepairsEveryDriftTest {

    private SessionFactory sf;
    private DriftInjection drift;

    @BeforeEach
    void start(TestRedis redis) {
        sf = TestNodes.node(TestNodes.newDatabase(), redis.uri(), true);
        drift = new DriftInjection(sf, redis);
        sf.inTransaction(s -> {
            for (long id = 1; id <= 20; id++) {
                s.persist(new Account(id, "owner" + id, BigDecimal.valueOf(id)));
            }
        });
        sf.inTransaction(s -> {
            for (int i = 1; i <= 3; i++) {
                s.persist(new Profile("p" + i, "nick" + i, s.getReference(Account.class, 11L + i)));
            }
            s.persist(new Profile("p4", "without an account", null)); // must not vanish in an inner join
        });
        sf.inTransaction(s -> s.remove(s.find(Account.class, 11L))); // a tombstone without a row: consistent
        injectEveryDrift();
    }

    @AfterEach
    void stop() {
        sf.close();
    }

    private void injectEveryDrift() {
        drift.sql("update account set owner = 'by sql', version = version + 1 where id in (1, 2)"); // stale, older
        drift.sql("update account set owner = 'sneaky' where id = 3");                            // stale, same version
        drift.delete(Account.class, 4L);                                                           // missing
        drift.delete(Account.class, 5L);                                                           // missing
        drift.sql("delete from account where id in (6, 7)");                                       // orphaned
        drift.plantSnapshot(Account.class, 100L, 3, Instant.now(), state("never existed"));        // orphaned
        drift.plant(Account.class, 8L, "garbage{");                                                // corrupt
        String whole = drift.encoded(Account.class, 9L, 0, state("owner9"));
        drift.plant(Account.class, 9L, whole.substring(0, whole.length() / 2));                    // corrupt
        drift.plant(Account.class, 101L, "not a snapshot, and no row");                            // corrupt
        drift.plantSnapshot(Account.class, 10L, 5, Instant.now(), state("from the future"));       // cache-ahead
        drift.plantTombstone(Account.class, 102L, 4);                                              // consistent
        drift.sql("update profile set nickname = 'by sql', version = version + 1 where id = 'p2'"); // stale
    }

    private static Map<String, Object> state(String owner) {
        Map<String, Object> state = new java.util.LinkedHashMap<>();
        state.put("balance", BigDecimal.ONE);
        state.put("owner", owner);
        state.put("status", Account.Status.OPEN);
        return state;
    }

    @Test
    void aCheckReportsEveryDriftClassExactlyAndChangesNothing() {
        Map<String, String> redisBefore = drift.dumpEveryKey();
        List<String> rowsBefore = drift.everyRow();
        List<String> lines = new ArrayList<>();

        ReconciliationReport report = Reconciler.of(sf).batchSize(4).checkOnly(true).onDiscrepancy(lines::add).run();

        ModelReport account = report.model("Account").orElseThrow();
        assertEquals(new ConsistencyStats(11, 3, 2, 3, 1, 3), account.stats(), account.toString());
        assertEquals(17, account.rowsRead());
        assertEquals(new ConsistencyStats(3, 1, 0, 0, 0, 0), report.model("Profile").orElseThrow().stats());
        assertEquals(14, report.consistent());
        assertEquals(4 + 1 + 3, report.inconsistent());
        assertEquals(2, report.missing());
        assertEquals(3, report.orphaned());
        assertEquals(4, report.stale());
        assertEquals(1, report.cacheAhead());
        assertEquals(3, report.corrupt());
        assertEquals(0, report.repaired());
        assertEquals(13, report.unresolved());

        assertEquals(redisBefore, drift.dumpEveryKey(), "a check-only run changed Redis");
        assertEquals(rowsBefore, drift.everyRow(), "a check-only run changed the database");
        assertEquals(13, lines.size(), String.join("\n", lines));
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("Account#10: cache-ahead (database v0 at ")
                && l.contains("; Redis v5 at ") && l.endsWith("-> left alone (check-only)")), String.join("\n", lines));
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("Account#100: orphaned (database no row; Redis v3 at ")),
                String.join("\n", lines));
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("Account#4: missing (database v0 at ")
                && l.contains("Redis no key")), String.join("\n", lines));

        ConsistencyStats check = Reconciler.of(sf).check(Account.class);
        assertEquals(account.stats(), check);
        assertEquals(3 + 1 + 3, check.inconsistent());
        assertEquals(redisBefore, drift.dumpEveryKey());
    }

    @Test
    void aRepairFixesAllButCacheAheadAndAForcedRunFixesThatToo() {
        List<String> lines = new ArrayList<>();
        ReconciliationReport repair = Reconciler.of(sf).batchSize(3).onDiscrepancy(lines::add).run();

        assertEquals(12, repair.repaired(), repair.toString());
        assertEquals(1, repair.unresolved());
        assertEquals(1, repair.cacheAhead());
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("Account#10: cache-ahead")
                && l.endsWith("left alone (cache-ahead: repaired only with force)")), String.join("\n", lines));
        ConsistencyStats afterRepair = Reconciler.of(sf).check(Account.class);
        // 16 rows agree; 6 keys without a row are tombstones: 11, 102, and the repaired 6, 7, 100, 101
        assertEquals(new ConsistencyStats(16 + 6, 0, 0, 0, 1, 0), afterRepair);
        CacheSync sync = CacheSync.of(sf);
        Snapshot orphanReplaced = sync.snapshot(Account.class, 100L).orElseThrow();
        assertTrue(orphanReplaced.tombstone());
        assertEquals(4, orphanReplaced.version(), "a tombstone one version above the orphan");
        assertEquals("by sql", sync.snapshot(Account.class, 1L).orElseThrow().state().get("owner"));
        assertEquals("sneaky", sync.snapshot(Account.class, 3L).orElseThrow().state().get("owner"));
        assertEquals(5, sync.snapshot(Account.class, 10L).orElseThrow().version(), "cache-ahead left alone");

        ReconciliationReport forced = Reconciler.of(sf).model(Account.class).force(true).run();
        assertEquals(1, forced.repaired());
        assertEquals(0, forced.unresolved());
        assertEquals(0, sync.snapshot(Account.class, 10L).orElseThrow().version());

        ReconciliationReport last = Reconciler.of(sf).checkOnly(true).run();
        assertEquals(0, last.inconsistent() + last.missing() + last.orphaned(), last.toString());
        assertEquals(last.consistent(), last.totals().examined());
        CacheAgreesWithDatabase.assertAgrees(sf, true);
    }

    @Test
    void aRepairedKeyServesTheDatabaseStateToReaders() {
        CacheSync sync = CacheSync.of(sf);
        Reconciler.of(sf).run();
        assertEquals("by sql", sync.find(Account.class, 1L).orElseThrow().getOwner());
        assertEquals("owner8", sync.find(Account.class, 8L).orElseThrow().getOwner());
        assertTrue(sync.find(Account.class, 100L).isEmpty());
        assertTrue(sync.find(Account.class, 6L).isEmpty());
        assertFalse(sync.snapshot(Account.class, 4L).orElseThrow().tombstone());
    }

    /**
     * The node that ran the repair serves it at once, without waiting for its own invalidation to come back: on a
     * Redis Cluster that message crosses the cluster bus and can land after the next read. Here every invalidation
     * is held until the reads are done, so the test does not depend on who wins that race.
     */
    @Test
    void theNodeThatRepairsServesTheRepairBeforeItsInvalidationLands() {
        CacheSync sync = CacheSync.of(sf);
        assertEquals("owner1", sync.find(Account.class, 1L).orElseThrow().getOwner()); // the local tier's v0
        assertEquals("owner6", sync.find(Account.class, 6L).orElseThrow().getOwner()); // its row deleted by SQL
        List<Runnable> held = new java.util.concurrent.CopyOnWriteArrayList<>();
        io.cachesync.core.PostCommitDelays.holdInvalidations(sync.cache(), held::add);
        try {
            Reconciler.of(sf).run();
            assertEquals("by sql", sync.find(Account.class, 1L).orElseThrow().getOwner());
            assertTrue(sync.find(Account.class, 6L).isEmpty());
        } finally {
            io.cachesync.core.PostCommitDelays.holdInvalidations(sync.cache(), null);
            held.forEach(Runnable::run);
        }
        assertEquals("by sql", sync.find(Account.class, 1L).orElseThrow().getOwner());
        assertTrue(sync.find(Account.class, 6L).isEmpty());
    }

    @Test
    void argumentsAreValidatedWithClearErrors() {
        Reconciler reconciler = Reconciler.of(sf);
        assertEquals("batchSize must be between 1 and 20000, was 0",
                assertThrows(IllegalArgumentException.class, () -> reconciler.batchSize(0)).getMessage());
        assertThrows(IllegalArgumentException.class, () -> reconciler.batchSize(20_001));
        assertEquals("maxInstances must be at least 1, was 0",
                assertThrows(IllegalArgumentException.class, () -> reconciler.maxInstances(0)).getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> reconciler.model(Note.class)).getMessage()
                .contains("must be an entity that extends"));
        assertEquals("unknown model 'Nope': the entities synced by cachesync are Account, Profile",
                assertThrows(IllegalArgumentException.class, () -> reconciler.model("Nope")).getMessage());
        assertTrue(assertThrows(IllegalStateException.class, () -> Reconciler.of(sf).checkOnly(true).force(true).run())
                .getMessage().contains("contradict"));
        SessionFactory plain = TestNodes.node(TestNodes.newDatabase(), null, true);
        try {
            assertTrue(assertThrows(IllegalStateException.class, () -> Reconciler.of(plain)).getMessage()
                    .contains("cachesync is not switched on"));
        } finally {
            plain.close();
        }
    }
}
