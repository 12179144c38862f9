package io.cachesync.core;

/**
 * The warming part of {@link CacheStatistics}: warm-ups of the local tier and the hot-key tracking behind them
 * (see {@link CacheSyncMetrics} for the meters).
 *
 * @param enabled           {@code cachesync.warm.enabled}
 * @param runs              warm-ups that went through every hot key
 * @param stopped           warm-ups stopped early (the tier was cleared again, Redis or the database failed)
 * @param skipped           warm-ups not started (Redis unreachable, the tier bypassed)
 * @param keysLoaded        hot keys put in the local tier from Redis
 * @param keysFilled        hot keys Redis lacked, loaded from the database, filled into Redis and the local tier
 * @param keysRefused       hot keys not put in the local tier: a newer version was seen, or a push is pending
 * @param keysAbsent        hot keys whose row no longer exists
 * @param samples           reads sampled into the hot-key table
 * @param tracked           keys in the hot-key table now
 * @param publishes         publishes of this node's hot keys to the shared set in Redis
 * @param publishFailures   publishes that failed (Redis away)
 * @param lastWarmUpMillis  how long the last warm-up took, -1 before the first
 */
public record WarmingStatistics(boolean enabled, long runs, long stopped, long skipped, long keysLoaded,
                                long keysFilled, long keysRefused, long keysAbsent, long samples, long tracked,
                                long publishes, long publishFailures, long lastWarmUpMillis) {

    /** Hot keys that warm-ups put in the local tier. */
    public long keysWarmed() {
        return keysLoaded + keysFilled;
    }
}
