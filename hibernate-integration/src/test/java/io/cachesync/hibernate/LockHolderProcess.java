package io.cachesync.hibernate;

import io.cachesync.core.CacheSyncSettings;
import io.cachesync.core.RedisLock;
import io.cachesync.core.SnapshotCache;
import io.cachesync.core.SnapshotSchema;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

import java.time.Duration;
import java.util.List;

/**
 * Another application node in a process of its own, for tests that kill a lock holder for real: it takes the lock
 * on {@code Account#<id>} with the given lease, prints {@code LOCKED <fencing token>}, and keeps it (its watchdog
 * renewing) until the process is killed. Arguments: Redis URI, lease in ms, id.
 */
public final class LockHolderProcess {

    private LockHolderProcess() {
    }

    public static void main(String[] args) throws Exception {
        CacheSyncSettings settings = CacheSyncSettings.builder(args[0])
                .lockLease(Duration.ofMillis(Long.parseLong(args[1]))).build();
        SnapshotCache cache = new SnapshotCache(settings, new SimpleMeterRegistry());
        SnapshotSchema account = new SnapshotSchema("Account", Long.class, List.of(), List.of());
        RedisLock lock = cache.lock(account, Long.parseLong(args[2]));
        System.out.println("LOCKED " + lock.fencingToken());
        System.out.flush();
        Thread.sleep(Long.MAX_VALUE);
    }
}
