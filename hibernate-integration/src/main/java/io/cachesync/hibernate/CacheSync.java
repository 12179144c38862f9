package io.cachesync.hibernate;

import io.cachesync.core.CacheStatistics;
import io.cachesync.core.CacheSyncSettings;
import io.cachesync.core.LockTimeoutException;
import io.cachesync.core.RedisLock;
import io.cachesync.core.RedisUnavailableException;
import io.cachesync.core.Snapshot;
import io.cachesync.core.SnapshotCache;
import jakarta.persistence.EntityManagerFactory;
import org.hibernate.SessionFactory;

import java.time.Duration;
import java.util.Optional;
import java.util.Set;

/**
 * The runtime handle of cachesync for one SessionFactory.
 *
 * <p>{@link #find} reads through the local tier, Redis and the database and never returns an uncommitted state
 * or a version older than one this node has already seen; Redis trouble makes it read the database, never throw.
 * {@link #snapshot} shows exactly what Redis holds. Thread-safe; obtain it with {@link #of(SessionFactory)}.
 */
public final class CacheSync {

    private final CacheSyncRuntime runtime;

    private CacheSync(CacheSyncRuntime runtime) {
        this.runtime = runtime;
    }

    /**
     * The handle for a SessionFactory built with {@code cachesync.redis.uri}.
     *
     * @throws IllegalStateException if cachesync is not switched on for it
     */
    public static CacheSync of(SessionFactory sessionFactory) {
        CacheSyncRuntime runtime = CacheSyncIntegrator.RUNTIMES.get(sessionFactory);
        if (runtime == null) {
            SessionFactory unwrapped = sessionFactory.unwrap(SessionFactory.class);
            runtime = CacheSyncIntegrator.RUNTIMES.get(unwrapped);
        }
        if (runtime == null) {
            throw new IllegalStateException("cachesync is not switched on for this SessionFactory (or it is closed): "
                    + "set " + CacheSyncSettings.REDIS_URI + " in hibernate.properties");
        }
        return new CacheSync(runtime);
    }

    /** The handle for a Jakarta Persistence EntityManagerFactory backed by Hibernate. */
    public static CacheSync of(EntityManagerFactory entityManagerFactory) {
        return of(entityManagerFactory.unwrap(SessionFactory.class));
    }

    /**
     * The row as a detached instance: from the local tier, else Redis, else the database (then cached). A to-one
     * association comes back as a detached reference holding only the target's id; collections and embeddables
     * are not cached and come back as the entity's constructor leaves them.
     *
     * @return empty when the row does not exist (or was deleted)
     * @throws IllegalArgumentException if {@code type} is not an entity that extends {@link VersionedEntity}
     */
    public <T> Optional<T> find(Class<T> type, Object id) {
        SyncedEntity entity = runtime.entity(type);
        Snapshot snapshot = runtime.cache().get(entity.schema(), id, entity.loader());
        return snapshot == null ? Optional.empty() : Optional.of(type.cast(entity.materialize(snapshot)));
    }

    /**
     * What Redis holds for a row right now, bypassing the local tier: a snapshot, a tombstone
     * ({@link Snapshot#tombstone()}), or empty when the key is absent or its bytes do not decode.
     *
     * @throws RedisUnavailableException if Redis does not answer within the configured timeout
     */
    public Optional<Snapshot> snapshot(Class<?> type, Object id) {
        SyncedEntity entity = runtime.entity(type);
        return runtime.cache().redisSnapshot(entity.schema(), id);
    }

    /**
     * Takes the distributed lock on one row, waiting up to {@code cachesync.lock.wait} (default 10 s) while another
     * node or thread holds it; release it with {@link RedisLock#close()}, in try-with-resources:
     * <pre>{@code
     * try (RedisLock lock = CacheSync.of(sf).lock(Account.class, 42L)) {
     *     // a transaction on Account 42; pass lock.fencingToken() to the database to refuse late holders
     * }
     * }</pre>
     * A watchdog renews the lease ({@code cachesync.lock.lease}, default 30 s) while the lock is open. See
     * {@link RedisLock} for exactly what it guarantees, and what it does not.
     *
     * @throws LockTimeoutException      if another owner held the lock for the whole wait (names entity, id, wait)
     * @throws RedisUnavailableException if Redis did not answer the last attempt
     * @throws IllegalArgumentException  if {@code type} is not synced or {@code id} is not of its id type
     * @throws IllegalStateException     if the SessionFactory is closed
     */
    public RedisLock lock(Class<?> type, Object id) {
        return runtime.cache().lock(runtime.entity(type).schema(), id);
    }

    /**
     * Takes the distributed lock on one row if it can within {@code wait} (zero: a single attempt). It returns within
     * the wait plus at most one {@code cachesync.redis.timeout} (the last attempt's answer).
     *
     * @return the lock, or empty if another owner held it for the whole wait (or the wait was interrupted, which
     *         leaves the thread's interrupt flag set)
     * @throws RedisUnavailableException if Redis did not answer the last attempt
     */
    public Optional<RedisLock> tryLock(Class<?> type, Object id, Duration wait) {
        return runtime.cache().tryLock(runtime.entity(type).schema(), id, wait);
    }

    /** The Redis key of a row, e.g. {@code cachesync:Account:42}. */
    public String key(Class<?> type, Object id) {
        return runtime.cache().store().key(runtime.entity(type).schema(), id);
    }

    /** Keys whose push failed and that wait for a retry. */
    public int pendingRepairs() {
        return runtime.cache().pendingRepairs();
    }

    /**
     * With {@code cachesync.push.mode=async}: writes of committed transactions not yet answered by Redis (queued
     * for the push thread, or in flight). Always 0 in the default sync mode.
     */
    public int asyncPushBacklog() {
        return runtime.cache().asyncPushBacklog();
    }

    /** Entities whose failed keys overflowed the repair queue, to be reconciled in full. */
    public Set<String> entitiesNeedingReconciliation() {
        return runtime.cache().entitiesNeedingReconciliation();
    }

    /** True while this node serves reads from its local tier (its invalidation channel is live). */
    public boolean localTierServing() {
        return runtime.cache().localTierServing();
    }

    /** The counters since this SessionFactory started: reads per tier, fills, pushes, invalidations, repairs. */
    public CacheStatistics statistics() {
        return runtime.cache().statistics();
    }

    /**
     * Drops every value of this node's local tier (e.g. after Redis was restored from a backup), keeping each row's
     * version as a floor: a Redis copy older than a version this node knew is then read from the database instead,
     * and rewritten.
     */
    public void clearLocalTier() {
        runtime.cache().clearLocalTier();
    }

    /**
     * What the live consistency monitor has measured: per delay after a commit, overall and per model, the share
     * of sampled keys that were consistent, as a ratio and in nines (see {@link io.cachesync.core.monitor.MonitorReport}).
     */
    public io.cachesync.core.monitor.MonitorReport monitor() {
        return runtime.monitor().report();
    }

    /** The settings in force. */
    public CacheSyncSettings settings() {
        return runtime.settings();
    }

    SnapshotCache cache() {
        return runtime.cache();
    }

    CacheSyncRuntime runtime() {
        return runtime;
    }
}
