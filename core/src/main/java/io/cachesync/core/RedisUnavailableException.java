package io.cachesync.core;

/** Redis did not answer within the configured timeout, or is not connected. Callers fall back to the database. */
public final class RedisUnavailableException extends RuntimeException {

    public RedisUnavailableException(String operation, Throwable cause) {
        super(operation + (cause == null ? "" : ": " + cause), cause);
    }

    /** A shared instance without a stack trace, for failures that happen by the thousand (circuit open). */
    static RedisUnavailableException withoutTrace(String operation) {
        return new RedisUnavailableException(operation);
    }

    private RedisUnavailableException(String operation) {
        super(operation, null, false, false);
    }
}
