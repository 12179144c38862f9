package io.cachesync.core;

import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisChannelHandler;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisConnectionStateListener;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.SslOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.cluster.ClusterClientOptions;
import io.lettuce.core.cluster.ClusterTopologyRefreshOptions;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.Delay;
import io.lettuce.core.resource.DefaultClientResources;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.SocketAddress;
import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Owns the Lettuce client and its two connections (commands, and pub/sub for invalidations): a
 * {@link RedisClient} for one Redis (or a Sentinel-managed master), a {@link RedisClusterClient} for
 * {@code redis-cluster://}. Both hand out the same command interface, {@link RedisClusterAsyncCommands}: on a
 * cluster, Lettuce routes each single-key command (the versioned-write script, GET) by slot and splits MGET by
 * slot, and {@link #scanTargets()} hands out one connection per master, so that a SCAN walks each one in turn.
 *
 * <p>Redis being unreachable at startup does not fail the application: the connector logs one warning, keeps
 * trying in the background with a capped backoff, and calls back once connected. After the first connection
 * Lettuce reconnects by itself; while disconnected, commands are rejected at once instead of queued, so that no
 * caller waits on a Redis that is not there.
 */
final class RedisConnector implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(RedisConnector.class);
    static final RedisCodec<String, byte[]> CODEC = RedisCodec.of(StringCodec.UTF8, ByteArrayCodec.INSTANCE);

    /** How often the cluster topology is re-read even when nothing suggests it changed. */
    static final Duration TOPOLOGY_REFRESH_PERIOD = Duration.ofSeconds(10);
    /** The shortest gap between two topology reads triggered by redirects, reconnects or uncovered slots. */
    static final Duration ADAPTIVE_REFRESH_GAP = Duration.ofSeconds(1);

    private final CacheSyncSettings settings;
    private final ClientResources resources;
    private final AbstractRedisClient client;
    private final ScheduledExecutorService scheduler;
    private final Runnable onCommandsConnected;
    private final Consumer<StatefulRedisPubSubConnection<String, String>> onPubSubConnected;
    private final Runnable onPubSubLost;

    private volatile StatefulConnection<String, byte[]> commands;
    private volatile RedisClusterAsyncCommands<String, byte[]> async;
    private volatile StatefulRedisPubSubConnection<String, String> pubSub;
    private volatile boolean commandsUp;
    private volatile boolean closed;
    private long retryDelayMillis = 100;

    RedisConnector(CacheSyncSettings settings, ScheduledExecutorService scheduler, Runnable onCommandsConnected,
                   Consumer<StatefulRedisPubSubConnection<String, String>> onPubSubConnected, Runnable onPubSubLost) {
        this.settings = settings;
        this.scheduler = scheduler;
        this.onCommandsConnected = onCommandsConnected;
        this.onPubSubConnected = onPubSubConnected;
        this.onPubSubLost = onPubSubLost;
        this.resources = DefaultClientResources.builder().ioThreadPoolSize(2).computationThreadPoolSize(2)
                .reconnectDelay(Delay.exponential(Duration.ofMillis(10), settings.repairMaxBackoff(), 2,
                        TimeUnit.MILLISECONDS))
                .build();
        if (settings.cluster()) {
            RedisClusterClient cluster = RedisClusterClient.create(resources, settings.clusterSeeds());
            cluster.setOptions(ClusterClientOptions.builder()
                    .autoReconnect(true)
                    .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                    .timeoutOptions(TimeoutOptions.enabled(settings.redisTimeout()))
                    .socketOptions(SocketOptions.builder().connectTimeout(connectTimeout(settings)).build())
                    .sslOptions(sslOptions(settings))
                    .topologyRefreshOptions(ClusterTopologyRefreshOptions.builder()
                            .enablePeriodicRefresh(TOPOLOGY_REFRESH_PERIOD)
                            .enableAllAdaptiveRefreshTriggers()
                            .adaptiveRefreshTriggersTimeout(ADAPTIVE_REFRESH_GAP)
                            .build())
                    .build());
            this.client = cluster;
            resources.eventBus().get().subscribe(event -> {
                if (event instanceof io.lettuce.core.cluster.event.ClusterTopologyChangedEvent
                        && commands instanceof StatefulRedisClusterConnection<String, byte[]> connection && !closed) {
                    log.info("cachesync sees a new Redis Cluster topology; connecting to its masters");
                    connectToEveryMaster(connection, false);
                }
            });
        } else {
            RedisClient single = RedisClient.create(resources, settings.redisUri());
            single.setOptions(ClientOptions.builder()
                    .autoReconnect(true)
                    .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                    .timeoutOptions(TimeoutOptions.enabled(settings.redisTimeout()))
                    .socketOptions(SocketOptions.builder().connectTimeout(connectTimeout(settings)).build())
                    .sslOptions(sslOptions(settings))
                    .build());
            this.client = single;
        }
        boolean cluster = settings.cluster();
        client.addListener(new RedisConnectionStateListener() {
            @Override
            public void onRedisConnected(RedisChannelHandler<?, ?> connection, SocketAddress address) {
                if (cluster) {
                    // one node's connection is back (or a new master's is up): pushes queued while its slots
                    // were unreachable can go now
                    if (connection != pubSub && commands != null && !closed) {
                        onCommandsConnected.run();
                    }
                } else if (connection == commands) {
                    commandsUp = true;
                    log.info("cachesync reconnected to Redis at {}", settings.redisUriForLogs());
                    onCommandsConnected.run();
                }
            }

            @Override
            public void onRedisDisconnected(RedisChannelHandler<?, ?> connection) {
                // On a cluster, losing one node fails only the commands for its slots (rejected at once, so
                // queued for repair) until a replica takes over and the topology is re-read: the cache as a
                // whole stays available. Only the invalidation channel is watched.
                if (connection == commands && !cluster) {
                    commandsUp = false;
                    if (!closed) {
                        log.warn("cachesync lost its Redis connection to {}; commits go on, their keys are queued "
                                + "for repair until Redis is back", settings.redisUriForLogs());
                    }
                } else if (connection == pubSub && !closed) {
                    onPubSubLost.run();
                }
            }
        });
    }

    /** For rediss://: the configured certificate authorities, else the JVM's default trust store. */
    private static SslOptions sslOptions(CacheSyncSettings settings) {
        SslOptions.Builder ssl = SslOptions.builder().jdkSslProvider();
        if (settings.tlsCaFile() != null) {
            ssl.trustManager(settings.tlsCaFile().toFile());
        }
        return ssl.build();
    }

    /** Connecting may take longer than a command, but never so long that a blackholed host stalls startup. */
    private static Duration connectTimeout(CacheSyncSettings settings) {
        Duration fiveCommands = settings.redisTimeout().multipliedBy(5);
        return fiveCommands.compareTo(Duration.ofSeconds(1)) < 0 ? Duration.ofSeconds(1) : fiveCommands;
    }

    /**
     * Lettuce opens a cluster node's connection on the first command for its slots, and commands that find it
     * still connecting are rejected (we reject rather than queue while disconnected): so connect to every master
     * up front, and again to new masters whenever the topology changes (a failover).
     */
    private static void connectToEveryMaster(StatefulRedisClusterConnection<String, byte[]> connection,
                                             boolean wait) {
        for (io.lettuce.core.cluster.models.partitions.RedisClusterNode node : connection.getPartitions()) {
            if (node.is(io.lettuce.core.cluster.models.partitions.RedisClusterNode.NodeFlag.UPSTREAM)
                    && !node.hasNoSlots()) {
                // by host and port: the key under which slot routing looks the connection up
                var pending = connection.getConnectionAsync(node.getUri().getHost(), node.getUri().getPort());
                if (wait) {
                    try {
                        pending.get(5, TimeUnit.SECONDS);
                    } catch (Exception e) {
                        log.debug("cachesync could not connect to cluster node {}: {}", node.getUri(), e.toString());
                    }
                }
            }
        }
    }

    /** Connects now, or, if Redis is unreachable, logs one warning and keeps trying in the background. */
    void start() {
        if (!tryConnect()) {
            log.warn("cachesync cannot reach Redis at {}; the application starts without the cache and reads go to "
                    + "the database. Retrying in the background; committed changes are queued and pushed once Redis "
                    + "is reachable.", settings.redisUriForLogs());
            scheduleRetry();
        }
    }

    private synchronized boolean tryConnect() {
        if (closed) {
            return true;
        }
        try {
            if (commands == null) {
                if (client instanceof RedisClusterClient cluster) {
                    StatefulRedisClusterConnection<String, byte[]> connection = cluster.connect(CODEC);
                    connectToEveryMaster(connection, true);
                    async = connection.async();
                    commands = connection;
                } else {
                    StatefulRedisConnection<String, byte[]> connection = ((RedisClient) client).connect(CODEC);
                    async = connection.async();
                    commands = connection;
                }
                commandsUp = true;
                onCommandsConnected.run();
            }
            if (pubSub == null) {
                // on a cluster: a connection to one node (any node: PUBLISH reaches every node of the cluster),
                // re-established on another node if that one goes away
                StatefulRedisPubSubConnection<String, String> connection = client instanceof RedisClusterClient c
                        ? c.connectPubSub(StringCodec.UTF8)
                        : ((RedisClient) client).connectPubSub(StringCodec.UTF8);
                pubSub = connection;
                onPubSubConnected.accept(connection);
            }
            return true;
        } catch (RuntimeException e) {
            log.debug("cachesync could not connect to Redis at {}: {}", settings.redisUriForLogs(), e.toString());
            return false;
        }
    }

    private void scheduleRetry() {
        if (closed) {
            return;
        }
        long delay = retryDelayMillis;
        retryDelayMillis = Math.min(retryDelayMillis * 2, settings.repairMaxBackoff().toMillis());
        scheduler.schedule(() -> {
            if (tryConnect()) {
                log.info("cachesync connected to Redis at {}", settings.redisUriForLogs());
            } else {
                scheduleRetry();
            }
        }, delay, TimeUnit.MILLISECONDS);
    }

    /**
     * The commands of the command connection (one Redis, or the whole cluster routed by slot), or null while
     * Redis has never been reached.
     */
    RedisClusterAsyncCommands<String, byte[]> async() {
        return async;
    }

    /**
     * Where a full SCAN must go: the one Redis, or, on a cluster, each master of the current topology (a
     * connection of its own, so that every master's cursor is walked to its end). Throws when the topology known
     * to the client does not cover all 16384 slots, so that a scan never silently skips a master.
     */
    java.util.List<RedisClusterAsyncCommands<String, byte[]>> scanTargets() throws RedisUnavailableException {
        RedisClusterAsyncCommands<String, byte[]> redis = async;
        if (!(commands instanceof StatefulRedisClusterConnection<String, byte[]> cluster)) {
            return java.util.List.of(redis);
        }
        java.util.List<RedisClusterAsyncCommands<String, byte[]>> masters = new java.util.ArrayList<>();
        java.util.BitSet covered = new java.util.BitSet(16384);
        for (io.lettuce.core.cluster.models.partitions.RedisClusterNode node : cluster.getPartitions()) {
            if (node.is(io.lettuce.core.cluster.models.partitions.RedisClusterNode.NodeFlag.UPSTREAM)
                    && !node.hasNoSlots()) {
                node.forEachSlot(covered::set);
                // the connection that slot routing uses too (looked up by host and port)
                masters.add(cluster.getConnection(node.getUri().getHost(), node.getUri().getPort()).async());
            }
        }
        if (covered.cardinality() != 16384) {
            throw new RedisUnavailableException("the cluster topology covers " + covered.cardinality()
                    + " of 16384 slots; a scan would miss keys", null);
        }
        return masters;
    }

    /** True while the command connection is open. */
    boolean available() {
        return commandsUp && async != null && !closed;
    }

    Duration timeout() {
        return settings.redisTimeout();
    }

    @Override
    public synchronized void close() {
        closed = true;
        try {
            if (pubSub != null) {
                pubSub.close();
            }
            if (commands != null) {
                commands.close();
            }
        } finally {
            client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
            resources.shutdown(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(3000);
        }
    }
}
