package io.cachesync.examples;

import io.cachesync.testsupport.LocalRedisServer;

import java.io.IOException;

/**
 * The Redis the demo talks to: {@code REDIS_URL} if set, else a private redis-server on a free loopback port (the
 * one on the PATH, else the binary shipped in the embedded-redis jar), stopped when the demo ends, Ctrl-C included.
 */
final class DemoRedis implements AutoCloseable {

    private final String uri;
    private final String description;
    private final LocalRedisServer started;

    private DemoRedis(String uri, String description, LocalRedisServer started) {
        this.uri = uri;
        this.description = description;
        this.started = started;
    }

    static DemoRedis findOrStart() throws IOException {
        String url = System.getenv("REDIS_URL");
        if (url != null && !url.isBlank()) {
            return new DemoRedis(url, "REDIS_URL (" + io.cachesync.core.CacheSyncSettings.masked(url) + ")", null);
        }
        LocalRedisServer server = LocalRedisServer.start();
        Thread stopper = new Thread(server::close, "demo-redis-stop");
        Runtime.getRuntime().addShutdownHook(stopper);
        return new DemoRedis(server.uri(), "a private " + server.source() + " on " + server.uri(), server);
    }

    String uri() {
        return uri;
    }

    String description() {
        return description;
    }

    @Override
    public void close() {
        if (started != null) {
            started.close();
        }
    }
}
