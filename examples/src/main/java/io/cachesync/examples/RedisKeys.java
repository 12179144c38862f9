package io.cachesync.examples;

import io.cachesync.hibernate.CacheSync;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;

import java.util.function.Function;

/** The demo's direct access to Redis, as an operator's redis-cli would have: read, delete and plant raw values. */
final class RedisKeys {

    private final CacheSync sync;

    RedisKeys(CacheSync sync) {
        this.sync = sync;
    }

    String get(Class<?> type, Object id) {
        return withRedis(redis -> redis.sync().get(sync.key(type, id)));
    }

    void delete(Class<?> type, Object id) {
        withRedis(redis -> redis.sync().del(sync.key(type, id)));
        sync.clearLocalTier();
    }

    void set(Class<?> type, Object id, String value) {
        withRedis(redis -> redis.sync().set(sync.key(type, id), value));
        sync.clearLocalTier();
    }

    private <T> T withRedis(Function<StatefulRedisConnection<String, String>, T> action) {
        RedisClient client = RedisClient.create(sync.settings().redisUri());
        try (StatefulRedisConnection<String, String> connection = client.connect()) {
            return action.apply(connection);
        } finally {
            client.shutdown();
        }
    }
}
