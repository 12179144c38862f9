package io.cachesync.hibernate;

import io.cachesync.core.monitor.MonitorSettings;
import io.cachesync.testsupport.LogCapture;
import io.cachesync.testsupport.RedisProcess;
import org.hibernate.SessionFactory;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static io.cachesync.hibernate.RedisOutageNeverFailsACommitTest.waitUntil;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * On a Redis Cluster the monitor watches the run_id of every master: when a master dies and its replica takes
 * over, the writes the replica never received are lost, and the node reconciles every model by itself, so the
 * lost keys come back without anybody calling the Reconciler.
 */
class ClusterFailoverIsReconciledByItselfTest extends ClusterTestBase {

    @Test
    void aMasterReplacedByALaggingReplicaIsReconciledWithoutAManualRun() throws Exception {
        try (LogCapture logs = new LogCapture();
             SessionFactory sf = TestNodes.node(TestNodes.newDatabase(), redis.uri(), true, s -> {
                 s.put(MonitorSettings.AUTO_RECONCILE, "true");
                 s.put(MonitorSettings.AUTO_RECONCILE_CHECK_INTERVAL, "200ms");
                 s.put(MonitorSettings.AUTO_RECONCILE_PAUSE, "5ms");
                 s.put("cachesync.repair.max-backoff", "200ms");
                 s.put("cachesync.redis.timeout", "1s");
             })) {
            CacheSync sync = CacheSync.of(sf);
            sf.inTransaction(s -> {
                for (long id = 0; id < 100; id++) {
                    s.persist(new Account(id, "owner" + id, BigDecimal.ZERO));
                }
            });
            waitUntil(() -> sync.pendingRepairs() == 0 && sync.localTierServing(), Duration.ofSeconds(10));
            Thread.sleep(600); // the monitor has read the masters' run_ids

            RedisProcess victim = redis.cluster.masters().get(0);
            RedisProcess heir = redis.cluster.replicasOf(victim).get(0);
            // what the victim acknowledges from now on never reaches its replica
            heir.pause();
            victim.cli("CLIENT", "KILL", "TYPE", "replica");
            sf.inTransaction(s -> {
                for (long id = 100; id < 160; id++) {
                    s.persist(new Account(id, "inserted before the failover", BigDecimal.ONE));
                }
            });
            victim.kill();
            heir.resume();
            redis.cluster.awaitHealthy(3, TimeUnit.SECONDS.toMillis(30));

            waitUntil(() -> {
                try {
                    CacheAgreesWithDatabase.assertAgrees(sf, true);
                    return true;
                } catch (AssertionError | RuntimeException e) {
                    return false; // not repaired yet, or the client still routes to the dead master
                }
            }, Duration.ofSeconds(30));
            assertTrue(logs.text().contains("restarted or was replaced (run_id"), logs.text());
            assertTrue(logs.text().contains("auto-reconcile of Account started (Redis restarted (run_id changed))"),
                    logs.text());
            CacheAgreesWithDatabase.assertAgrees(sf, true);
        }
    }
}
