package io.cachesync.core;

import io.cachesync.testsupport.RedisExtension;
import io.cachesync.testsupport.TestRedis;
import io.lettuce.core.ScoredValue;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The hot-key table behind cache warming: one read in N sampled, never more than its capacity, counts halved by
 * each decay; and the shared hot set in Redis, which decays by the time elapsed whoever publishes.
 */
@ExtendWith(RedisExtension.class)
class WarmHotKeysAreSampledBoundedAndDecayingTest {

    private static final RedisKeys KEYS = new RedisKeys("cachesync");

    private static String key(long id) {
        return "cachesync:Account:" + id;
    }

    @Test
    void aboutOneReadInNIsSampled() {
        HotKeys hot = new HotKeys(KEYS, 16, 100, () -> { });
        int sampled = 0;
        for (int i = 0; i < 1_600_000; i++) {
            if (hot.sampled()) {
                sampled++;
            }
        }
        assertTrue(sampled > 95_000 && sampled < 105_000, "sampled " + sampled + " of 1,600,000 at 1 in 16");
        assertTrue(new HotKeys(KEYS, 1, 100, () -> { }).sampled(), "1 in 1 samples every read");
    }

    private static long allocatedBytes() {
        return ((com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean())
                .getThreadAllocatedBytes(Thread.currentThread().getId());
    }

    /** With every read sampled, a local-tier hit of a key the table tracks still allocates nothing. */
    @Test
    void aSampledLocalHitOfATrackedKeyAllocatesNothing(TestRedis redis) throws Exception {
        CacheSyncSettings settings = CacheSyncSettings.builder(redis.uri()).warmEnabled(true).warmSampleOneIn(1)
                .build();
        try (SnapshotCache cache = new SnapshotCache(settings, new SimpleMeterRegistry())) {
            SnapshotLoader loader = id -> Optional.of(TestSchemas.account((Long) id, 0, "owner" + id));
            cache.register(TestSchemas.ACCOUNT, loader);
            cache.startWarming();
            long deadline = System.nanoTime() + 10_000_000_000L;
            Long id = 7L;
            while (cache.localSnapshot(TestSchemas.ACCOUNT, id).isEmpty() && System.nanoTime() < deadline) {
                cache.get(TestSchemas.ACCOUNT, id, loader); // until the tier serves and holds the row
                Thread.sleep(10);
            }
            for (int i = 0; i < 20_000; i++) {
                cache.get(TestSchemas.ACCOUNT, id, loader);
            }
            long hitsBefore = cache.statistics().localHits();
            long before = allocatedBytes();
            for (int i = 0; i < 100_000; i++) {
                cache.get(TestSchemas.ACCOUNT, id, loader);
            }
            long allocated = allocatedBytes() - before;
            assertEquals(100_000, cache.statistics().localHits() - hitsBefore, "every read a local-tier hit");
            assertTrue(allocated < 10_000, allocated + " bytes allocated by 100,000 sampled local hits");
        }
    }

    @Test
    void theTableIsBoundedAndAFullTableAsksForADecay() {
        AtomicInteger full = new AtomicInteger();
        HotKeys hot = new HotKeys(KEYS, 1, 10, full::incrementAndGet);
        for (long id = 1; id <= 25; id++) {
            hot.record(TestSchemas.ACCOUNT, id);
        }
        assertEquals(10, hot.size());
        assertEquals(15, full.get(), "each key that found the table full asked for a decay");
        hot.record(TestSchemas.ACCOUNT, 1L);
        assertEquals(2, hot.top(1).get(0).count.get(), "a tracked key still counts when the table is full");
    }

    @Test
    void decayHalvesCountsForgetsColdKeysAndTopRanksByCount() {
        HotKeys hot = new HotKeys(KEYS, 1, 100, () -> { });
        for (long id = 1; id <= 5; id++) {
            for (int n = 0; n < id * 4; n++) {
                hot.record(TestSchemas.ACCOUNT, id);
            }
        }
        hot.record(TestSchemas.ACCOUNT, 99L);
        List<HotKeys.Counter> top = hot.top(3);
        assertEquals(List.of(key(5), key(4), key(3)), top.stream().map(c -> c.key).toList());
        hot.decay();
        assertEquals(10, hot.top(1).get(0).count.get());
        assertEquals(5, hot.size(), "a key read once is forgotten by the first decay");
        for (int i = 0; i < 5; i++) {
            hot.decay();
        }
        assertEquals(0, hot.size(), "keys nobody reads any more leave the table");
    }

    @Test
    void theSharedSetSumsNodesAndDecaysWithTheTimeElapsed(TestRedis redis) throws Exception {
        CacheSyncSettings settings = CacheSyncSettings.builder(redis.uri()).warmEnabled(true).warmSampleOneIn(1)
                .warmTopK(3).warmHalfLife(Duration.ofMillis(200)).warmStartupWait(Duration.ofSeconds(5)).build();
        try (SnapshotCache nodeA = new SnapshotCache(settings, new SimpleMeterRegistry());
             SnapshotCache nodeB = new SnapshotCache(settings, new SimpleMeterRegistry())) {
            SnapshotLoader loader = id -> Optional.of(TestSchemas.account((Long) id, 0, "owner" + id));
            for (SnapshotCache node : List.of(nodeA, nodeB)) {
                node.register(TestSchemas.ACCOUNT, loader);
                node.startWarming();
            }
            for (long id = 1; id <= 5; id++) {
                for (int n = 0; n < id * 10; n++) {
                    nodeA.get(TestSchemas.ACCOUNT, id, loader);
                }
            }
            for (int n = 0; n < 100; n++) {
                nodeB.get(TestSchemas.ACCOUNT, 1L, loader);
            }
            nodeA.warmer.publish();
            nodeB.warmer.publish();
            List<ScoredValue<String>> set = redis.commands().zrevrangeWithScores("cachesync:hot-keys", 0, -1);
            assertEquals(key(1), set.get(0).getValue(), "node B's reads of Account#1 add to node A's: " + set);
            assertEquals(List.of(key(1), key(5), key(4), key(3)), set.subList(0, 4).stream().map(ScoredValue::getValue)
                    .toList(), "each node publishes its top 3");
            double before = set.get(0).getScore();
            assertTrue(before >= 100 && before <= 110, "scores are sampled reads: " + set);
            assertTrue(set.get(set.size() - 1).getValue().startsWith(HotSetScript.MARKER_PREFIX), set.toString());
            assertTrue(redis.commands().pttl("cachesync:hot-keys") > 0, "the set expires if nobody publishes");

            Thread.sleep(600); // three half-lives
            nodeA.warmer.publish(); // nothing new was read: it only decays the set
            assertEquals(before, redis.commands().zscore("cachesync:hot-keys", key(1)), 0.001,
                    "a publish with nothing new sampled leaves the set alone");
            nodeB.get(TestSchemas.ACCOUNT, 1L, loader);
            nodeB.warmer.publish();
            double after = redis.commands().zscore("cachesync:hot-keys", key(1));
            assertTrue(after < before / 4 && after > 1, "decayed by the time elapsed: " + before + " -> " + after);

            // a publish never repeats what it already added: only what was sampled since counts
            nodeB.warmer.publish();
            assertEquals(after, redis.commands().zscore("cachesync:hot-keys", key(1)), 0.2);
            assertFalse(redis.commands().zrange("cachesync:hot-keys", 0, -1).contains(key(99)));
        }
    }
}
