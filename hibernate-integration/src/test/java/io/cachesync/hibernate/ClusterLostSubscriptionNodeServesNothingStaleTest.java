package io.cachesync.hibernate;

import io.cachesync.testsupport.RedisProcess;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.time.Duration;

import static io.cachesync.hibernate.RedisOutageNeverFailsACommitTest.waitUntil;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * On a Redis Cluster each application node subscribes to the invalidation channel on one cluster node. When that
 * cluster node dies, the application node clears and bypasses its local tier (as with one Redis), Lettuce
 * resubscribes on another cluster node, the tier serves again, and every later commit on one application node is
 * seen by the other: no stale value, no lasting bypass.
 */
class ClusterLostSubscriptionNodeServesNothingStaleTest extends ClusterTestBase {


    @Test
    void killingTheSubscribedNodeClearsTheLocalTierAndInvalidationsResumeElsewhere() throws Exception {
        try (TwoNodes nodes = new TwoNodes(redis.uri(), s -> s.put("cachesync.repair.max-backoff", "200ms")).ready()) {
            nodes.a.inTransaction(s -> {
                for (long id = 0; id < 20; id++) {
                    s.persist(new Account(id, "owner" + id, BigDecimal.ZERO));
                }
            });
            for (long id = 0; id < 20; id++) {
                nodes.syncA.find(Account.class, id).orElseThrow();
                nodes.syncB.find(Account.class, id).orElseThrow(); // both local tiers hold v0
            }
            RedisProcess subscribed = null;
            for (RedisProcess node : redis.cluster.running()) {
                if (!node.cli("CLIENT", "LIST", "TYPE", "pubsub").isBlank()) {
                    subscribed = node;
                    break;
                }
            }
            assertTrue(subscribed != null, "some cluster node holds the subscriptions");
            boolean wasMaster = subscribed.cli("ROLE").startsWith("master");
            long clearsBefore = nodes.syncA.statistics().localClears() + nodes.syncB.statistics().localClears();

            subscribed.kill();
            waitUntil(() -> nodes.syncA.statistics().localClears() + nodes.syncB.statistics().localClears()
                    > clearsBefore, Duration.ofSeconds(10));
            long dropped = System.nanoTime();
            waitUntil(() -> nodes.syncA.localTierServing() && nodes.syncB.localTierServing(), Duration.ofSeconds(20));
            long backMillis = (System.nanoTime() - dropped) / 1_000_000;
            if (wasMaster) {
                redis.cluster.awaitHealthy(3, 30_000); // its replica takes over its slots
            }

            for (int round = 1; round <= 2; round++) {
                for (long id = 0; id < 20; id++) {
                    long n = id;
                    long expected = round;
                    var writer = round == 1 ? nodes.a : nodes.b;
                    CacheSync reader = round == 1 ? nodes.syncB : nodes.syncA;
                    writer.inTransaction(s -> s.find(Account.class, n).setBalance(BigDecimal.valueOf(expected)));
                    waitUntil(() -> reader.find(Account.class, n).orElseThrow().getVersion() == expected,
                            Duration.ofSeconds(10));
                }
            }
            System.out.printf("[cluster] killed cluster node %d (%s) holding invalidation subscriptions: local tiers "
                            + "cleared, serving again %d ms later; 40 later commits each seen by the other node%n",
                    subscribed.port(), wasMaster ? "a master" : "a replica", backMillis);
            waitUntil(() -> nodes.syncA.pendingRepairs() + nodes.syncB.pendingRepairs() == 0, Duration.ofSeconds(30));
            CacheAgreesWithDatabase.assertAgrees(nodes.a, true);
            assertEquals(0, Reconciler.of(nodes.a).checkOnly(true).run().inconsistent());
        }
    }
}
