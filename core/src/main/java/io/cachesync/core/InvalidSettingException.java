package io.cachesync.core;

/**
 * A cachesync setting is present but malformed. The message names the key and the value (with any password
 * masked), so that the bootstrap failure says exactly what to fix.
 */
public final class InvalidSettingException extends IllegalArgumentException {

    private final String key;

    public InvalidSettingException(String key, Object value, String problem) {
        super("cachesync setting " + key + "='" + value + "' is invalid: " + problem);
        this.key = key;
    }

    /** The key of the malformed setting, e.g. {@code cachesync.redis.timeout}. */
    public String key() {
        return key;
    }
}
