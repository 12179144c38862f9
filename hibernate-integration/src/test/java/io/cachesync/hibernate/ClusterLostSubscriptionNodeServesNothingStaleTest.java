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
            RedisProcess heir = null; // the replica that takes over the killed master's slots
            if (wasMaster) {
                for (RedisProcess node : redis.cluster.running()) {
                    String role = node.cli("ROLE");
                    if (role.startsWith("slave") && role.contains("\n" + subscribed.port() + "\n")) {
                        heir = node;
                    }
                }
                assertTrue(heir != null, "the killed master has a replica");
            }
            long clearsBefore = nodes.syncA.statistics().localClears() + nodes.syncB.statistics().localClears();

            subscribed.kill();
            waitUntil(() -> nodes.syncA.statistics().localClears() + nodes.syncB.statistics().localClears()
                    > clearsBefore, Duration.ofSeconds(10));
            long dropped = System.nanoTime();
            waitUntil(() -> nodes.syncA.localTierServing() && nodes.syncB.localTierServing(), Duration.ofSeconds(20));
            long backMillis = (System.nanoTime() - dropped) / 1_000_000;
            if (wasMaster) {
                // right after the kill the others still call the cluster healthy: wait for the promotion itself
                RedisProcess promoted = heir;
                waitUntil(() -> {
                    try {
                        return promoted.cli("ROLE").startsWith("master");
                    } catch (java.io.IOException e) {
                        return false;
                    }
                }, Duration.ofSeconds(30));
                redis.cluster.awaitHealthy(3, 30_000);
            }

            for (int round = 1; round <= 2; round++) {
                for (long id = 0; id < 20; id++) {
                    long n = id;
                    long expected = round;
                    var writer = round == 1 ? nodes.a : nodes.b;
                    CacheSync reader = round == 1 ? nodes.syncB : nodes.syncA;
                    writer.inTransaction(s -> s.find(Account.class, n).setBalance(BigDecimal.valueOf(expected)));
                    // a push to a slot whose owner changed is retried from the repair queue once Lettuce's topology
                    // refresh finds the new master
                    waitUntil(() -> reader.find(Account.class, n).orElseThrow().getVersion() == expected,
                            Duration.ofSeconds(30));
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
