package io.cachesync.core;

import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.async.RedisScriptingAsyncCommands;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import static io.cachesync.core.RedisSnapshotStore.ascii;

/**
 * The distributed locks of one cache: acquires them (polling with a capped, jittered backoff until the wait runs
 * out), renews each held lock's lease every third of it on the cache's scheduler (the watchdog), releases them,
 * and, when the cache closes, releases whatever is still held.
 *
 * <p>Every Redis call goes through {@link #scripting()} and the three small script methods below it, on the
 * cache's command connection; nothing here waits longer than the Redis timeout for one answer.
 * Thread-safe.
 */
final class RedisLocks implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(RedisLocks.class);
    private static final long MIN_BACKOFF_MILLIS = 2;
    private static final long MAX_BACKOFF_MILLIS = 50;

    private final RedisConnector connector;
    private final RedisKeys keys;
    private final ScheduledExecutorService scheduler;
    private final CacheSyncMetrics metrics;
    private final long leaseMillis;
    private final byte[] leaseArgument;
    private final long validityNanos;
    private final long renewEveryMillis;
    private final Duration defaultWait;
    private final SecureRandom random = new SecureRandom();
    private final Set<RedisLock> held = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    RedisLocks(RedisConnector connector, RedisKeys keys, CacheSyncSettings settings, ScheduledExecutorService scheduler,
               CacheSyncMetrics metrics) {
        this.connector = connector;
        this.keys = keys;
        this.scheduler = scheduler;
        this.metrics = metrics;
        this.leaseMillis = settings.lockLease().toMillis();
        this.leaseArgument = ascii(Long.toString(leaseMillis));
        // Redis counts the lease from when the command arrives, after we sent it; the margin covers clock drift
        this.validityNanos = TimeUnit.MILLISECONDS.toNanos(leaseMillis - Math.max(2, leaseMillis / 100));
        this.renewEveryMillis = Math.max(1, leaseMillis / 3);
        this.defaultWait = settings.lockWait();
    }

    /** The wait of {@link #lock(String, String)}: {@code cachesync.lock.wait}. */
    Duration defaultWait() {
        return defaultWait;
    }

    /** Locks held (acquired, not yet released or lost) by this cache now. */
    int heldCount() {
        return held.size();
    }

    RedisLock lock(String entityName, String id) {
        return lock(entityName, id, defaultWait);
    }

    /**
     * Waits up to {@code wait} for the lock.
     *
     * @throws LockTimeoutException      if another owner held it for the whole wait (or the wait was interrupted)
     * @throws RedisUnavailableException if Redis did not answer the last attempt
     */
    RedisLock lock(String entityName, String id, Duration wait) {
        Attempts outcome = acquire(entityName, id, wait);
        if (outcome.lock != null) {
            return outcome.lock;
        }
        if (outcome.interrupted) {
            throw new LockTimeoutException(entityName, id, outcome.waited, "interrupted while waiting");
        }
        if (outcome.lastFailure != null) {
            throw outcome.lastFailure;
        }
        throw new LockTimeoutException(entityName, id, outcome.waited, "held by another owner (its lease had "
                + outcome.lastRemainingLease + " ms left at the last attempt)");
    }

    /**
     * As {@link #lock(String, String, Duration)}, but empty when another owner held the lock for the whole wait
     * (or the wait was interrupted: the thread's interrupt flag is then set).
     *
     * @throws RedisUnavailableException if Redis did not answer the last attempt
     */
    Optional<RedisLock> tryLock(String entityName, String id, Duration wait) {
        Attempts outcome = acquire(entityName, id, wait);
        if (outcome.lock == null && !outcome.interrupted && outcome.lastFailure != null) {
            throw outcome.lastFailure;
        }
        return Optional.ofNullable(outcome.lock);
    }

    /** How a wait for a lock ended: with the lock, or with the last reason it was not taken. */
    private record Attempts(RedisLock lock, Duration waited, long lastRemainingLease,
                            RedisUnavailableException lastFailure, boolean interrupted) {
    }

    private Attempts acquire(String entityName, String id, Duration wait) {
        if (wait.isNegative()) {
            throw new IllegalArgumentException("a negative wait: " + wait);
        }
        String key = keys.lockKey(entityName, id);
        String fenceKey = keys.fenceKey(key);
        long start = System.nanoTime();
        long deadline = start + wait.toNanos();
        long backoff = MIN_BACKOFF_MILLIS;
        while (true) {
            if (closed) {
                throw new IllegalStateException("cachesync is closed: cannot lock " + entityName + "#" + id);
            }
            String owner = newOwnerToken();
            long sentAt = System.nanoTime();
            RedisUnavailableException failure = null;
            long remainingLease = -1;
            try {
                List<Object> reply = await(acquireScript(key, fenceKey, owner), key);
                if (((Long) reply.get(0)) == 1L) {
                    long token = Long.parseLong(new String((byte[]) reply.get(1), StandardCharsets.US_ASCII));
                    return new Attempts(held(entityName, id, key, owner, token, sentAt), elapsed(start), -1, null,
                            false);
                }
                remainingLease = (Long) reply.get(1);
            } catch (RedisUnavailableException e) {
                failure = e;
                if (Thread.currentThread().isInterrupted()) {
                    releaseQuietly(key, owner);
                    return new Attempts(null, elapsed(start), remainingLease, null, true);
                }
                // the script may have run even though its answer was lost: free the lock if it is ours
                releaseQuietly(key, owner);
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                if (failure == null) {
                    metrics.locksTimedOut.increment();
                    log.debug("cachesync did not get lock {}#{} within {} ms: held by another owner", entityName,
                            id, wait.toMillis());
                }
                return new Attempts(null, elapsed(start), remainingLease, failure, false);
            }
            long pause = Math.min(backoff, remainingLease > 0 ? remainingLease : backoff);
            pause = ThreadLocalRandom.current().nextLong(pause / 2, pause + 1);
            pause = Math.max(1, Math.min(pause, TimeUnit.NANOSECONDS.toMillis(left)));
            backoff = Math.min(backoff * 2, MAX_BACKOFF_MILLIS);
            try {
                Thread.sleep(pause);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return new Attempts(null, elapsed(start), remainingLease, null, true);
            }
        }
    }

    private RedisLock held(String entityName, String id, String key, String owner, long token, long sentAt) {
        RedisLock lock = new RedisLock(this, entityName, id, key, owner, token, sentAt, sentAt + validityNanos);
        held.add(lock);
        try {
            lock.watchdog = scheduler.scheduleWithFixedDelay(() -> renew(lock), renewEveryMillis, renewEveryMillis,
                    TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            // the cache closed while this lock was being taken: give it back at once
            release(lock);
            throw new IllegalStateException("cachesync is closed: cannot lock " + entityName + "#" + id);
        }
        if (closed) {
            release(lock);
            throw new IllegalStateException("cachesync is closed: cannot lock " + entityName + "#" + id);
        }
        metrics.locksAcquired.increment();
        log.debug("cachesync locked {}#{} (owner token {}, fencing token {})", entityName, id, owner, token);
        return lock;
    }

    /** The watchdog's tick: extends the lease if the lock is still ours, else marks it lost. */
    private void renew(RedisLock lock) {
        if (lock.state.get() != RedisLock.State.HELD) {
            cancelWatchdog(lock);
            return;
        }
        long sentAt = System.nanoTime();
        if (sentAt - lock.validUntilNanos >= 0) {
            lose(lock, "its lease ran out before a renewal succeeded");
            releaseQuietly(lock.key(), lock.owner());
            return;
        }
        CompletableFuture<Long> reply;
        try {
            reply = renewScript(lock.key(), lock.owner());
        } catch (RedisUnavailableException e) {
            log.debug("cachesync could not renew lock {}#{} (owner token {}): {}; retrying in {} ms",
                    lock.entityName(), lock.id(), lock.owner(), e.getMessage(), renewEveryMillis);
            return;
        }
        reply.whenComplete((renewed, failure) -> {
            if (lock.state.get() != RedisLock.State.HELD) {
                return;
            }
            if (failure != null) {
                log.debug("cachesync could not renew lock {}#{} (owner token {}): {}; retrying in {} ms",
                        lock.entityName(), lock.id(), lock.owner(), RedisSnapshotStore.unwrap(failure).toString(),
                        renewEveryMillis);
            } else if (renewed == 1L) {
                lock.validUntilNanos = sentAt + validityNanos;
            } else {
                lose(lock, "a renewal found it expired or taken by another owner");
            }
        });
    }

    private void lose(RedisLock lock, String reason) {
        if (lock.state.compareAndSet(RedisLock.State.HELD, RedisLock.State.LOST)) {
            cancelWatchdog(lock);
            held.remove(lock);
            metrics.locksLost.increment();
            log.warn("cachesync lost lock {}#{} (owner token {}, fencing token {}) after {} ms: {}; work done under "
                            + "it may overlap another holder's, which its fencing token lets the database refuse",
                    lock.entityName(), lock.id(), lock.owner(), lock.fencingToken(), lock.heldFor().toMillis(),
                    reason);
        }
    }

    /** {@link RedisLock#close()}: compare-and-delete, waiting at most the Redis timeout for the answer. */
    void release(RedisLock lock) {
        RedisLock.State before = lock.state.getAndSet(RedisLock.State.RELEASED);
        if (before == RedisLock.State.RELEASED) {
            return;
        }
        cancelWatchdog(lock);
        held.remove(lock);
        try {
            long deleted = await(releaseScript(lock.key(), lock.owner()), lock.key());
            if (deleted == 1L) {
                log.debug("cachesync released lock {}#{} (owner token {}) after {} ms", lock.entityName(), lock.id(),
                        lock.owner(), lock.heldFor().toMillis());
            } else if (before == RedisLock.State.HELD) {
                metrics.locksLost.increment();
                log.warn("cachesync released lock {}#{} (owner token {}, fencing token {}) after {} ms, but it was "
                                + "no longer its own: the lease ({} ms) ran out and it expired or went to another "
                                + "owner; that owner's lock was left alone", lock.entityName(), lock.id(),
                        lock.owner(), lock.fencingToken(), lock.heldFor().toMillis(), leaseMillis);
            }
        } catch (RedisUnavailableException e) {
            log.warn("cachesync could not release lock {}#{} (owner token {}): {}; Redis frees it when its lease "
                    + "({} ms) runs out", lock.entityName(), lock.id(), lock.owner(), e.getMessage(), leaseMillis);
        }
    }

    /** Releases every lock still held, best effort, waiting at most the Redis timeout for all the answers. */
    @Override
    public void close() {
        closed = true;
        List<RedisLock> open = new ArrayList<>(held);
        if (open.isEmpty()) {
            return;
        }
        List<CompletableFuture<Long>> replies = new ArrayList<>();
        StringBuilder names = new StringBuilder();
        for (RedisLock lock : open) {
            if (!lock.state.compareAndSet(RedisLock.State.HELD, RedisLock.State.RELEASED)) {
                continue;
            }
            cancelWatchdog(lock);
            held.remove(lock);
            names.append(names.length() == 0 ? "" : ", ").append(lock.entityName()).append('#').append(lock.id())
                    .append(" (owner token ").append(lock.owner()).append(')');
            try {
                replies.add(releaseScript(lock.key(), lock.owner()));
            } catch (RedisUnavailableException e) {
                // not connected: the lease frees it
            }
        }
        if (names.length() == 0) {
            return;
        }
        try {
            CompletableFuture.allOf(replies.toArray(CompletableFuture[]::new))
                    .get(waitMillis(), TimeUnit.MILLISECONDS);
            log.warn("cachesync closed while holding {} lock(s): {}; released them", open.size(), names);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            log.warn("cachesync closed while holding {} lock(s): {}; not every release reached Redis ({}), so some "
                    + "are freed only when their lease ({} ms) runs out", open.size(), names,
                    RedisSnapshotStore.unwrap(e).toString(), leaseMillis);
        }
    }

    private static void cancelWatchdog(RedisLock lock) {
        ScheduledFuture<?> watchdog = lock.watchdog;
        if (watchdog != null) {
            watchdog.cancel(false);
        }
    }

    /** Compare-and-delete without waiting: for locks whose state is unknown (a lost answer) or given up. */
    private void releaseQuietly(String key, String owner) {
        try {
            releaseScript(key, owner);
        } catch (RedisUnavailableException e) {
            // not connected: the lease frees it
        }
    }

    private String newOwnerToken() {
        byte[] bytes = new byte[16];
        random.nextBytes(bytes);
        return HexFormat.of().formatHex(bytes);
    }

    private static Duration elapsed(long startNanos) {
        return Duration.ofNanos(System.nanoTime() - startNanos);
    }

    private long waitMillis() {
        return connector.timeout().toMillis() + 100;
    }

    private <T> T await(CompletableFuture<T> reply, String key) throws RedisUnavailableException {
        try {
            return reply.get(waitMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw new RedisUnavailableException("lock script on " + key, RedisSnapshotStore.unwrap(e));
        } catch (TimeoutException e) {
            throw new RedisUnavailableException("lock script on " + key, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RedisUnavailableException("lock script on " + key + " (interrupted)", e);
        }
    }

    /*
     * The Redis calls, kept small and on the scripting interface that standalone and cluster async commands share,
     * so that a switch of the command connection touches only scripting().
     */

    /** The scripting commands of the command connection: one Redis, or the cluster routed by the first key's slot. */
    RedisScriptingAsyncCommands<String, byte[]> scripting() throws RedisUnavailableException {
        RedisScriptingAsyncCommands<String, byte[]> redis = connector.async();
        if (redis == null || !connector.available()) {
            throw new RedisUnavailableException("Redis is not connected", null);
        }
        return redis;
    }

    /** {@link LockScripts#ACQUIRE}: {@code [1, fencing token bytes]} or {@code [0, remaining lease ms]}. */
    CompletableFuture<List<Object>> acquireScript(String key, String fenceKey, String owner) {
        return run(LockScripts.ACQUIRE, ScriptOutputType.MULTI, new String[]{key, fenceKey}, ascii(owner),
                leaseArgument);
    }

    /** {@link LockScripts#RENEW}: 1 if the lease was extended, 0 if the lock is not {@code owner}'s. */
    CompletableFuture<Long> renewScript(String key, String owner) {
        return run(LockScripts.RENEW, ScriptOutputType.INTEGER, new String[]{key}, ascii(owner), leaseArgument);
    }

    /** {@link LockScripts#RELEASE}: 1 if deleted, 0 if the lock is not {@code owner}'s. */
    CompletableFuture<Long> releaseScript(String key, String owner) {
        return run(LockScripts.RELEASE, ScriptOutputType.INTEGER, new String[]{key}, ascii(owner));
    }

    private <T> CompletableFuture<T> run(RedisScript script, ScriptOutputType type, String[] scriptKeys,
                                         byte[]... args) {
        return script.run(scripting(), type, scriptKeys, args);
    }
}
