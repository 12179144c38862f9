package io.cachesync.hibernate;

/** Deletes keys behind cachesync's back, through its own connection, and clears the local tier. */
final class TestRedisKeys {

    private final CacheSync sync;

    TestRedisKeys(CacheSync sync) {
        this.sync = sync;
    }

    void delete(Class<?> type, Object id) {
        io.lettuce.core.RedisClient client = io.lettuce.core.RedisClient.create(sync.settings().redisUri());
        try (var connection = client.connect()) {
            connection.sync().del(sync.key(type, id));
        } finally {
            client.shutdown();
        }
        sync.cache().clearLocalTier();
    }
}
