package io.cachesync.core;

/** Which stored value a snapshot write may replace. Every mode is decided inside Redis, in one script call. */
public enum WriteMode {
    /**
     * Replace only an older version. Also replaces bytes that are not a snapshot, and a snapshot of another schema
     * at the same or a lower version. The post-commit push and every fill use this mode.
     */
    NEWER,
    /**
     * As {@link #NEWER}, and also replace a tombstone of a row deleted before this row was inserted: a committed
     * insert of a reused id proves the row exists again. A tombstone of this very row (deleted after the insert)
     * is kept.
     */
    INSERT,
    /**
     * Replace only if the stored bytes are still exactly the ones the caller read (or the key is still absent).
     * Repairs of corrupt or same-version drift use it, so a concurrent newer push always wins.
     */
    UNCHANGED_SINCE_READ
}
