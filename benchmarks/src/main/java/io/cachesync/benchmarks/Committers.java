package io.cachesync.benchmarks;

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
import org.hibernate.Transaction;

import java.util.Map;

/**
 * The subjects of {@link CommitBenchmark}. Every one runs the same unit of work through Hibernate: open a session,
 * begin, {@code find} the account, change its balance, commit, close. Only what happens around the commit differs.
 */
final class Committers {

    private Committers() {
    }

    static Committer open(CommitBenchmark.Subject subject) {
        return switch (subject) {
            case HIBERNATE -> new PlainHibernate(Nodes.plain(), null);
            case HIBERNATE_PLUS_LETTUCE_ROUND_TRIP -> new PlainHibernatePlusRoundTrip();
            case CACHESYNC_SYNC -> new CacheSyncCommitter("sync");
            case CACHESYNC_ASYNC -> new CacheSyncCommitter("async");
            case HIBERNATE_REDISSON -> {
                BenchmarkRedis redis = BenchmarkRedis.start();
                try {
                    SessionFactory factory = Nodes.redisson(redis.uri());
                    Warmup.loadEveryRow(factory);
                    Warmup.requireCached(factory);
                    yield new PlainHibernate(factory, redis);
                } catch (RuntimeException e) {
                    redis.close();
                    throw e;
                }
            }
        };
    }

    /** The unit of work itself. */
    static void updateBalance(SessionFactory factory, Long id) {
        try (Session session = factory.openSession()) {
            Transaction tx = session.beginTransaction();
            Account account = session.find(Account.class, id);
            account.setBalanceCents(account.getBalanceCents() + 1);
            tx.commit();
        }
    }

    /** Hibernate as configured (no cache, or a second-level-cache peer), nothing else. */
    static final class PlainHibernate implements Committer {

        private final SessionFactory factory;
        private final BenchmarkRedis redis;

        PlainHibernate(SessionFactory factory, BenchmarkRedis redis) {
            this.factory = factory;
            this.redis = redis;
        }

        @Override
        public void commitOneUpdate(Long id) {
            updateBalance(factory, id);
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

    /**
     * The floor of a synchronous push: plain Hibernate's commit, then one raw Lettuce round trip that carries a
     * snapshot-sized value ({@code SET} of the bytes cachesync stores for that row).
     */
    static final class PlainHibernatePlusRoundTrip implements Committer {

        private final SessionFactory factory;
        private final BenchmarkRedis redis;
        private final RedisClient client;
        private final StatefulRedisConnection<String, byte[]> connection;
        private final RedisCommands<String, byte[]> commands;
        private final String[] keys = new String[Nodes.ROWS + 1];
        private final byte[][] values = new byte[Nodes.ROWS + 1][];

        PlainHibernatePlusRoundTrip() {
            this.redis = BenchmarkRedis.start();
            try {
                SessionFactory filler = Nodes.cachesync(redis.uri(), Map.of(CacheSyncSettings.LOCAL_ENABLED, "false"),
                        new SimpleMeterRegistry());
                try {
                    CacheSync sync = CacheSync.of(filler);
                    for (int id = 1; id <= Nodes.ROWS; id++) {
                        sync.find(Account.class, (long) id).orElseThrow();
                        keys[id] = sync.key(Account.class, (long) id);
                    }
                } finally {
                    filler.close();
                }
                this.client = RedisClient.create(redis.uri());
                this.connection = client.connect(RedisCodec.of(StringCodec.UTF8, ByteArrayCodec.INSTANCE));
                this.commands = connection.sync();
                for (int id = 1; id <= Nodes.ROWS; id++) {
                    values[id] = commands.get(keys[id]);
                }
                this.factory = Nodes.plain();
            } catch (RuntimeException e) {
                redis.close();
                throw e;
            }
        }

        @Override
        public void commitOneUpdate(Long id) {
            updateBalance(factory, id);
            int row = id.intValue();
            commands.set(keys[row], values[row]);
        }

        @Override
        public void close() {
            try {
                factory.close();
                connection.close();
                client.shutdown();
            } finally {
                redis.close();
            }
        }
    }

    /** Hibernate with cachesync on, in the given push mode; Redis already holds every row. */
    static final class CacheSyncCommitter implements Committer {

        private final BenchmarkRedis redis;
        private final MeterRegistry meters = new SimpleMeterRegistry();
        private final SessionFactory factory;

        CacheSyncCommitter(String pushMode) {
            this.redis = BenchmarkRedis.start();
            try {
                this.factory = Nodes.cachesync(redis.uri(), Map.of(CacheSyncSettings.PUSH_MODE, pushMode), meters);
                CacheSync sync = CacheSync.of(factory);
                Warmup.awaitLocalTierServing(sync);
                for (long id = 1; id <= Nodes.ROWS; id++) {
                    sync.find(Account.class, id).orElseThrow();
                }
            } catch (RuntimeException e) {
                redis.close();
                throw e;
            }
        }

        private double pushes(String result) {
            return meters.get(CacheSyncMetrics.PUSHES).tag("result", result).functionCounter().count();
        }

        @Override
        public void commitOneUpdate(Long id) {
            updateBalance(factory, id);
        }

        @Override
        public void close() {
            try {
                System.out.printf("%n[cachesync commit] pushes: written %.0f, refused %.0f, failed %.0f; "
                        + "pending repairs %d%n", pushes("written"), pushes("refused"), pushes("failed"),
                        CacheSync.of(factory).pendingRepairs());
                factory.close();
            } finally {
                redis.close();
            }
        }
    }
}
