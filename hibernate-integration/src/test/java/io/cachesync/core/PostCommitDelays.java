package io.cachesync.core;

/**
 * Sets {@link SnapshotCache}'s package-private fault-injection hooks from tests in other packages (this class
 * lives in the test sources only, in the same package as the cache).
 */
public final class PostCommitDelays {

    private PostCommitDelays() {
    }

    /**
     * Runs {@code delay} at every step the cache takes after a commit and on a read's fill: before the push is
     * sent, when its outcome arrives (on Lettuce's thread: keep it short), and between a read's database load and
     * its fill. Null removes them.
     */
    public static void inject(SnapshotCache cache, Runnable delay, Runnable onLettuceThread) {
        cache.beforeRedisWrite = delay;
        cache.beforePushOutcome = onLettuceThread;
        cache.beforeFill = delay;
    }

    /** Runs {@code hook} after a commit's local update, before its push is sent (on the committing thread). */
    public static void beforeRedisWrite(SnapshotCache cache, Runnable hook) {
        cache.beforeRedisWrite = hook;
    }

    /** Runs {@code hook} on the read path between the database load and the fill. */
    public static void beforeFill(SnapshotCache cache, Runnable hook) {
        cache.beforeFill = hook;
    }

    /**
     * Hands each invalidation this node receives to {@code hold} instead of applying it, so that the test decides
     * when it lands (run the Runnable); null applies them as they arrive again.
     */
    public static void holdInvalidations(SnapshotCache cache, java.util.function.Consumer<Runnable> hold) {
        cache.holdInvalidations(hold);
    }
}
