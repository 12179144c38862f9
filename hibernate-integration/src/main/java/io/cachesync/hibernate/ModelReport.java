package io.cachesync.hibernate;

import java.time.Duration;
import java.util.Objects;

/**
 * What a reconciliation found and did for one entity. Immutable.
 *
 * <p>{@link #repaired()} counts only writes that Redis accepted; {@link #refused()} counts repairs Redis turned
 * down because a newer snapshot (a live commit) reached the key first, which leaves the key as current as the
 * repair would have; {@link #failed()} counts repairs that never got an answer from Redis.
 */
public final class ModelReport {

    private final String entityName;
    private final ConsistencyStats stats;
    private final long rowsRead;
    private final long keysScanned;
    private final long repaired;
    private final long refused;
    private final long failed;
    private final boolean complete;
    private final Duration elapsed;

    ModelReport(String entityName, ConsistencyStats stats, long rowsRead, long keysScanned, long repaired,
                long refused, long failed, boolean complete, Duration elapsed) {
        this.entityName = Objects.requireNonNull(entityName);
        this.stats = Objects.requireNonNull(stats);
        this.rowsRead = rowsRead;
        this.keysScanned = keysScanned;
        this.repaired = repaired;
        this.refused = refused;
        this.failed = failed;
        this.complete = complete;
        this.elapsed = elapsed;
    }

    /** The JPA entity name, as in Redis keys. */
    public String entityName() {
        return entityName;
    }

    public ConsistencyStats stats() {
        return stats;
    }

    public long consistent() {
        return stats.consistent();
    }

    public long inconsistent() {
        return stats.inconsistent();
    }

    public long stale() {
        return stats.stale();
    }

    public long missing() {
        return stats.missing();
    }

    public long orphaned() {
        return stats.orphaned();
    }

    public long cacheAhead() {
        return stats.cacheAhead();
    }

    public long corrupt() {
        return stats.corrupt();
    }

    /** Database rows read (at most {@code maxInstances}). */
    public long rowsRead() {
        return rowsRead;
    }

    /** Redis keys the orphan scan examined (at most {@code maxInstances}). */
    public long keysScanned() {
        return keysScanned;
    }

    public long repaired() {
        return repaired;
    }

    public long refused() {
        return refused;
    }

    public long failed() {
        return failed;
    }

    /** False when {@code maxInstances} stopped the walk or the scan before the end. */
    public boolean complete() {
        return complete;
    }

    public Duration elapsed() {
        return elapsed;
    }

    /** Drifted keys that are still drifted: neither repaired nor overtaken by a newer live write. */
    public long unresolved() {
        return Math.max(0, stats.drift() - repaired - refused);
    }

    @Override
    public String toString() {
        return entityName + ": " + rowsRead + " rows, " + stats.consistent() + " consistent, " + stats.stale()
                + " stale, " + stats.missing() + " missing, " + stats.orphaned() + " orphaned, " + stats.cacheAhead()
                + " cache-ahead, " + stats.corrupt() + " corrupt; " + repaired + " repaired"
                + (refused > 0 ? ", " + refused + " overtaken by live writes" : "")
                + (failed > 0 ? ", " + failed + " failed" : "") + (complete ? "" : " (stopped at max-instances)");
    }
}
