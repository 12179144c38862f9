package io.cachesync.core;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The three Lua scripts behind {@link RedisLock}: acquire, renew and release. Each is one atomic step inside
 * Redis, so that no node ever extends or deletes a lock whose value is not its own owner token. The acquire script
 * touches the lock key and its fence counter, which share a hash tag (see {@link RedisKeys#lockKey}), so all three
 * run unchanged on Redis Cluster.
 */
final class LockScripts {

    /**
     * KEYS[1] the lock, KEYS[2] its fence counter; ARGV[1] the owner token, ARGV[2] the lease in milliseconds.
     * Returns {@code {1, fencing token}} when the lock was free and is now ours, else {@code {0, its remaining
     * lease in ms}}. The counter never expires; when it is missing (a new key, or a Redis that lost its data) it
     * starts from the server's clock in microseconds, so that tokens keep increasing across such a loss.
     */
    static final Script ACQUIRE = new Script(String.join("\n",
            "if redis.call('EXISTS', KEYS[1]) == 1 then",
            "  return {0, redis.call('PTTL', KEYS[1])}",
            "end",
            "if redis.call('EXISTS', KEYS[2]) == 0 then",
            "  local now = redis.call('TIME')",
            "  redis.call('SET', KEYS[2], now[1] .. string.rep('0', 6 - #now[2]) .. now[2])",
            "end",
            "redis.call('INCR', KEYS[2])",
            "redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])",
            "return {1, redis.call('GET', KEYS[2])}"));

    /** KEYS[1] the lock; ARGV[1] the owner token, ARGV[2] the lease in ms. 1 if renewed, 0 if not ours (any more). */
    static final Script RENEW = new Script(String.join("\n",
            "if redis.call('GET', KEYS[1]) == ARGV[1] then",
            "  return redis.call('PEXPIRE', KEYS[1], ARGV[2])",
            "end",
            "return 0"));

    /** KEYS[1] the lock; ARGV[1] the owner token. 1 if deleted, 0 if it was not ours (expired, or another's). */
    static final Script RELEASE = new Script(String.join("\n",
            "if redis.call('GET', KEYS[1]) == ARGV[1] then",
            "  return redis.call('DEL', KEYS[1])",
            "end",
            "return 0"));

    private LockScripts() {
    }

    /** A script's source and the SHA-1 that {@code EVALSHA} names it by. */
    record Script(String source, byte[] bytes, String sha1) {

        Script(String source) {
            this(source, source.getBytes(StandardCharsets.UTF_8), sha1(source.getBytes(StandardCharsets.UTF_8)));
        }

        private static String sha1(byte[] source) {
            try {
                return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(source));
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException("SHA-1 is required of every Java runtime", e);
            }
        }
    }
}
