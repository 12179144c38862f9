package io.cachesync.hibernate;

/**
 * How many keys of each drift class a reconciliation found. Immutable.
 *
 * <p>Keys are counted once each: every row's key, plus every key without a row that the orphan scan examined
 * (a tombstone without a row counts as consistent). {@link #inconsistent()} is stale + cache-ahead + corrupt;
 * missing and orphaned keys are counted on their own.
 *
 * @param consistent keys that hold exactly the row's version and state (or a tombstone of a row that is gone)
 * @param stale      keys holding an older version, or the same version with a different state
 * @param missing    rows whose key holds nothing
 * @param orphaned   snapshots (not tombstones) whose row does not exist
 * @param cacheAhead keys holding a newer version than the database (or a later write at the same version)
 * @param corrupt    keys whose bytes do not decode to a snapshot of the current mapping
 */
public record ConsistencyStats(long consistent, long stale, long missing, long orphaned, long cacheAhead,
                               long corrupt) {

    public static final ConsistencyStats NONE = new ConsistencyStats(0, 0, 0, 0, 0, 0);

    public ConsistencyStats {
        if (consistent < 0 || stale < 0 || missing < 0 || orphaned < 0 || cacheAhead < 0 || corrupt < 0) {
            throw new IllegalArgumentException("counts cannot be negative");
        }
    }

    /** Stale + cache-ahead + corrupt. */
    public long inconsistent() {
        return stale + cacheAhead + corrupt;
    }

    /** Every key that is not consistent: inconsistent + missing + orphaned. */
    public long drift() {
        return inconsistent() + missing + orphaned;
    }

    /** Every key examined. */
    public long examined() {
        return consistent + drift();
    }

    /** True when nothing drifted. */
    public boolean allConsistent() {
        return drift() == 0;
    }

    ConsistencyStats plus(ConsistencyStats other) {
        return new ConsistencyStats(consistent + other.consistent, stale + other.stale, missing + other.missing,
                orphaned + other.orphaned, cacheAhead + other.cacheAhead, corrupt + other.corrupt);
    }
}
