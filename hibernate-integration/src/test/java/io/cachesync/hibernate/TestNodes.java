package io.cachesync.hibernate;

import io.cachesync.core.CacheSyncSettings;
import io.cachesync.core.monitor.MonitorSettings;
import org.hibernate.SessionFactory;
import org.hibernate.boot.MetadataSources;
import org.hibernate.boot.registry.StandardServiceRegistry;
import org.hibernate.boot.registry.StandardServiceRegistryBuilder;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * Builds application nodes (SessionFactories) for tests: H2 in memory by default, one database per test, shared
 * by every node built for it.
 */
final class TestNodes {

    private static final AtomicInteger DATABASES = new AtomicInteger();

    private TestNodes() {
    }

    /** A fresh database name: nodes built with the same name share one database. */
    static String newDatabase() {
        return "jdbc:h2:mem:cachesync" + DATABASES.incrementAndGet() + ";DB_CLOSE_DELAY=-1";
    }

    /** The settings of a node with cachesync on, against {@code redisUri}; {@code extra} may add or override. */
    static Map<String, Object> settings(String jdbcUrl, String redisUri, boolean createSchema) {
        Map<String, Object> settings = new HashMap<>();
        settings.put("hibernate.connection.url", jdbcUrl);
        settings.put("hibernate.connection.username", "sa");
        settings.put("hibernate.connection.password", "");
        settings.put("hibernate.connection.pool_size", "24");
        settings.put("hibernate.hbm2ddl.auto", createSchema ? "create-drop" : "none");
        settings.put("hibernate.show_sql", "false");
        if (redisUri != null) {
            settings.put(CacheSyncSettings.REDIS_URI, redisUri);
        }
        // The monitor and automatic repair are switched off by default here: most tests inject drift on purpose
        // and assert what the Reconciler finds. The Monitor* tests switch them on.
        settings.put(MonitorSettings.SAMPLE_RATE, "0");
        settings.put(MonitorSettings.REPAIR, "false");
        settings.put(MonitorSettings.AUTO_RECONCILE, "false");
        return settings;
    }

    static SessionFactory node(String jdbcUrl, String redisUri, boolean createSchema) {
        return node(settings(jdbcUrl, redisUri, createSchema));
    }

    static SessionFactory node(String jdbcUrl, String redisUri, boolean createSchema,
                               Consumer<Map<String, Object>> tweak) {
        Map<String, Object> settings = settings(jdbcUrl, redisUri, createSchema);
        tweak.accept(settings);
        return node(settings);
    }

    static SessionFactory node(Map<String, Object> settings) {
        StandardServiceRegistry registry = new StandardServiceRegistryBuilder().applySettings(settings).build();
        try {
            return new MetadataSources(registry)
                    .addAnnotatedClass(Account.class)
                    .addAnnotatedClass(Profile.class)
                    .addAnnotatedClass(Note.class)
                    .buildMetadata()
                    .buildSessionFactory();
        } catch (RuntimeException e) {
            StandardServiceRegistryBuilder.destroy(registry);
            throw e;
        }
    }

    static Map<String, Object> copy(Map<String, Object> settings) {
        return new HashMap<>(settings);
    }
}
