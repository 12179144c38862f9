package io.cachesync.testsupport;

import io.cachesync.core.CacheSyncSettings;
import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.KillArgs;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import io.lettuce.core.cluster.models.partitions.RedisClusterNode;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;

/**
 * The Redis a test runs against (see {@link RedisExtension}): one Redis, or a Redis Cluster when the URI says
 * {@code redis-cluster://}, with a plain Lettuce connection for the test's own inspections and injections.
 *
 * <p>{@link #commands()} is typed {@link RedisClusterCommands}, the interface both kinds share, so that a test
 * reads the same on both. On a cluster it is Lettuce's advanced cluster API: single-key commands are routed by
 * slot, and KEYS, DBSIZE, FLUSHDB and FLUSHALL cover every master. Commands that act on the server a connection
 * happens to reach (CLIENT KILL, CLIENT LIST, INFO) do not; {@link #killClients} covers every node.
 */
public final class TestRedis implements AutoCloseable {

    private final String uri;
    private final String source;
    private final AbstractRedisClient client;
    private final StatefulConnection<String, String> connection;
    private final RedisClusterCommands<String, String> commands;
    private StatefulConnection<byte[], byte[]> binary;

    TestRedis(String uri, String source) {
        this.uri = uri;
        this.source = source;
        // the same parser cachesync itself uses, so that the test and the code under test see the same nodes
        CacheSyncSettings settings = CacheSyncSettings.builder(uri).build();
        if (settings.cluster()) {
            RedisClusterClient cluster = RedisClusterClient.create(settings.clusterSeeds());
            StatefulRedisClusterConnection<String, String> c = cluster.connect();
            this.client = cluster;
            this.connection = c;
            this.commands = c.sync();
        } else {
            RedisClient single = RedisClient.create(uri);
            StatefulRedisConnection<String, String> c = single.connect();
            this.client = single;
            this.connection = c;
            this.commands = c.sync();
        }
    }

    /**
     * A connection of the test's own to the Redis (or cluster) at {@code uri}, for tests that reach a node's
     * Redis through its settings; close it after use.
     */
    public static TestRedis open(String uri) {
        return new TestRedis(uri, "opened by the test");
    }

    public String uri() {
        return uri;
    }

    public String source() {
        return source;
    }

    /** True when this is a Redis Cluster. */
    public boolean cluster() {
        return client instanceof RedisClusterClient;
    }

    /** Synchronous commands, for the test's own reads and writes. */
    public RedisClusterCommands<String, String> commands() {
        return commands;
    }

    /** The same commands with byte-array keys and values, for bytes that are not UTF-8. Opened on first use. */
    public synchronized RedisClusterCommands<byte[], byte[]> binaryCommands() {
        if (binary == null) {
            binary = client instanceof RedisClusterClient cluster ? cluster.connect(ByteArrayCodec.INSTANCE)
                    : ((RedisClient) client).connect(ByteArrayCodec.INSTANCE);
        }
        return binary instanceof StatefulRedisClusterConnection<byte[], byte[]> c ? c.sync()
                : ((StatefulRedisConnection<byte[], byte[]>) binary).sync();
    }

    /**
     * A new pub/sub connection (the caller closes it). On a cluster it reaches one node, which is enough for
     * plain PUBLISH: the cluster bus delivers every message to every node.
     */
    public StatefulRedisPubSubConnection<String, String> connectPubSub() {
        return client instanceof RedisClusterClient cluster ? cluster.connectPubSub()
                : ((RedisClient) client).connectPubSub();
    }

    /**
     * CLIENT KILL on every node: on a cluster an application's connections are spread over the nodes (one per
     * master for commands, its subscription on any node), so killing on one node would cut only some of them.
     * Returns how many connections were killed in all.
     */
    public long killClients(KillArgs args) {
        if (!(connection instanceof StatefulRedisClusterConnection<String, String> cluster)) {
            return commands.clientKill(args);
        }
        long killed = 0;
        for (RedisClusterNode node : cluster.getPartitions()) {
            killed += cluster.sync().getConnection(node.getNodeId()).clientKill(args);
        }
        return killed;
    }

    @Override
    public synchronized void close() {
        if (binary != null) {
            binary.close();
        }
        connection.close();
        client.shutdown();
    }
}
