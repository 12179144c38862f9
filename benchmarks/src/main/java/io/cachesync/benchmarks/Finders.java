package io.cachesync.benchmarks;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.cachesync.core.CacheSyncMetrics;
import io.cachesync.core.CacheSyncSettings;
import io.cachesync.hibernate.CacheSync;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.codec.StringCodec;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.hibernate.Session;
import org.hibernate.SessionFactory;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/**
 * The subjects of {@link FindBenchmark}: cachesync's {@code find} on each tier, its floors (raw Caffeine, raw
 * Lettuce) and its peers (Hibernate's second-level cache on JCache/Caffeine and on Redisson). Each one owns what it
 * opened and closes it, Redis server included. Each is warmed at construction so that every id is a hit of the
 * tier it is meant to measure, and checks that it is.
 */
final class Finders {

    private Finders() {
    }

    static Finder open(FindBenchmark.Subject subject) {
        return switch (subject) {
            case CAFFEINE_GET_IF_PRESENT -> new RawCaffeine();
            case CACHESYNC_LOCAL_HIT -> new CacheSyncFinder(true);
            case HIBERNATE_JCACHE -> {
                SecondLevelCache finder = new SecondLevelCache(Nodes.jcache(), null);
                Nodes.requireStoreByReference();
                yield finder;
            }
            case LETTUCE_GET -> new RawLettuce();
            case CACHESYNC_REDIS_HIT -> new CacheSyncFinder(false);
            case HIBERNATE_REDISSON -> {
                BenchmarkRedis redis = BenchmarkRedis.start();
                try {
                    yield new SecondLevelCache(Nodes.redisson(redis.uri()), redis);
                } catch (RuntimeException e) {
                    redis.close();
                    throw e;
                }
            }
        };
    }

    /** Floor of the local tier: a Caffeine cache built like cachesync's, holding the loaded accounts. */
    static final class RawCaffeine implements Finder {

        private final Cache<Object, Object> cache = Caffeine.newBuilder()
                .maximumSize(Nodes.LOCAL_MAXIMUM_SIZE)
                .expireAfterWrite(Duration.ofMinutes(10))
                .build();

        RawCaffeine() {
            SessionFactory factory = Nodes.plain();
            try (Session session = factory.openSession()) {
                for (long id = 1; id <= Nodes.ROWS; id++) {
                    Long key = id;
                    cache.put(key, session.find(Account.class, key));
                }
            } finally {
                factory.close();
            }
        }

        @Override
        public Object find(Long id) {
            return cache.getIfPresent(id);
        }

        @Override
        public void close() {
            cache.invalidateAll();
        }
    }

    /** cachesync's {@code find}, served by the local tier ({@code local = true}) or by Redis ({@code false}). */
    static final class CacheSyncFinder implements Finder {

        private final BenchmarkRedis redis;
        private final MeterRegistry meters = new SimpleMeterRegistry();
        private final SessionFactory factory;
        private final CacheSync sync;
        private final boolean local;

        CacheSyncFinder(boolean local) {
            this.local = local;
            this.redis = BenchmarkRedis.start();
            try {
                Map<String, String> extra = new HashMap<>();
                extra.put(CacheSyncSettings.LOCAL_ENABLED, Boolean.toString(local));
                this.factory = Nodes.cachesync(redis.uri(), extra, meters);
                this.sync = CacheSync.of(factory);
                if (local) {
                    Warmup.awaitLocalTierServing(sync);
                }
                for (long id = 1; id <= Nodes.ROWS; id++) {
                    sync.find(Account.class, id).orElseThrow();
                }
                double before = reads(local ? "local" : "redis", "hit");
                for (long id = 1; id <= Nodes.ROWS; id++) {
                    sync.find(Account.class, id).orElseThrow();
                }
                double hits = reads(local ? "local" : "redis", "hit") - before;
                if (hits != Nodes.ROWS) {
                    throw new IllegalStateException("after warm-up, " + hits + " of " + Nodes.ROWS + " finds hit the "
                            + (local ? "local tier" : "Redis") + "; the benchmark would not measure what it claims");
                }
            } catch (RuntimeException e) {
                redis.close();
                throw e;
            }
        }

        private double reads(String tier, String result) {
            return meters.get(CacheSyncMetrics.READS).tag("tier", tier).tag("result", result).functionCounter().count();
        }

        @Override
        public Object find(Long id) {
            return sync.find(Account.class, id).orElseThrow();
        }

        @Override
        public void close() {
            try {
                System.out.printf("%n[cachesync find] reads: local hit %.0f, local miss %.0f, redis hit %.0f, "
                                + "redis miss %.0f%n", reads("local", "hit"), reads("local", "miss"),
                        reads("redis", "hit"), reads("redis", "miss"));
                factory.close();
            } finally {
                redis.close();
            }
        }
    }

    /** Floor of the Redis tier: one synchronous Lettuce GET of the very bytes cachesync stores under the key. */
    static final class RawLettuce implements Finder {

        private final BenchmarkRedis redis;
        private final RedisClient client;
        private final StatefulRedisConnection<String, byte[]> connection;
        private final RedisCommands<String, byte[]> commands;
        private final Map<Long, String> keys = new HashMap<>();

        RawLettuce() {
            this.redis = BenchmarkRedis.start();
            try {
                // cachesync fills Redis with the snapshots; then it is closed and only the bytes remain
                Map<String, String> extra = Map.of(CacheSyncSettings.LOCAL_ENABLED, "false");
                SessionFactory factory = Nodes.cachesync(redis.uri(), extra, new SimpleMeterRegistry());
                try {
                    CacheSync sync = CacheSync.of(factory);
                    for (long id = 1; id <= Nodes.ROWS; id++) {
                        sync.find(Account.class, id).orElseThrow();
                        keys.put(id, sync.key(Account.class, id));
                    }
                } finally {
                    factory.close();
                }
                this.client = RedisClient.create(redis.uri());
                this.connection = client.connect(RedisCodec.of(StringCodec.UTF8, ByteArrayCodec.INSTANCE));
                this.commands = connection.sync();
                for (String key : keys.values()) {
                    if (commands.get(key) == null) {
                        throw new IllegalStateException("no snapshot under " + key);
                    }
                }
            } catch (RuntimeException e) {
                redis.close();
                throw e;
            }
        }

        @Override
        public Object find(Long id) {
            return commands.get(keys.get(id));
        }

        @Override
        public void close() {
            try {
                connection.close();
                client.shutdown();
            } finally {
                redis.close();
            }
        }
    }

    /** Hibernate's {@code session.find} in a new session, served by the second-level cache. */
    static final class SecondLevelCache implements Finder {

        private final SessionFactory factory;
        private final BenchmarkRedis redis;

        SecondLevelCache(SessionFactory factory, BenchmarkRedis redis) {
            this.factory = factory;
            this.redis = redis;
            Warmup.loadEveryRow(factory);
            Warmup.requireCached(factory);
        }

        @Override
        public Object find(Long id) {
            try (Session session = factory.openSession()) {
                return session.find(Account.class, id);
            }
        }

        @Override
        public void close() {
            try {
                factory.close();
            } finally {
                if (redis != null) {
                    redis.close();
                }
            }
        }
    }
}
