package io.cachesync.core;

import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Map;
import java.util.function.Function;

/**
 * Applies the invalidations that the versioned-write script publishes ({@code "<version> <entity> <id>"}, the version prefixed with {@code i} for an insert) to
 * this node's local tier, and bypasses the tier whenever the channel is not known to be live: from a disconnect
 * until Redis confirms the (re)subscription.
 */
final class InvalidationSubscriber extends RedisPubSubAdapter<String, String> {

    private static final Logger log = LoggerFactory.getLogger(InvalidationSubscriber.class);

    private final LocalTier local;
    private final String channel;
    private final Function<String, SnapshotSchema> schemas;
    private final CacheSyncMetrics metrics;
    /** Told each time the local tier serves again, from empty (e.g. to warm it); null when nobody listens. */
    private volatile Runnable onServing;
    private final WarnThrottle malformedWarnings = new WarnThrottle(10, java.util.concurrent.TimeUnit.SECONDS);
    /**
     * Test hook: when set, each invalidation is handed to it instead of being applied, so that a test can make
     * one arrive late (as over a busy cluster bus) without blocking Lettuce's thread. Null in production.
     */
    volatile java.util.function.Consumer<Runnable> held;

    InvalidationSubscriber(LocalTier local, String channel, Map<String, SnapshotSchema> schemas,
                           CacheSyncMetrics metrics) {
        this.local = local;
        this.channel = channel;
        this.schemas = schemas::get;
        this.metrics = metrics;
    }

    void onServing(Runnable listener) {
        this.onServing = listener;
    }

    void attach(StatefulRedisPubSubConnection<String, String> connection) {
        connection.addListener(this);
        connection.async().subscribe(channel);
    }

    @Override
    public void subscribed(String subscribedChannel, long count) {
        if (channel.equals(subscribedChannel)) {
            // Whatever was published while we were not subscribed is lost: start from empty.
            local.resume();
            log.info("cachesync invalidation channel {} is live; local tier serving", channel);
            Runnable listener = onServing;
            if (listener != null) {
                listener.run();
            }
        }
    }

    void channelLost() {
        if (!local.bypassed()) {
            metrics.localClears.increment();
        }
        local.clearAndBypass();
        log.warn("cachesync invalidation channel {} dropped; local tier cleared and bypassed until it is back",
                channel);
    }

    @Override
    public void message(String fromChannel, String message) {
        if (!channel.equals(fromChannel)) {
            return;
        }
        int first = message.indexOf(' ');
        int second = first < 0 ? -1 : message.indexOf(' ', first + 1);
        if (second < 0) {
            malformed(message, null);
            return;
        }
        SnapshotSchema schema = schemas.apply(message.substring(first + 1, second));
        if (schema == null) {
            return; // an entity this node does not map
        }
        try {
            boolean insert = message.charAt(0) == 'i';
            long version = Long.parseLong(message.substring(insert ? 1 : 0, first));
            Object id = SnapshotCodec.parseId(schema.idType(), message.substring(second + 1));
            metrics.invalidationsReceived.increment();
            java.util.function.Consumer<Runnable> hold = held;
            if (hold != null) {
                hold.accept(() -> local.invalidate(schema.entityName(), id, version, insert));
                return;
            }
            local.invalidate(schema.entityName(), id, version, insert);
        } catch (RuntimeException e) {
            malformed(message, e);
        }
    }

    /** Someone else publishes on our channel, or a node runs an incompatible version: say so, without a flood. */
    private void malformed(String message, RuntimeException cause) {
        long heldBack = malformedWarnings.letThrough();
        if (heldBack >= 0) {
            log.warn("cachesync ignored a malformed invalidation on {}: \"{}\"{}{}", channel,
                    message.length() > 100 ? message.substring(0, 100) + "…" : message,
                    cause == null ? "" : " (" + cause + ")",
                    heldBack == 0 ? "" : "; " + heldBack + " more ignored since the last warning");
        }
    }
}
