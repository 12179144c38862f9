package io.cachesync.hibernate;

import io.cachesync.testsupport.LocalRedisServer;
import io.cachesync.testsupport.RedisExtension;
import io.cachesync.testsupport.TestRedis;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.math.BigDecimal;
import java.time.Duration;

import static io.cachesync.hibernate.RedisOutageNeverFailsACommitTest.waitUntil;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Invariant 4, when the channel breaks: a node whose invalidation connection drops clears and bypasses its local
 * tier until the subscription is confirmed again, so an update it could not hear about is never served stale.
 */
@ExtendWith(RedisExtension.class)
class LostInvalidationChannelServesNothingStaleTest {

    @Test
    void aKilledPubSubConnectionClearsTheLocalTier(TestRedis redis) throws Exception {
        try (TwoNodes nodes = new TwoNodes(redis.uri()).ready()) {
            nodes.a.inTransaction(s -> s.persist(new Account(1, "ann", BigDecimal.ONE)));
            for (int round = 1; round <= 20; round++) {
                assertEquals(round - 1, nodes.syncB.find(Account.class, 1L).orElseThrow().getVersion());
                // a fill that races an invalidation is refused, so the local copy may take another read
                waitUntil(() -> nodes.syncB.find(Account.class, 1L).isPresent()
                        && nodes.syncB.cache().localSnapshot(nodes.syncB.runtime().entity(Account.class).schema(), 1L)
                        .isPresent(), Duration.ofSeconds(5));
                long clears = nodes.syncB.cache().localClears();
                // cut every subscriber: the invalidation of the next update cannot reach node B
                redis.killClients(io.lettuce.core.KillArgs.Builder.typePubsub()); // on every node of a cluster
                waitUntil(() -> nodes.syncB.cache().localClears() > clears, Duration.ofSeconds(5));
                int expected = round;
                nodes.a.inTransaction(s -> s.find(Account.class, 1L).setOwner("owner" + expected));
                assertEquals(round, nodes.syncB.find(Account.class, 1L).orElseThrow().getVersion(),
                        "node B served a stale row after losing its channel");
                waitUntil(() -> nodes.syncB.localTierServing(), Duration.ofSeconds(10));
            }
        }
    }

    @Test
    void aRedisRestartedEmptyClearsEveryNodeAndReadsRefillIt() throws Exception {
        try (LocalRedisServer redis = LocalRedisServer.start()) {
            try (TwoNodes nodes = new TwoNodes(redis.uri(), s -> s.put("cachesync.repair.max-backoff", "300ms")).ready()) {
                for (long id = 1; id <= 10; id++) {
                    long n = id;
                    nodes.a.inTransaction(s -> s.persist(new Account(n, "owner" + n, BigDecimal.ONE)));
                    nodes.syncB.find(Account.class, n);
                }
                redis.restart(); // data lost
                waitUntil(() -> nodes.syncB.cache().localClears() > 0 && nodes.syncA.cache().localClears() > 0,
                        Duration.ofSeconds(10));
                // while Redis was away the row changed behind the nodes' backs
                nodes.a.inTransaction(s -> s.createMutationQuery("update Account set owner = 'sql', version = version + 1 "
                        + "where id = 3").executeUpdate());
                waitUntil(() -> nodes.syncA.localTierServing() && nodes.syncB.localTierServing(), Duration.ofSeconds(10));
                for (long id = 1; id <= 10; id++) {
                    assertTrue(nodes.syncB.find(Account.class, id).isPresent());
                }
                assertEquals("sql", nodes.syncB.find(Account.class, 3L).orElseThrow().getOwner());
                assertEquals("sql", nodes.syncA.find(Account.class, 3L).orElseThrow().getOwner());
                CacheAgreesWithDatabase.assertAgrees(nodes.a, true); // the reads refilled every key
            }
        }
    }
}
