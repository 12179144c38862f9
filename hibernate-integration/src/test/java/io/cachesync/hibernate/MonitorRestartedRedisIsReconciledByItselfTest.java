package io.cachesync.hibernate;

import io.cachesync.core.monitor.MonitorSettings;
import io.cachesync.testsupport.DelayingProxy;
import io.cachesync.testsupport.LocalRedisServer;
import io.cachesync.testsupport.LogCapture;
import org.hibernate.SessionFactory;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.Map;
import java.util.Set;

import static io.cachesync.hibernate.RedisOutageNeverFailsACommitTest.waitUntil;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Data loss and repair-queue overflows start a throttled Reconciler run by themselves: a Redis restarted with an
 * empty dataset (its run_id changes) gets every key of every model back, and an entity whose failed pushes
 * overflowed the queue is reconciled and its mark cleared, without anybody calling the Reconciler.
 */
class MonitorRestartedRedisIsReconciledByItselfTest {

    private static void autoReconcile(Map<String, Object> s) {
        s.put(MonitorSettings.AUTO_RECONCILE, "true");
        s.put(MonitorSettings.AUTO_RECONCILE_CHECK_INTERVAL, "200ms");
        s.put(MonitorSettings.AUTO_RECONCILE_BATCH_SIZE, "50");
        s.put(MonitorSettings.AUTO_RECONCILE_PAUSE, "5ms");
        s.put("cachesync.repair.max-backoff", "300ms");
    }

    @Test
    void aRestartWithAnEmptyDatasetRestoresEveryKeyWithoutAManualRun() throws Exception {
        try (LocalRedisServer redis = LocalRedisServer.start(); LogCapture logs = new LogCapture()) {
            SessionFactory sf = TestNodes.node(TestNodes.newDatabase(), redis.uri(), true,
                    MonitorRestartedRedisIsReconciledByItselfTest::autoReconcile);
            try {
                sf.inTransaction(s -> {
                    for (long id = 1; id <= 300; id++) {
                        s.persist(new Account(id, "owner" + id, BigDecimal.ONE));
                    }
                });
                sf.inTransaction(s -> {
                    for (long id = 1; id <= 40; id++) {
                        s.persist(new Profile("p" + id, "nick" + id, s.getReference(Account.class, id)));
                    }
                });
                CacheAgreesWithDatabase.assertAgrees(sf, true);
                Thread.sleep(600); // the monitor has read the first run_id
                redis.restart(); // empty

                waitUntil(() -> agrees(sf), Duration.ofSeconds(30));
                CacheAgreesWithDatabase.assertAgrees(sf, true);
                assertTrue(logs.text().contains("restarted or was replaced (run_id"), logs.text());
                assertTrue(logs.text().contains("auto-reconcile of Account started (Redis restarted (run_id changed))"),
                        logs.text());
                assertTrue(logs.text().contains("auto-reconcile of Profile started (Redis restarted"), logs.text());
                waitUntil(() -> logs.text().contains("auto-reconcile of Profile done"), Duration.ofSeconds(10));
                assertTrue(logs.text().matches("(?s).*auto-reconcile of Account done in \\d+ ms: 300 rows read, "
                        + "\\d+ keys scanned, 0 consistent, 0 stale, 300 missing, .*; 300 repaired.*"), logs.text());
            } finally {
                sf.close();
            }
        }
    }

    @Test
    void aRepairQueueOverflowReconcilesThatModelAndClearsItsMark() throws Exception {
        try (LocalRedisServer redis = LocalRedisServer.start(); DelayingProxy proxy = new DelayingProxy(redis.port(), 0);
             LogCapture logs = new LogCapture()) {
            SessionFactory sf = TestNodes.node(TestNodes.newDatabase(), proxy.uri(), true, s -> {
                autoReconcile(s);
                s.put("cachesync.redis.timeout", "100ms");
                s.put("cachesync.repair.max-pending", "1");
            });
            try {
                CacheSync sync = CacheSync.of(sf);
                for (long id = 1; id <= 5; id++) {
                    long n = id;
                    sf.inTransaction(s -> s.persist(new Account(n, "owner" + n, BigDecimal.ONE)));
                }
                proxy.delayMillis(400); // slower than the timeout: pushes fail, the queue (1 key) overflows
                for (long id = 1; id <= 5; id++) {
                    long n = id;
                    sf.inTransaction(s -> s.find(Account.class, n).setOwner("changed while Redis was slow"));
                }
                waitUntil(() -> logs.text().contains("repair queue is full"), Duration.ofSeconds(5));
                proxy.delayMillis(0);

                waitUntil(() -> sync.entitiesNeedingReconciliation().isEmpty() && agrees(sf), Duration.ofSeconds(40));
                assertEquals(Set.of(), sync.entitiesNeedingReconciliation());
                CacheAgreesWithDatabase.assertAgrees(sf, true);
                assertTrue(logs.text().contains("auto-reconcile of Account started (the repair queue overflowed)"),
                        logs.text());
                assertTrue(!logs.text().contains("auto-reconcile of Profile"), "only the model that overflowed");
            } finally {
                sf.close();
            }
        }
    }

    static boolean agrees(SessionFactory sf) {
        try {
            CacheAgreesWithDatabase.assertAgrees(sf, true);
            return true;
        } catch (AssertionError | RuntimeException e) {
            return false;
        }
    }
}
