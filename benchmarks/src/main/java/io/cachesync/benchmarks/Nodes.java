package io.cachesync.benchmarks;

import io.cachesync.core.CacheSyncSettings;
import io.cachesync.hibernate.CacheSyncIntegrator;
import io.micrometer.core.instrument.MeterRegistry;
import org.hibernate.SessionFactory;
import org.hibernate.StatelessSession;
import org.hibernate.Transaction;
import org.hibernate.boot.MetadataSources;
import org.hibernate.boot.registry.StandardServiceRegistry;
import org.hibernate.boot.registry.StandardServiceRegistryBuilder;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Builds the SessionFactories the benchmarks compare, each over its own H2 in-memory database holding the same
 * {@value #ROWS} accounts. Every factory gets the same connection settings; only the caching differs.
 */
final class Nodes {

    static final int ROWS = 10_000;
    /** Every in-process tier (cachesync's, the raw Caffeine floor, JCache's) holds this many entries at most. */
    static final int LOCAL_MAXIMUM_SIZE = 20_000;

    private static final AtomicInteger DATABASES = new AtomicInteger();

    private Nodes() {
    }

    /** Hibernate without any cache. */
    static SessionFactory plain() {
        Map<String, Object> settings = base();
        settings.put("hibernate.cache.use_second_level_cache", "false");
        return build(settings);
    }

    /**
     * Hibernate with cachesync on; {@code extra} holds further {@code cachesync.*} keys. Its meters go to
     * {@code meters}, so that a benchmark can check which tier served it.
     */
    static SessionFactory cachesync(String redisUri, Map<String, String> extra, MeterRegistry meters) {
        Map<String, Object> settings = base();
        settings.put(CacheSyncIntegrator.METER_REGISTRY, meters);
        settings.put("hibernate.cache.use_second_level_cache", "false");
        settings.put(CacheSyncSettings.REDIS_URI, redisUri);
        settings.put(CacheSyncSettings.LOCAL_MAXIMUM_SIZE, Integer.toString(LOCAL_MAXIMUM_SIZE));
        settings.putAll(extra);
        // e.g. -jvmArgsAppend -Dcachesync.monitor.sample-rate=0: any cachesync setting, for an A/B run
        System.getProperties().forEach((key, value) -> {
            if (key.toString().startsWith("cachesync.")) {
                settings.put(key.toString(), value.toString());
            }
        });
        return build(settings);
    }

    /**
     * Hibernate's second-level cache on JCache, backed by Caffeine: {@code hibernate.cache.region.factory_class=jcache}
     * with Caffeine's caching provider. The region {@value Account#REGION} is declared in {@code application.conf}
     * (store by reference, bounded), so the missing-cache strategy stays at its default, {@code fail}.
     */
    static SessionFactory jcache() {
        Map<String, Object> settings = base();
        settings.put("hibernate.cache.use_second_level_cache", "true");
        settings.put("hibernate.cache.use_query_cache", "false");
        settings.put("hibernate.cache.region.factory_class", "jcache");
        settings.put("hibernate.javax.cache.provider", "com.github.benmanes.caffeine.jcache.spi.CaffeineCachingProvider");
        return build(settings);
    }

    /** Fails unless the JCache region of the accounts stores entries by reference, as application.conf asks. */
    static void requireStoreByReference() {
        javax.cache.CacheManager manager = javax.cache.Caching
                .getCachingProvider("com.github.benmanes.caffeine.jcache.spi.CaffeineCachingProvider").getCacheManager();
        javax.cache.Cache<?, ?> cache = manager.getCache(Account.REGION);
        if (cache == null || cache.getConfiguration(javax.cache.configuration.CompleteConfiguration.class)
                .isStoreByValue()) {
            throw new IllegalStateException("the JCache region " + Account.REGION + " is missing or stores by value");
        }
    }

    /**
     * Hibernate's second-level cache on Redisson's region factory, as Redisson's documentation sets it up: the
     * open-source {@code RedissonRegionFactory}, a Redisson YAML config pointing at the benchmark's Redis, and
     * fallback to the database when Redis is unavailable.
     */
    static SessionFactory redisson(String redisUri) {
        Map<String, Object> settings = base();
        settings.put("hibernate.cache.use_second_level_cache", "true");
        settings.put("hibernate.cache.use_query_cache", "false");
        settings.put("hibernate.cache.region.factory_class", "org.redisson.hibernate.RedissonRegionFactory");
        settings.put("hibernate.cache.redisson.fallback", "true");
        settings.put("hibernate.cache.redisson.config", redissonConfig(redisUri).toString());
        return build(settings);
    }

    private static Path redissonConfig(String redisUri) {
        try {
            Path file = Files.createTempFile("redisson", ".yaml");
            file.toFile().deleteOnExit();
            Files.writeString(file, "singleServerConfig:\n  address: \"" + redisUri + "\"\n");
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Map<String, Object> base() {
        Map<String, Object> settings = new HashMap<>();
        settings.put("hibernate.connection.url",
                "jdbc:h2:mem:bench" + DATABASES.incrementAndGet() + ";DB_CLOSE_DELAY=-1");
        settings.put("hibernate.connection.username", "sa");
        settings.put("hibernate.connection.password", "");
        settings.put("hibernate.connection.pool_size", "8");
        settings.put("hibernate.hbm2ddl.auto", "create-drop");
        settings.put("hibernate.show_sql", "false");
        settings.put("hibernate.jdbc.batch_size", "500");
        return settings;
    }

    private static SessionFactory build(Map<String, Object> settings) {
        StandardServiceRegistry registry = new StandardServiceRegistryBuilder().applySettings(settings).build();
        SessionFactory factory;
        try {
            factory = new MetadataSources(registry).addAnnotatedClass(Account.class).buildMetadata()
                    .buildSessionFactory();
        } catch (RuntimeException e) {
            StandardServiceRegistryBuilder.destroy(registry);
            throw e;
        }
        populate(factory);
        return factory;
    }

    /** Inserts accounts 1..{@value #ROWS} in one transaction. */
    private static void populate(SessionFactory factory) {
        try (StatelessSession session = factory.openStatelessSession()) {
            Transaction tx = session.beginTransaction();
            for (long id = 1; id <= ROWS; id++) {
                session.insert(new Account(id, "owner-" + id, "owner" + id + "@example.com", 100_00L + id,
                        id % 10 == 0 ? "FROZEN" : "OPEN"));
            }
            tx.commit();
        }
    }
}
