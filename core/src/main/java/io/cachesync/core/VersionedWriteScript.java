package io.cachesync.core;

import java.nio.charset.StandardCharsets;

/**
 * The Lua script that writes a snapshot only if Redis holds nothing newer, and announces each accepted write on
 * the invalidation channel in the same atomic step. All of it touches one key, so it runs unchanged on Redis
 * Cluster.
 *
 * <p>KEYS[1] the snapshot key. ARGV: 1 the encoded snapshot, 2 its version, 3 the mode ({@code newer},
 * {@code insert} or {@code unchanged}), 4 the expected bytes for {@code unchanged} (empty: expect no key),
 * 5 a time to live in milliseconds (0: none), 6 the schema fingerprint, 7 the channel, 8 the message, 9 for an
 * insert, when its INSERT statement ran (microseconds since the epoch).
 * Returns {@code {written (1|0), stored version or -1}}.
 */
final class VersionedWriteScript {

    static final String SOURCE = String.join("\n",
            "local key = KEYS[1]",
            "local version = tonumber(ARGV[2])",
            "local mode = ARGV[3]",
            "local kind = redis.call('TYPE', key)['ok']",
            "local stored = -1",
            "local accept = false",
            "if kind == 'none' then",
            "  accept = (mode ~= 'unchanged') or ARGV[4] == ''",
            "elseif kind ~= 'string' then",
            // a list, hash or other foreign type under our key is never a snapshot: replace it
            "  accept = true",
            "else",
            "  local current = redis.call('GET', key)",
            "  local v, deleted, schema = string.match(current, '^{\"version\":(%d+),\"deleted\":(%a+),\"schema\":\"([^\"]*)\"')",
            // more than 15 digits is beyond what a Lua number holds exactly: not a version cachesync wrote
            "  if v and #v > 15 then v = nil end",
            "  if v then stored = tonumber(v) end",
            "  if mode == 'unchanged' then",
            "    accept = current == ARGV[4]",
            "  elseif not v then",
            "    accept = true",
            "  elseif version > stored then",
            "    accept = true",
            "  elseif mode == 'insert' and deleted == 'true' then",
            // replace only the tombstone of a row deleted before this one was inserted
            "    local deletedAt = string.match(current, '^{\"version\":%d+,\"deleted\":true,\"schema\":\"[^\"]*\",\"deletedAt\":(%d+)')",
            "    accept = deletedAt == nil or tonumber(ARGV[9]) > tonumber(deletedAt)",
            "  elseif schema ~= ARGV[6] and version >= stored then",
            "    accept = true",
            "  end",
            "end",
            "if not accept then return {0, stored} end",
            "if kind ~= 'none' and kind ~= 'string' then redis.call('DEL', key) end",
            "local ttl = tonumber(ARGV[5])",
            "if ttl > 0 then redis.call('SET', key, ARGV[1], 'PX', ttl) else redis.call('SET', key, ARGV[1]) end",
            "redis.call('PUBLISH', ARGV[7], ARGV[8])",
            "return {1, stored}");

    static final RedisScript SCRIPT = new RedisScript(SOURCE);

    private VersionedWriteScript() {
    }

    static byte[] modeArgument(WriteMode mode) {
        return switch (mode) {
            case NEWER -> NEWER;
            case INSERT -> INSERT;
            case UNCHANGED_SINCE_READ -> UNCHANGED;
        };
    }

    private static final byte[] NEWER = "newer".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] INSERT = "insert".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] UNCHANGED = "unchanged".getBytes(StandardCharsets.US_ASCII);
}
