package io.cachesync.hibernate;

import io.cachesync.testsupport.DelayingProxy;
import io.cachesync.testsupport.RedisExtension;
import io.cachesync.testsupport.TestRedis;
import io.lettuce.core.RedisURI;
import org.hibernate.SessionFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;

import static io.cachesync.hibernate.RedisOutageNeverFailsACommitTest.waitUntil;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A push that failed is retried from the repair queue; when Redis then refuses it because it holds a newer version
 * (or, for an insert, a later row), the node must let go of its own, older local copy, exactly as when the first
 * push is refused. Else the node serves that copy until expire-after-write, if no invalidation comes to replace it.
 */
@ExtendWith(RedisExtension.class)
class ARetriedPushThatRedisRefusesLeavesNoOlderCopyServedTest {

    @Test
    void aRefusedRetryDemotesTheLocalCopy(TestRedis redis) throws Exception {
        try (DelayingProxy proxy = new DelayingProxy(RedisURI.create(redis.uri()).getPort(), 0);
             SessionFactory sf = TestNodes.node(TestNodes.newDatabase(), proxy.uri(), true, s -> {
                 s.put("cachesync.redis.timeout", "100ms");
                 s.put("cachesync.repair.max-backoff", "200ms");
             })) {
            CacheSync sync = CacheSync.of(sf);
            waitUntil(sync::localTierServing, Duration.ofSeconds(10));
            var schema = sync.runtime().entity(Account.class).schema();

            proxy.delayMillis(400); // slower than the timeout: the insert's push fails and is queued
            sf.inTransaction(s -> s.persist(new Account(9, "mine", BigDecimal.ONE)));
            waitUntil(() -> sync.pendingRepairs() == 1, Duration.ofSeconds(5));
            assertTrue(sync.runtime().cache().localSnapshot(schema, 9L).isPresent(), "read-your-writes");

            // meanwhile Redis took a newer version, whose invalidation this node never hears of
            new DriftInjection(sf, redis).plantSnapshot(Account.class, 9L, 3, Instant.now(),
                    Map.of("owner", "newer", "balance", BigDecimal.TEN, "status", Account.Status.OPEN));
            proxy.delayMillis(0);
            waitUntil(() -> sync.pendingRepairs() == 0, Duration.ofSeconds(10));

            assertTrue(sync.runtime().cache().localSnapshot(schema, 9L).isEmpty(),
                    "the refused retry left the node's older copy in its local tier");
            assertEquals(3, sync.runtime().cache().localVersion(schema, 9L), "a floor at Redis' version");
        }
    }
}
