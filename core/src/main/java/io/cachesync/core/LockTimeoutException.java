package io.cachesync.core;

import java.time.Duration;

/**
 * A blocking {@code lock(...)} gave up: another holder kept the lock for the whole wait. The message names the
 * entity, the id and how long the caller waited.
 */
public final class LockTimeoutException extends RuntimeException {

    private final String entityName;
    private final String id;
    private final Duration waited;

    LockTimeoutException(String entityName, String id, Duration waited, String detail) {
        super("cachesync could not lock " + entityName + "#" + id + " within " + waited.toMillis() + " ms: "
                + detail);
        this.entityName = entityName;
        this.id = id;
        this.waited = waited;
    }

    /** The entity, e.g. {@code Account}. */
    public String entityName() {
        return entityName;
    }

    /** The row's id as it appears in keys, e.g. {@code 42}. */
    public String id() {
        return id;
    }

    /** How long the caller waited before giving up. */
    public Duration waited() {
        return waited;
    }
}
