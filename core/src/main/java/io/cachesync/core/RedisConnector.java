package io.cachesync.core;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisChannelHandler;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisConnectionStateListener;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.SslOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulRedisConnection;
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
 * Owns the Lettuce client and its two connections (commands, and pub/sub for invalidations).
 *
 * <p>Redis being unreachable at startup does not fail the application: the connector logs one warning, keeps
 * trying in the background with a capped backoff, and calls back once connected. After the first connection
 * Lettuce reconnects by itself; while disconnected, commands are rejected at once instead of queued, so that no
 * caller waits on a Redis that is not there.
 */
final class RedisConnector implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(RedisConnector.class);
    static final RedisCodec<String, byte[]> CODEC = RedisCodec.of(StringCodec.UTF8, ByteArrayCodec.INSTANCE);

    private final CacheSyncSettings settings;
    private final ClientResources resources;
    private final RedisClient client;
    private final ScheduledExecutorService scheduler;
    private final Runnable onCommandsConnected;
    private final Consumer<StatefulRedisPubSubConnection<String, String>> onPubSubConnected;
    private final Runnable onPubSubLost;

    private volatile StatefulRedisConnection<String, byte[]> commands;
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
        this.client = RedisClient.create(resources, settings.redisUri());
        client.setOptions(ClientOptions.builder()
                .autoReconnect(true)
                .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                .timeoutOptions(TimeoutOptions.enabled(settings.redisTimeout()))
                .socketOptions(SocketOptions.builder().connectTimeout(connectTimeout(settings)).build())
                .sslOptions(sslOptions(settings))
                .build());
        client.addListener(new RedisConnectionStateListener() {
            @Override
            public void onRedisConnected(RedisChannelHandler<?, ?> connection, SocketAddress address) {
                if (connection == commands) {
                    commandsUp = true;
                    log.info("cachesync reconnected to Redis at {}", settings.redisUriForLogs());
                    onCommandsConnected.run();
                }
            }

            @Override
            public void onRedisDisconnected(RedisChannelHandler<?, ?> connection) {
                if (connection == commands) {
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
                StatefulRedisConnection<String, byte[]> connection = client.connect(CODEC);
                commands = connection;
                commandsUp = true;
                onCommandsConnected.run();
            }
            if (pubSub == null) {
                StatefulRedisPubSubConnection<String, String> connection = client.connectPubSub(StringCodec.UTF8);
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

    /** The command connection, or null while Redis has never been reached. */
    StatefulRedisConnection<String, byte[]> commands() {
        return commands;
    }

    /** True while the command connection is open. */
    boolean available() {
        return commandsUp && commands != null && !closed;
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
