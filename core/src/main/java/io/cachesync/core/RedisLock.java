package io.cachesync.core;

import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A distributed lock on one row, held in Redis, acquired through {@code CacheSync.lock(type, id)} or
 * {@code tryLock(type, id, wait)}. Release it with {@link #close()}, ideally in try-with-resources.
 *
 * <p>What it guarantees:
 * <ul>
 *   <li>While Redis keeps its data and its clock, at most one owner at a time holds the lock of a key: the lock is
 *   a key whose value is a random owner token, set only if absent, with a lease (an expiry).</li>
 *   <li>No node ever releases or extends another owner's lock: both are compare-and-delete / compare-and-expire
 *   scripts on the owner token, run atomically inside Redis.</li>
 *   <li>A watchdog renews the lease every third of it while this lock is open; if the process dies (or stops
 *   renewing), Redis frees the lock once the lease runs out, not before.</li>
 *   <li>{@link #fencingToken()} is strictly greater than the token of every earlier acquisition of the same key,
 *   on any node (it is an increment, in the same atomic step as the acquisition, of a counter that never
 *   expires).</li>
 *   <li>{@link #isHeld()} is false as soon as this owner cannot be sure it still holds the lock: a renewal found
 *   another value (or none), or the lease ran out before a renewal succeeded.</li>
 * </ul>
 *
 * <p>What it does not guarantee: mutual exclusion by itself. A holder that pauses longer than the lease (a GC
 * pause, a stopped VM, a slow network), a jump of the Redis server's clock, or a failover to a replica that had
 * not yet received the lock (Redis replicates asynchronously) can leave two owners believing they hold the same
 * lock. Writers that must be safe pass {@link #fencingToken()} to the database and have it refuse a write whose
 * token is not greater than the last one it accepted (see the README). It is not reentrant: locking a key this
 * thread already holds waits like any other caller. Waiters poll with a capped backoff; there is no fairness.
 *
 * <p>Thread-safe; {@link #close()} may be called from any thread, any number of times.
 */
public final class RedisLock implements AutoCloseable {

    enum State { HELD, LOST, RELEASED }

    private final RedisLocks locks;
    private final String entityName;
    private final String id;
    private final String key;
    private final String owner;
    private final long fencingToken;
    private final long acquiredAtNanos;
    final AtomicReference<State> state = new AtomicReference<>(State.HELD);
    /** Until when (System.nanoTime) the last confirmed acquisition or renewal keeps the lock ours. */
    volatile long validUntilNanos;
    volatile ScheduledFuture<?> watchdog;

    RedisLock(RedisLocks locks, String entityName, String id, String key, String owner, long fencingToken,
              long acquiredAtNanos, long validUntilNanos) {
        this.locks = locks;
        this.entityName = entityName;
        this.id = id;
        this.key = key;
        this.owner = owner;
        this.fencingToken = fencingToken;
        this.acquiredAtNanos = acquiredAtNanos;
        this.validUntilNanos = validUntilNanos;
    }

    /**
     * A number strictly greater than that of every earlier acquisition of this key, on every node. Pass it to the
     * database with each write done under the lock, and have the database refuse it unless it is greater than the
     * last token it saw (e.g. {@code UPDATE ... SET fence = :token WHERE id = :id AND fence < :token}).
     */
    public long fencingToken() {
        return fencingToken;
    }

    /**
     * True while this owner still holds the lock as far as it can know: not released, no renewal found the lock
     * gone or taken, and the last confirmed lease (minus a margin for clock drift) has not run out. A true answer
     * can be stale the instant it is returned (see the class comment): fencing is what makes writes safe.
     */
    public boolean isHeld() {
        return state.get() == State.HELD && System.nanoTime() - validUntilNanos < 0;
    }

    /** The entity, e.g. {@code Account}. */
    public String entityName() {
        return entityName;
    }

    /** The row's id as it appears in keys. */
    public String id() {
        return id;
    }

    /** The Redis key of the lock, e.g. {@code {cachesync:lock:Account:42}}. */
    public String key() {
        return key;
    }

    /** How long ago this lock was acquired. */
    public Duration heldFor() {
        return Duration.ofNanos(System.nanoTime() - acquiredAtNanos);
    }

    /**
     * Releases the lock if it is still this owner's (compare-and-delete on the owner token) and stops its watchdog.
     * Never deletes another owner's lock; never throws. If the lock turns out to be gone or taken by then, that is
     * logged at WARN (the work done under it may have overlapped another holder's). Idempotent.
     */
    @Override
    public void close() {
        locks.release(this);
    }

    String owner() {
        return owner;
    }

    long acquiredAtNanos() {
        return acquiredAtNanos;
    }

    @Override
    public String toString() {
        return entityName + "#" + id + " (fencing token " + fencingToken + ", " + state.get() + ")";
    }
}
