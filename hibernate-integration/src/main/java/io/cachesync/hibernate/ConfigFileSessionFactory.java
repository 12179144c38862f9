package io.cachesync.hibernate;

import io.cachesync.core.CacheSyncSettings;
import org.hibernate.SessionFactory;
import org.hibernate.boot.MetadataSources;
import org.hibernate.boot.registry.StandardServiceRegistry;
import org.hibernate.boot.registry.StandardServiceRegistryBuilder;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;

/**
 * Builds the SessionFactory of a standalone {@code reconcile} run from a {@code hibernate.properties} file: the
 * JDBC and {@code cachesync.*} settings, and the entity classes named by {@value ReconcileCommand#ENTITIES_KEY}.
 * The schema is never created, updated or dropped, whatever the file says: a reconciliation only reads the
 * database.
 */
final class ConfigFileSessionFactory {

    private ConfigFileSessionFactory() {
    }

    static SessionFactory open(Path file) {
        Properties properties = new Properties();
        try (Reader reader = Files.newBufferedReader(file)) {
            properties.load(reader);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read --config file " + file + ": " + e);
        }
        if (!CacheSyncSettings.enabledBy(toMap(properties))) {
            throw new IllegalArgumentException(file + " does not set " + CacheSyncSettings.REDIS_URI
                    + " (for example redis://127.0.0.1:6379)");
        }
        String entities = properties.getProperty(ReconcileCommand.ENTITIES_KEY, "").trim();
        if (entities.isEmpty()) {
            throw new IllegalArgumentException(file + " does not name the entity classes: set "
                    + ReconcileCommand.ENTITIES_KEY + "=com.acme.Account,com.acme.Profile");
        }
        Map<String, Object> settings = toMap(properties);
        settings.put("hibernate.hbm2ddl.auto", "none");
        settings.put("jakarta.persistence.schema-generation.database.action", "none");
        StandardServiceRegistry registry = new StandardServiceRegistryBuilder().applySettings(settings).build();
        try {
            MetadataSources sources = new MetadataSources(registry);
            for (String name : entities.split(",")) {
                sources.addAnnotatedClass(load(name.trim()));
            }
            return sources.buildMetadata().buildSessionFactory();
        } catch (RuntimeException e) {
            StandardServiceRegistryBuilder.destroy(registry);
            throw e;
        }
    }

    private static Class<?> load(String className) {
        ClassLoader loader = Thread.currentThread().getContextClassLoader();
        try {
            return Class.forName(className, false, loader != null ? loader : ConfigFileSessionFactory.class.getClassLoader());
        } catch (ClassNotFoundException | LinkageError e) {
            throw new IllegalArgumentException("entity class " + className + " named in " + ReconcileCommand.ENTITIES_KEY
                    + " is not on the class path");
        }
    }

    private static Map<String, Object> toMap(Properties properties) {
        Map<String, Object> map = new HashMap<>();
        for (String name : properties.stringPropertyNames()) {
            map.put(name, properties.getProperty(name).trim());
        }
        return map;
    }
}
