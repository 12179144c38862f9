package io.cachesync.core;

import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import static io.cachesync.core.RedisSnapshotStore.ascii;

/**
 * The shared hot set in Redis ({@code <prefix>:hot-keys}): a sorted set of cachesync keys scored by their sampled,
 * decayed read counts, summed over every node that publishes. Written through {@link HotSetScript}; read with
 * {@code ZREVRANGE}. Every call waits at most the store's timeout and fails at once while Redis is away or the
 * circuit breaker is open. Thread-safe.
 */
final class HotSetStore {

    private final RedisConnector connector;
    private final RedisCircuitBreaker breaker;
    private final RedisSnapshotStore store;
    private final String key;
    private final String memberPrefix;

    HotSetStore(RedisConnector connector, RedisCircuitBreaker breaker, RedisSnapshotStore store, RedisKeys keys) {
        this.connector = connector;
        this.breaker = breaker;
        this.store = store;
        this.key = keys.hotSetKey();
        this.memberPrefix = keys.prefix() + ":";
    }

    String key() {
        return key;
    }

    /**
     * Adds each member's increment to the shared set (after decaying it), keeps at most {@code maxMembers}, and
     * sets its time to live. Returns the number of members kept.
     */
    long add(List<String> members, List<Integer> increments, long halfLifeMillis, int maxMembers, long ttlMillis)
            throws RedisUnavailableException {
        RedisClusterAsyncCommands<String, byte[]> redis = connection();
        byte[][] args = new byte[3 + 2 * members.size()][];
        args[0] = ascii(Long.toString(halfLifeMillis));
        args[1] = ascii(Integer.toString(maxMembers));
        args[2] = ascii(Long.toString(ttlMillis));
        for (int i = 0; i < members.size(); i++) {
            args[3 + 2 * i] = members.get(i).getBytes(StandardCharsets.UTF_8);
            args[4 + 2 * i] = ascii(Integer.toString(increments.get(i)));
        }
        String[] keys = {key};
        CompletableFuture<Long> reply = HotSetScript.SCRIPT.run(redis, ScriptOutputType.INTEGER, keys, args);
        return await(reply, "hot-set update of " + members.size() + " keys");
    }

    /** The {@code k} hottest cachesync keys of the shared set, hottest first. */
    List<String> top(int k) throws RedisUnavailableException {
        // one more than asked: the decay marker (score -1) comes last when the set holds fewer than k keys
        List<byte[]> members = await(connection().zrevrange(key, 0, k).toCompletableFuture(),
                "ZREVRANGE " + key);
        List<String> keys = new ArrayList<>(Math.min(members.size(), k));
        for (byte[] member : members) {
            String text = new String(member, StandardCharsets.UTF_8);
            if (text.startsWith(memberPrefix) && keys.size() < k) {
                keys.add(text);
            }
        }
        return keys;
    }

    private RedisClusterAsyncCommands<String, byte[]> connection() throws RedisUnavailableException {
        RedisClusterAsyncCommands<String, byte[]> connection = connector.async();
        if (connection == null || !connector.available()) {
            throw new RedisUnavailableException("Redis is not connected", null);
        }
        if (!breaker.allows()) {
            breaker.rejectedOne();
            throw new RedisUnavailableException("circuit open: Redis stopped answering, the call was not sent", null);
        }
        return connection;
    }

    private <T> T await(CompletableFuture<T> reply, String what) throws RedisUnavailableException {
        try {
            T value = reply.get(store.waitMillis(), TimeUnit.MILLISECONDS);
            breaker.record(null);
            return value;
        } catch (ExecutionException e) {
            breaker.record(e);
            throw new RedisUnavailableException(what, RedisSnapshotStore.unwrap(e));
        } catch (TimeoutException e) {
            breaker.record(e);
            throw new RedisUnavailableException(what, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RedisUnavailableException(what, e);
        }
    }
}
