package io.cachesync.hibernate;

import io.cachesync.core.CacheSyncSettings;

/** Deletes keys behind cachesync's back, through its own connection, and clears the local tier. */
final class TestRedisKeys {

    private final CacheSync sync;

    TestRedisKeys(CacheSync sync) {
        this.sync = sync;
    }

    void delete(Class<?> type, Object id) {
        CacheSyncSettings settings = sync.settings();
        String key = sync.key(type, id);
        if (settings.cluster()) {
            // the key may live on any master: a cluster client routes the DEL by slot
            var client = io.lettuce.core.cluster.RedisClusterClient.create(settings.clusterSeeds());
            try (var connection = client.connect()) {
                connection.sync().del(key);
            } finally {
                client.shutdown();
            }
        } else {
            io.lettuce.core.RedisClient client = io.lettuce.core.RedisClient.create(settings.redisUri());
            try (var connection = client.connect()) {
                connection.sync().del(key);
            } finally {
                client.shutdown();
            }
        }
        sync.cache().clearLocalTier();
    }
}
