package io.cachesync.core;

/** Redis did not answer within the configured timeout, or is not connected. Callers fall back to the database. */
public final class RedisUnavailableException extends RuntimeException {

    public RedisUnavailableException(String operation, Throwable cause) {
        super(operation + (cause == null ? "" : ": " + cause), cause);
    }
}
