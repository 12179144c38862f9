package io.cachesync.testsupport;

import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Gives every test a real Redis, flushed before each test: the one named by {@code REDIS_URL} if set (it must be
 * a database you can flush); else a private {@code redis-server} on a free loopback port (the one on the PATH, or
 * the binary shipped in the embedded-redis jar), started once per test run and stopped when the JVM exits.
 * Tests that kill or restart Redis start their own {@link LocalRedisServer} instead.
 */
public final class RedisExtension implements BeforeEachCallback, ParameterResolver {

    private static TestRedis shared;

    static synchronized TestRedis shared() {
        if (shared == null) {
            String url = System.getenv("REDIS_URL");
            if (url != null && !url.isBlank()) {
                shared = new TestRedis(url, "REDIS_URL");
            } else {
                try {
                    LocalRedisServer server = LocalRedisServer.start();
                    Runtime.getRuntime().addShutdownHook(new Thread(server::close, "redis-test-server-stop"));
                    shared = new TestRedis(server.uri(), server.source());
                } catch (java.io.IOException e) {
                    throw new IllegalStateException("cannot start a Redis for the tests: " + e.getMessage(), e);
                }
            }
            System.out.println("[tests] Redis: " + shared.uri() + " — " + shared.source());
        }
        return shared;
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        shared().commands().flushdb();
    }

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext extension) {
        return parameter.getParameter().getType() == TestRedis.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext extension) {
        return shared();
    }
}
