package io.cachesync.core;

import java.util.concurrent.TimeUnit;

/**
 * Reaches the package-private Redis calls of {@link RedisLocks} from tests in other packages (test sources only):
 * to act as a node that does not own a lock, and to run a watchdog tick now.
 */
public final class LockInternals {

    private LockInternals() {
    }

    /** The owner token in the lock's value. */
    public static String owner(RedisLock lock) {
        return lock.owner();
    }

    /** The release script as {@code owner} would send it: 1 if deleted, 0 if refused. */
    public static long releaseAs(SnapshotCache cache, String key, String owner) throws Exception {
        return cache.locks().releaseScript(key, owner).get(5, TimeUnit.SECONDS);
    }

    /** The renew script as {@code owner} would send it: 1 if extended, 0 if refused. */
    public static long renewAs(SnapshotCache cache, String key, String owner) throws Exception {
        return cache.locks().renewScript(key, owner).get(5, TimeUnit.SECONDS);
    }
}
