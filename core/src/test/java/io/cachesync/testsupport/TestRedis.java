package io.cachesync.testsupport;

import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;

/**
 * The Redis a test runs against (see {@link RedisExtension}), with a plain Lettuce connection for the test's
 * own inspections and injections.
 */
public final class TestRedis implements AutoCloseable {

    private final String uri;
    private final String source;
    private final RedisClient client;
    private final StatefulRedisConnection<String, String> connection;

    TestRedis(String uri, String source) {
        this.uri = uri;
        this.source = source;
        this.client = RedisClient.create(uri);
        this.connection = client.connect();
    }

    public String uri() {
        return uri;
    }

    public String source() {
        return source;
    }

    /** Synchronous commands, for the test's own reads and writes. */
    public RedisCommands<String, String> commands() {
        return connection.sync();
    }

    @Override
    public void close() {
        connection.close();
        client.shutdown();
    }
}
