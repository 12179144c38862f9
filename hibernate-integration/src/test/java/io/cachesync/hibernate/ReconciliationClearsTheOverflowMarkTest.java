package io.cachesync.hibernate;

import io.cachesync.testsupport.LocalRedisServer;
import io.cachesync.testsupport.LogCapture;
import org.hibernate.SessionFactory;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * When failed pushes overflow the repair queue, the entity is marked for reconciliation; only a complete repair
 * run (not a check, not a run cut short by maxInstances) clears the mark, and it restores the lost keys.
 */
class ReconciliationClearsTheOverflowMarkTest {

    @Test
    void onlyACompleteRepairClearsTheMarkAndRestoresTheKeysTheQueueCouldNotHold() throws Exception {
        try (LocalRedisServer redis = LocalRedisServer.start(); LogCapture logs = new LogCapture()) {
            SessionFactory sf = TestNodes.node(TestNodes.newDatabase(), redis.uri(), true, s -> {
                s.put("cachesync.redis.timeout", "200ms");
                s.put("cachesync.repair.max-backoff", "300ms");
                s.put("cachesync.repair.max-pending", "1");
            });
            try {
                CacheSync sync = CacheSync.of(sf);
                for (long id = 1; id <= 3; id++) {
                    long n = id;
                    sf.inTransaction(s -> s.persist(new Account(n, "owner" + n, BigDecimal.ONE)));
                }
                redis.kill();
                for (long id = 1; id <= 3; id++) {
                    long n = id;
                    sf.inTransaction(s -> s.find(Account.class, n).setOwner("changed while Redis was down"));
                }
                assertEquals(Set.of("Account"), sync.entitiesNeedingReconciliation(), logs.text());
                // loud: one ERROR for the entity, a WARN naming each key that found the queue full, and a count
                assertEquals(1, logs.count("ERROR", "repair queue is full"), logs.text());
                assertEquals(1, logs.count("ERROR", "run the Reconciler for Account"), logs.text());
                assertEquals(2, logs.count("WARN", "repair queue full, entity marked for reconciliation"), logs.text());
                assertEquals(2, sync.statistics().repairOverflows());
                assertEquals(1, sync.pendingRepairs(), "the queue holds what it can");
                redis.restart(); // empty: only the one queued key comes back by itself
                RedisOutageNeverFailsACommitTest.waitUntil(() -> sync.pendingRepairs() == 0, Duration.ofSeconds(20));

                assertEquals(2, Reconciler.of(sf).checkOnly(true).run().missing());
                assertEquals(Set.of("Account"), sync.entitiesNeedingReconciliation(), "a check clears nothing");
                Reconciler.of(sf).maxInstances(1).run();
                assertEquals(Set.of("Account"), sync.entitiesNeedingReconciliation(), "an incomplete run clears nothing");

                ReconciliationReport report = Reconciler.of(sf).run();
                assertTrue(report.repaired() >= 1, report.toString());
                assertEquals(Set.of(), sync.entitiesNeedingReconciliation());
                CacheAgreesWithDatabase.assertAgrees(sf, true);
            } finally {
                sf.close();
            }
        }
    }
}
