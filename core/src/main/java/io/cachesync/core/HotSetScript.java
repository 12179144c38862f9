package io.cachesync.core;

/**
 * The Lua script by which a node adds its hot keys to the shared sorted set {@code <prefix>:hot-keys}, decaying the
 * set by the time elapsed since its last decay, so that the set forgets at the same rate however many nodes
 * publish. One key, so it runs unchanged on Redis Cluster.
 *
 * <p>The time of the last decay is kept in the set itself, as the member {@code ~decayed-at:<ms>} with score -1
 * (members are otherwise cachesync keys, which start with the prefix, and scores are positive): readers skip it.
 * The clock is Redis' own ({@code TIME}), so the nodes' clocks never matter.
 *
 * <p>KEYS[1] the hot set. ARGV: 1 the half-life in milliseconds, 2 the most members kept, 3 the set's time to
 * live in milliseconds, then pairs of (member, increment). Returns the number of members kept.
 */
final class HotSetScript {

    static final String MARKER_PREFIX = "~decayed-at:";

    static final String SOURCE = String.join("\n",
            "if redis.replicate_commands then redis.replicate_commands() end",
            "local key = KEYS[1]",
            "local halfLife = tonumber(ARGV[1])",
            "local maxMembers = tonumber(ARGV[2])",
            "local t = redis.call('TIME')",
            "local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)",
            "local last = now",
            "for _, m in ipairs(redis.call('ZRANGEBYSCORE', key, -1, -1)) do",
            "  local at = tonumber(string.match(m, '^~decayed%-at:(%d+)$'))",
            "  if at and at < last then last = at end",
            "  redis.call('ZREM', key, m)",
            "end",
            "if now > last and redis.call('EXISTS', key) == 1 then",
            "  redis.call('ZUNIONSTORE', key, 1, key, 'WEIGHTS', tostring(0.5 ^ ((now - last) / halfLife)))",
            "  redis.call('ZREMRANGEBYSCORE', key, '-inf', '0.01')",
            "end",
            "for i = 4, #ARGV, 2 do",
            "  redis.call('ZINCRBY', key, ARGV[i + 1], ARGV[i])",
            "end",
            "local excess = redis.call('ZCARD', key) - maxMembers",
            "if excess > 0 then redis.call('ZREMRANGEBYRANK', key, 0, excess - 1) end",
            "local kept = redis.call('ZCARD', key)",
            "if kept > 0 then",
            "  redis.call('ZADD', key, -1, '" + MARKER_PREFIX + "' .. now)",
            "  redis.call('PEXPIRE', key, ARGV[3])",
            "end",
            "return kept");

    static final RedisScript SCRIPT = new RedisScript(SOURCE);

    private HotSetScript() {
    }
}
