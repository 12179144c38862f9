package io.cachesync.core;

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
    static final RedisScript ACQUIRE = new RedisScript(String.join("\n",
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
    static final RedisScript RENEW = new RedisScript(String.join("\n",
            "if redis.call('GET', KEYS[1]) == ARGV[1] then",
            "  return redis.call('PEXPIRE', KEYS[1], ARGV[2])",
            "end",
            "return 0"));

    /** KEYS[1] the lock; ARGV[1] the owner token. 1 if deleted, 0 if it was not ours (expired, or another's). */
    static final RedisScript RELEASE = new RedisScript(String.join("\n",
            "if redis.call('GET', KEYS[1]) == ARGV[1] then",
            "  return redis.call('DEL', KEYS[1])",
            "end",
            "return 0"));

    private LockScripts() {
    }
}
