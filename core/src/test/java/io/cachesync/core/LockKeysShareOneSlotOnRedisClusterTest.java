package io.cachesync.core;

import io.cachesync.testsupport.LocalRedisServer;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.cluster.SlotHash;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A lock's two keys (the lock and its fence counter) always hash to one Redis Cluster slot, whatever the id holds,
 * and the lock scripts run on a real cluster-enabled Redis, which refuses any script whose keys span two slots
 * (CROSSSLOT) even when one node owns every slot.
 */
class LockKeysShareOneSlotOnRedisClusterTest {

    private static final List<String> ODD_IDS = List.of("42", "a:b", "{x}", "}", "{", "}{", "a}b", "{a}:fence", "",
            "x}:fence", " ", "日本", "cachesync:Account:1", "{cachesync:lock:Account:42}");

    @Test
    void bothKeysOfEveryLockShareASlotAndNoTwoLocksShareAKey() {
        RedisKeys keys = new RedisKeys("cachesync");
        Set<String> seen = new HashSet<>();
        for (String id : ODD_IDS) {
            String lock = keys.lockKey("Account", id);
            String fence = keys.fenceKey(lock);
            assertEquals(SlotHash.getSlot(lock), SlotHash.getSlot(fence), "id '" + id + "': " + lock + " / " + fence);
            assertTrue(seen.add(lock), "two locks share " + lock);
            assertTrue(seen.add(fence), "a fence key is another key: " + fence);
            assertFalse(lock.startsWith("cachesync:"), "never a snapshot key: " + lock);
        }
    }

    @Test
    void theLockScriptsRunOnAClusterEnabledRedis() throws Exception {
        try (LocalRedisServer server = LocalRedisServer.start("--cluster-enabled", "yes")) {
            RedisClient admin = RedisClient.create(server.uri());
            try (StatefulRedisConnection<String, String> connection = admin.connect()) {
                connection.sync().clusterAddSlotsRange(io.lettuce.core.Range.create(0, 16383));
                long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
                while (!connection.sync().clusterInfo().contains("cluster_state:ok")) {
                    assertTrue(System.nanoTime() < deadline, connection.sync().clusterInfo());
                    Thread.sleep(50);
                }
            } finally {
                admin.shutdown();
            }
            try (SnapshotCache cache = new SnapshotCache(CacheSyncSettings.builder(server.uri())
                    .redisTimeout(Duration.ofSeconds(2)).build(), // single attempts: patient on a loaded machine
                    new SimpleMeterRegistry())) {
                SnapshotSchema schema = new SnapshotSchema("Account", String.class, List.of(), List.of());
                for (String id : ODD_IDS) {
                    long first;
                    try (RedisLock lock = cache.tryLock(schema, id, Duration.ZERO).orElseThrow()) {
                        assertTrue(lock.isHeld(), id);
                        first = lock.fencingToken();
                        assertEquals(1L, cache.locks().renewScript(lock.key(), lock.owner()).get(), id);
                    }
                    RedisLock again = cache.lock(schema, id);
                    assertTrue(again.fencingToken() > first, id);
                    again.close();
                    assertFalse(again.isHeld(), id);
                }
            }
        }
    }
}
