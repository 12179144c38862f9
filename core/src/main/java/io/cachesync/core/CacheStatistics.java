package io.cachesync.core;

/**
 * A point-in-time view of one cache's counters since it started, in the spirit of Hibernate's
 * {@code Statistics}; the same numbers Micrometer publishes (see {@link CacheSyncMetrics} for names).
 *
 * @param localHits             reads answered by the local tier
 * @param localMisses           reads the local tier could not answer
 * @param redisHits             reads answered by Redis
 * @param redisMisses           reads Redis could not answer (absent, undecodable, or Redis unavailable)
 * @param databaseLoads         reads that went to the database
 * @param fillsWritten          database reads written back to Redis
 * @param fillsRefused          fills refused because Redis already held a newer version
 * @param pushesWritten         committed snapshots Redis accepted
 * @param pushesRefused         committed snapshots refused as older than Redis' version
 * @param pushesFailed          committed snapshots that did not reach Redis (queued for repair)
 * @param corrupt               undecodable values found
 * @param invalidationsSent     invalidations published (one per accepted write)
 * @param invalidationsReceived invalidations received
 * @param localClears           local-tier clears because the channel dropped
 * @param pendingRepairs        keys waiting for a retry now
 * @param repairOverflows       keys that found the repair queue full
 * @param localSize             entries in the local tier now (estimate)
 * @param circuitOpen           true while the circuit breaker is open: Redis stopped answering, calls fail fast
 * @param circuitOpenings       times the circuit breaker opened
 * @param circuitRejected       calls to Redis not sent because the circuit was open (failed fast instead)
 * @param repairsCompleted      queued keys whose retry reached Redis
 * @param warming               cache warming by access pattern (all zero when {@code cachesync.warm.enabled} is off)
 */
public record CacheStatistics(long localHits, long localMisses, long redisHits, long redisMisses, long databaseLoads,
                              long fillsWritten, long fillsRefused, long pushesWritten, long pushesRefused,
                              long pushesFailed, long corrupt, long invalidationsSent, long invalidationsReceived,
                              long localClears, long pendingRepairs, long repairOverflows, long localSize,
                              boolean circuitOpen, long circuitOpenings, long circuitRejected,
                              long repairsCompleted, WarmingStatistics warming) {

    /** Reads in all (every read asks the local tier first, even while it is bypassed). */
    public long reads() {
        return localHits + localMisses;
    }

    /** Share of reads the local tier answered, 0 when nothing was read. */
    public double localHitRatio() {
        long reads = reads();
        return reads == 0 ? 0 : (double) localHits / reads;
    }

    /** Share of reads answered without the database, 0 when nothing was read. */
    public double cacheHitRatio() {
        long reads = localHits + localMisses;
        return reads == 0 ? 0 : (double) (localHits + redisHits) / reads;
    }
}
