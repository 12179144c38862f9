package io.cachesync.core;

/**
 * The Redis key layout: {@code <prefix>:<EntityName>:<id>}.
 *
 * <p>Keys cannot collide: the prefix and entity names may not contain {@code ':'}, so the second separator always
 * ends the entity name and everything after it is the id, whatever characters the id holds.
 */
public final class RedisKeys {

    public static final String DEFAULT_PREFIX = "cachesync";

    private final String prefix;

    public RedisKeys(String prefix) {
        this.prefix = checkPrefix(prefix);
    }

    public String prefix() {
        return prefix;
    }

    public String key(String entityName, String idText) {
        return prefix + ':' + entityName + ':' + idText;
    }

    /** The {@code SCAN MATCH} pattern that matches every key of one entity and no other. */
    public String pattern(String entityName) {
        return escapeGlob(prefix) + ':' + escapeGlob(entityName) + ":*";
    }

    /** The id text of a key of this entity, or null when the key is not one of its keys. */
    public String idTextOf(String entityName, String key) {
        int head = prefix.length() + 1 + entityName.length() + 1;
        if (key.length() < head || !key.startsWith(prefix) || key.charAt(prefix.length()) != ':'
                || !key.startsWith(entityName, prefix.length() + 1) || key.charAt(head - 1) != ':') {
            return null;
        }
        return key.substring(head);
    }

    /**
     * The key of the distributed lock on one row: {@code {<prefix>:lock:<EntityName>:<id>}}. The braces are a
     * Redis Cluster hash tag, so that the lock and its {@link #fenceKey fence counter} live in one slot; the
     * leading brace keeps lock keys apart from snapshot keys and out of the Reconciler's scans.
     */
    String lockKey(String entityName, String idText) {
        return "{" + prefix + ":lock:" + entityName + ':' + idText + '}';
    }

    /** The counter behind a lock's fencing tokens: {@code {<prefix>:lock:<EntityName>:<id>}:fence}. */
    String fenceKey(String lockKey) {
        return lockKey + ":fence";
    }

    /** The channel on which accepted writes are announced to every node's local tier. */
    public String invalidationChannel() {
        return prefix + ":invalidations";
    }

    /**
     * The sorted set of the hot keys that every node publishes, for a starting node to warm its local tier with.
     * It has one separator, so it never matches an entity's {@code <prefix>:<EntityName>:*} pattern.
     */
    public String hotSetKey() {
        return prefix + ":hot-keys";
    }

    static String checkPrefix(String prefix) {
        if (prefix == null || prefix.isEmpty() || !printableWithout(prefix, ":*?[]\\")) {
            throw new IllegalArgumentException("key prefix '" + prefix
                    + "' must be non-empty, printable, without spaces and without any of : * ? [ ] \\");
        }
        return prefix;
    }

    static String checkEntityName(String entityName) {
        if (entityName == null || entityName.isEmpty() || !printableWithout(entityName, ":*?[]\\")) {
            throw new IllegalArgumentException("entity name '" + entityName
                    + "' must be non-empty, printable, without spaces and without any of : * ? [ ] \\");
        }
        return entityName;
    }

    private static boolean printableWithout(String text, String forbidden) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c <= ' ' || c == 0x7f || forbidden.indexOf(c) >= 0) {
                return false;
            }
        }
        return true;
    }

    private static String escapeGlob(String text) {
        StringBuilder out = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if ("*?[]\\".indexOf(c) >= 0) {
                out.append('\\');
            }
            out.append(c);
        }
        return out.toString();
    }
}
