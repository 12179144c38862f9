package io.cachesync.hibernate;

import java.net.InetSocketAddress;
import java.net.Socket;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A PostgreSQL schema of a test's own, on the server named by {@code CACHESYNC_PG_URL} (a JDBC URL; user and
 * password from {@code CACHESYNC_PG_USER} / {@code CACHESYNC_PG_PASSWORD}) or else on 127.0.0.1:5432, database
 * {@code test}, user {@code postgres}. Created for the test and dropped afterwards.
 */
final class LocalPostgres implements AutoCloseable {

    private final String url;
    private final String user;
    private final String password;
    private final String schema;

    private LocalPostgres(String url, String user, String password) throws SQLException {
        this.url = url;
        this.user = user;
        this.password = password;
        this.schema = "cachesync_test_" + Long.toHexString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE);
        try (Connection c = DriverManager.getConnection(url, user, password); Statement s = c.createStatement()) {
            s.execute("create schema " + schema);
        }
    }

    /** The server, or null (with the reason printed) when none answers. */
    static LocalPostgres open() {
        String url = System.getenv().getOrDefault("CACHESYNC_PG_URL", "jdbc:postgresql://127.0.0.1:5432/test");
        String user = System.getenv().getOrDefault("CACHESYNC_PG_USER", "postgres");
        String password = System.getenv().getOrDefault("CACHESYNC_PG_PASSWORD", "");
        if (System.getenv("CACHESYNC_PG_URL") == null && !answers("127.0.0.1", 5432)) {
            System.out.println("[tests] PostgreSQL: nothing answers on 127.0.0.1:5432 (set CACHESYNC_PG_URL): "
                    + "the PostgreSQL tests were NOT run");
            return null;
        }
        try {
            LocalPostgres pg = new LocalPostgres(url, user, password);
            System.out.println("[tests] PostgreSQL: " + url + ", schema " + pg.schema);
            return pg;
        } catch (SQLException e) {
            System.out.println("[tests] PostgreSQL at " + url + " refused us (" + e.getMessage()
                    + "): the PostgreSQL tests were NOT run");
            return null;
        }
    }

    private static boolean answers(String host, int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(host, port), 500);
            return true;
        } catch (java.io.IOException e) {
            return false;
        }
    }

    /** Settings of a node on this schema: the ones of {@link TestNodes}, with PostgreSQL's connection. */
    Map<String, Object> settings(String redisUri, boolean createSchema) {
        String onSchema = url + (url.contains("?") ? "&" : "?") + "currentSchema=" + schema;
        Map<String, Object> settings = TestNodes.settings(onSchema, redisUri, createSchema);
        settings.put("hibernate.connection.username", user);
        settings.put("hibernate.connection.password", password);
        settings.put("hibernate.default_schema", schema);
        settings.put("hibernate.connection.pool_size", "8");
        return settings;
    }

    /** A JDBC URL on this schema, for statements the test runs itself. */
    String jdbcUrl() {
        return url + (url.contains("?") ? "&" : "?") + "currentSchema=" + schema;
    }

    String user() {
        return user;
    }

    String password() {
        return password;
    }

    @Override
    public void close() throws SQLException {
        try (Connection c = DriverManager.getConnection(url, user, password); Statement s = c.createStatement()) {
            s.execute("drop schema " + schema + " cascade");
        }
    }
}
