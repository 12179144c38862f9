package io.cachesync.core;

/**
 * Sets the warmer's package-private hook, and asks it to publish now, from tests in other packages (this class lives
 * in the test sources only, in the same package as the warmer).
 */
public final class WarmingHooks {

    private WarmingHooks() {
    }

    /** Runs {@code hook} after each warm-up batch's MGET, before its snapshots go into the local tier; null removes it. */
    public static void beforeLocalFill(SnapshotCache cache, Runnable hook) {
        cache.warmer.beforeLocalFill = hook;
    }

    /** Publishes the node's hot keys to the shared set now, as the periodic task does. */
    public static void publishNow(SnapshotCache cache) {
        cache.warmer.publish();
    }
}
