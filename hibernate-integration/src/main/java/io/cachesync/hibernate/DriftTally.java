package io.cachesync.hibernate;

import io.cachesync.core.drift.Drift;

/** Counts keys by drift class during one model's reconciliation. Confined to the thread that runs it. */
final class DriftTally {

    private long consistent;
    private long stale;
    private long missing;
    private long orphaned;
    private long cacheAhead;
    private long corrupt;

    void count(Drift drift) {
        if (drift instanceof Drift.Consistent) {
            consistent++;
        } else if (drift instanceof Drift.Stale) {
            stale++;
        } else if (drift instanceof Drift.Missing) {
            missing++;
        } else if (drift instanceof Drift.Orphaned) {
            orphaned++;
        } else if (drift instanceof Drift.CacheAhead) {
            cacheAhead++;
        } else if (drift instanceof Drift.Corrupt) {
            corrupt++;
        }
    }

    ConsistencyStats stats() {
        return new ConsistencyStats(consistent, stale, missing, orphaned, cacheAhead, corrupt);
    }
}
