package io.cachesync.hibernate;

import io.cachesync.core.CacheStatistics;
import io.cachesync.core.CacheSyncMetrics;
import io.cachesync.testsupport.RedisExtension;
import io.cachesync.testsupport.TestRedis;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.hibernate.SessionFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.math.BigDecimal;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;

@ExtendWith(RedisExtension.class)
class MetricsCountEveryTierTest {

    private static double count(SimpleMeterRegistry registry, String name, String... tags) {
        return registry.get(name).tags(tags).functionCounter().count();
    }

    @Test
    void readsFillsPushesAndInvalidationsAreCountedInMicrometerAndStatistics(TestRedis redis) throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (SessionFactory sf = TestNodes.node(TestNodes.newDatabase(), redis.uri(), true,
                s -> s.put("cachesync.metrics.registry", registry))) {
            CacheSync sync = CacheSync.of(sf);
            RedisOutageNeverFailsACommitTest.waitUntil(sync::localTierServing, Duration.ofSeconds(10));
            sf.inTransaction(s -> s.persist(new Account(1, "ann", BigDecimal.ONE)));
            // the commit's own invalidation comes back over the channel; let it land first, so that it cannot
            // race (and so refuse) the fill of the Redis read below
            RedisOutageNeverFailsACommitTest.waitUntil(() -> sync.statistics().invalidationsReceived() >= 1,
                    Duration.ofSeconds(5));
            sync.find(Account.class, 1L);                       // local hit: the commit filled it
            sync.clearLocalTier();
            sync.find(Account.class, 1L);                       // Redis hit
            sync.find(Account.class, 1L);                       // local hit again
            new TestRedisKeys(sync).delete(Account.class, 1L);
            sync.find(Account.class, 1L);                       // database load, then a fill
            sync.find(Account.class, 99L);                      // no such row
            redis.commands().set(sync.key(Account.class, 1L), "garbage");
            sync.clearLocalTier();
            sync.find(Account.class, 1L);                       // corrupt: a miss, a load and a fill
            RedisOutageNeverFailsACommitTest.waitUntil(() -> sync.statistics().invalidationsReceived() >= 3,
                    Duration.ofSeconds(5));

            CacheStatistics stats = sync.statistics();
            assertEquals(2, stats.localHits());
            assertEquals(4, stats.localMisses());
            assertEquals(1, stats.redisHits());
            assertEquals(3, stats.databaseLoads());
            assertEquals(2, stats.fillsWritten());
            assertEquals(1, stats.pushesWritten());
            assertEquals(1, stats.corrupt());
            assertEquals(3, stats.invalidationsSent());
            assertEquals(3, stats.invalidationsReceived());
            assertEquals(2, count(registry, CacheSyncMetrics.READS, "tier", "local", "result", "hit"));
            assertEquals(1, count(registry, CacheSyncMetrics.READS, "tier", "redis", "result", "hit"));
            assertEquals(3, count(registry, CacheSyncMetrics.READS, "tier", "database", "result", "load"));
            assertEquals(2, count(registry, CacheSyncMetrics.FILLS, "result", "written"));
            assertEquals(1, count(registry, CacheSyncMetrics.PUSHES, "result", "written"));
            assertEquals(1, count(registry, CacheSyncMetrics.CORRUPT));
            assertEquals(0, registry.get(CacheSyncMetrics.REPAIR_PENDING).gauge().value());
        }
    }
}
