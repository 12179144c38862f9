package io.cachesync.testsupport;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Gives every test a real Redis, flushed before each test: the one named by {@code REDIS_URL} if set (it must be
 * a database you can flush); else a private {@code redis-server} on a free loopback port (the one on the PATH, or
 * the binary shipped in the embedded-redis jar), started once per test run and stopped when the JVM exits.
 * Tests that kill or restart Redis start their own {@link LocalRedisServer} instead.
 *
 * <p>With the system property {@code cachesync.test.redis=cluster} the same tests run against a Redis Cluster
 * instead: a private {@link LocalRedisCluster} of three masters and three replicas, started once per test run
 * (or {@code REDIS_URL}, if that names a {@code redis-cluster://}). Without redis-server and redis-cli on the
 * PATH those tests are skipped, saying why: a suite that did not run on a cluster must not look as if it had.
 */
public final class RedisExtension implements BeforeEachCallback, ParameterResolver {

    /** The system property that selects the kind of Redis; {@value #CLUSTER} for a Redis Cluster. */
    public static final String KIND_PROPERTY = "cachesync.test.redis";
    public static final String CLUSTER = "cluster";

    private static TestRedis shared;

    /** True when this test run asked for a Redis Cluster. */
    public static boolean clusterMode() {
        return CLUSTER.equalsIgnoreCase(System.getProperty(KIND_PROPERTY, "").trim());
    }

    static synchronized TestRedis shared() {
        if (shared == null) {
            String url = System.getenv("REDIS_URL");
            boolean urlGiven = url != null && !url.isBlank();
            if (clusterMode()) {
                if (givenClusterUrl() != null) {
                    shared = new TestRedis(givenClusterUrl(), "REDIS_URL");
                } else {
                    if (urlGiven) {
                        System.out.println("[tests] REDIS_URL is not a redis-cluster:// URI: ignored in cluster mode");
                    }
                    shared = startCluster();
                }
            } else if (urlGiven) {
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

    /** {@code REDIS_URL} if it names a Redis Cluster, else null. */
    private static String givenClusterUrl() {
        String url = System.getenv("REDIS_URL");
        return url != null && url.trim().toLowerCase(java.util.Locale.ROOT).matches("rediss?-cluster://.+")
                ? url.trim() : null;
    }

    private static TestRedis startCluster() {
        long start = System.nanoTime();
        try {
            LocalRedisCluster cluster = LocalRedisCluster.start(3, 1);
            Runtime.getRuntime().addShutdownHook(new Thread(cluster::close, "redis-test-cluster-stop"));
            return new TestRedis(cluster.uri(), "a private Redis Cluster, 3 masters + 3 replicas, up in "
                    + (System.nanoTime() - start) / 1_000_000 + " ms");
        } catch (java.io.IOException e) {
            throw new IllegalStateException("cannot start a Redis Cluster for the tests: " + e.getMessage(), e);
        }
    }

    private static boolean toolsMissingSaid;

    /**
     * Skips the test (each one, so that surefire counts and names every skip) when a cluster was asked for and
     * cannot be started here.
     */
    private static synchronized void assumeClusterToolsIfAsked() {
        if (clusterMode() && givenClusterUrl() == null && !RedisProcess.toolsAvailable()) {
            String why = "cachesync.test.redis=cluster: redis-server and redis-cli are needed on the PATH to start a "
                    + "local Redis Cluster; skipped, not run on a cluster";
            if (!toolsMissingSaid) {
                toolsMissingSaid = true;
                System.out.println("[tests] " + why);
            }
            Assumptions.abort(why);
        }
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        assumeClusterToolsIfAsked();
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
