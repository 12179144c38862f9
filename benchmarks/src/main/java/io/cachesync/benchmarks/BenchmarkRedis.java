package io.cachesync.benchmarks;

import io.cachesync.testsupport.LocalRedisServer;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;

import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * The Redis one benchmark fork runs against: the one named by {@code REDIS_URL} (flushed first, so point it at a
 * throwaway database), else a private {@code redis-server} on a free loopback port, stopped by {@link #close()}.
 */
final class BenchmarkRedis implements AutoCloseable {

    private final String uri;
    private final LocalRedisServer server;

    private BenchmarkRedis(String uri, LocalRedisServer server) {
        this.uri = uri;
        this.server = server;
    }

    static BenchmarkRedis start() {
        String url = System.getenv("REDIS_URL");
        if (url != null && !url.isBlank()) {
            BenchmarkRedis redis = new BenchmarkRedis(url.trim(), null);
            redis.flush();
            return redis;
        }
        try {
            return new BenchmarkRedis(null, LocalRedisServer.start());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start a redis-server for the benchmark", e);
        }
    }

    String uri() {
        return server != null ? server.uri() : uri;
    }

    private void flush() {
        RedisClient client = RedisClient.create(uri);
        try (StatefulRedisConnection<String, String> connection = client.connect()) {
            connection.sync().flushdb();
        } finally {
            client.shutdown();
        }
    }

    @Override
    public void close() {
        if (server != null) {
            server.close();
        }
    }
}
