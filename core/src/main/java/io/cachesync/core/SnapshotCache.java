package io.cachesync.core;

import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The two-tier snapshot cache: the entry point an ORM integration drives.
 *
 * <p>Guarantees:
 * <ul>
 *   <li>{@link #publish} is for committed changes only. It updates this node's local tier at once, sends every
 *   snapshot of the transaction to Redis in one round trip, and never throws: a write that fails is logged with
 *   entity, id, version and cause and queued for repair, retried with backoff until Redis takes it.</li>
 *   <li>No version in Redis ever goes backwards: every write goes through the versioned-write script.</li>
 *   <li>{@link #read} serves the local tier, then Redis, then the loader (the database), and fills the tiers
 *   with versioned writes, so a slow reader never replaces a newer snapshot. Undecodable bytes are a miss,
 *   counted, logged once per key and overwritten.</li>
 *   <li>While Redis stops answering (consecutive timeouts), a {@link RedisCircuitBreaker} makes pushes and reads
 *   fail fast, to the repair queue and to the loader, until a probe finds Redis answering again.</li>
 *   <li>{@link #lock} and {@link #tryLock} take distributed locks on rows ({@link RedisLock} says what they
 *   guarantee); their leases are renewed on this cache's scheduler.</li>
 *   <li>{@link #close} releases the locks it still holds (best effort), then every thread and connection it
 *   opened; keys still pending, and pushes failed by the close itself, are logged.</li>
 * </ul>
 * Thread-safe.
 */
public final class SnapshotCache implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(SnapshotCache.class);
    private static final AtomicInteger INSTANCES = new AtomicInteger();
    private static final int REPAIR_BATCH = 500;
    private static final int MAX_CORRUPT_KEYS_LOGGED = 10_000;
    private static final String MORE_CORRUPT_KEYS = "";
    /** Async mode: writes queued beyond this are sent by the committing thread itself (back-pressure). */
    private static final int ASYNC_MAX_QUEUED = 100_000;
    /** Async mode: how long the push thread lets commits collect while they keep coming. */
    private static final long ASYNC_TICK_NANOS = TimeUnit.MICROSECONDS.toNanos(200);

    private final CacheSyncSettings settings;
    private final RedisKeys keys;
    private final SnapshotCodec codec = new SnapshotCodec();
    private final Map<String, SnapshotSchema> schemas = new ConcurrentHashMap<>();
    private final LocalTier local;
    private final CacheSyncMetrics metrics;
    private final RepairQueue repairs;
    private final ScheduledExecutorService scheduler;
    private final RedisConnector connector;
    private final RedisCircuitBreaker breaker;
    private final RedisSnapshotStore store;
    private final InvalidationSubscriber invalidations;
    private final AsyncPusher pusher;
    /**
     * Writes committed here whose push Redis has not answered yet, by key. Until it answers, Redis may hold an
     * older version than this node has served (after a local-tier clear, a read would go there): the read path
     * skips such a copy, as it does for keys in the repair queue.
     */
    private final Map<String, SnapshotWrite> unanswered = new ConcurrentHashMap<>();
    private final RedisLocks locks;
    /** Null unless {@code cachesync.warm.enabled}: then the read path samples into it. */
    private final HotKeys hotKeys;
    final LocalTierWarmer warmer; // package-private: tests set its hook
    private final Set<String> corruptKeysLogged = ConcurrentHashMap.newKeySet();
    private final WarnThrottle lostVersionWarnings = new WarnThrottle(10, TimeUnit.SECONDS);
    private final AtomicBoolean repairScheduled = new AtomicBoolean();
    private volatile long repairDelayMillis = 50;
    private volatile ScheduledFuture<?> repairTask;
    private volatile boolean closed;
    private volatile boolean closeSummarised;
    private final int instance;
    /** Told about keys a read saw drift under (see {@link #onDriftSeen}); null when nobody listens. */
    private volatile java.util.function.BiConsumer<SnapshotSchema, Object> driftSeen;

    public SnapshotCache(CacheSyncSettings settings, MeterRegistry registry) {
        this.settings = settings;
        this.keys = new RedisKeys(settings.keyPrefix());
        this.local = new LocalTier(settings);
        this.repairs = new RepairQueue(settings.repairMaxPending(), () -> metricsOverflow());
        int instance = INSTANCES.incrementAndGet();
        this.instance = instance;
        this.scheduler = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "cachesync-" + instance + "-repair");
            thread.setDaemon(true);
            return thread;
        });
        RedisConnector[] connectorRef = new RedisConnector[1]; // the probe needs the connector built below
        this.breaker = new RedisCircuitBreaker(settings.breakerFailures(), settings.breakerProbeInterval().toMillis(),
                scheduler, () -> ping(connectorRef[0]), this::scheduleRepair, settings.redisUriForLogs());
        this.metrics = new CacheSyncMetrics(registry, settings.keyPrefix(), instance, repairs::size, breaker);
        this.invalidations = new InvalidationSubscriber(local, keys.invalidationChannel(), schemas, metrics);
        this.connector = new RedisConnector(settings, scheduler, this::reconnected, invalidations::attach,
                invalidations::channelLost);
        connectorRef[0] = connector;
        this.store = new RedisSnapshotStore(connector, breaker, keys, codec, settings);
        this.pusher = settings.pushMode() == CacheSyncSettings.PushMode.ASYNC
                ? new AsyncPusher("cachesync-" + instance + "-push", ASYNC_MAX_QUEUED, ASYNC_TICK_NANOS,
                store.waitMillis(), this::send)
                : null;
        this.locks = new RedisLocks(connector, keys, settings, scheduler, metrics);
        metrics.locksHeld(locks::heldCount);
        if (settings.warming().enabled()) {
            this.warmer = new LocalTierWarmer(this, local, store, new HotSetStore(connector, breaker, store, keys),
                    metrics, scheduler, schemas, settings.warming(), keys);
            this.hotKeys = warmer.hotKeys();
            metrics.registerWarming(hotKeys);
            invalidations.onServing(warmer::trigger);
        } else {
            this.warmer = null;
            this.hotKeys = null;
        }
        connector.start();
    }

    /** The command connection is (re)established: a failure streak that opened the circuit may be over. */
    private void reconnected() {
        breaker.probeNow();
        scheduleRepair();
    }

    private static java.util.concurrent.CompletionStage<?> ping(RedisConnector connector) {
        io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands<String, byte[]> redis = connector.async();
        if (redis == null || !connector.available()) {
            return CompletableFuture.failedFuture(new RedisUnavailableException("Redis is not connected", null));
        }
        return redis.ping();
    }

    private void metricsOverflow() {
        if (metrics != null) {
            metrics.repairOverflows.increment();
        }
    }

    /** This cache's number in the process: the {@code instance} tag of its meters. */
    public int instance() {
        return instance;
    }

    /**
     * Tells {@code listener} about each key a read saw drift under: undecodable bytes, or a Redis version below
     * one that this node knows Redis held. It runs on the reading thread and must not block (e.g. the consistency
     * monitor queues the key for a check and a repair). Null: nobody.
     */
    public void onDriftSeen(java.util.function.BiConsumer<SnapshotSchema, Object> listener) {
        this.driftSeen = listener;
    }

    /** Makes an entity known, so that invalidations for it can be parsed. Call once per entity at startup. */
    public void register(SnapshotSchema schema) {
        schemas.put(schema.entityName(), schema);
    }

    /**
     * As {@link #register(SnapshotSchema)}, with the loader that cache warming uses to fill Redis for hot keys it
     * lacks (the same loader the read path is given).
     */
    public void register(SnapshotSchema schema, SnapshotLoader loader) {
        register(schema);
        if (warmer != null) {
            warmer.register(schema.entityName(), loader);
        }
    }

    /**
     * Call once every entity is registered. With {@code cachesync.warm.enabled}: starts publishing this node's hot
     * keys and warms the local tier with the hottest keys as soon as it serves, waiting for that at most
     * {@code cachesync.warm.startup-wait} (not at all while Redis is unreachable). Never throws.
     *
     * @return true when the first warm-up ended within the wait (or warming is off)
     */
    public boolean startWarming() {
        if (warmer == null) {
            return true;
        }
        CompletableFuture<Void> first = warmer.start();
        if (!settings.localEnabled()) {
            return true; // no local tier to warm: this node only publishes what it reads
        }
        long waitMillis = settings.warming().startupWait().toMillis();
        try {
            first.get(waitMillis, TimeUnit.MILLISECONDS);
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            log.info("cachesync startup did not wait longer than {} ms for its warm-up; it goes on in the background",
                    waitMillis);
        }
        return false;
    }

    public CacheSyncSettings settings() {
        return settings;
    }

    /** The Redis store, for batched reads, scans and repairs. */
    public RedisSnapshotStore store() {
        return store;
    }

    /**
     * Publishes the snapshots of one committed transaction: local tier first (read-your-writes), then Redis in
     * one round trip. In {@link CacheSyncSettings.PushMode#SYNC} mode it returns when Redis has answered for
     * every key or the timeout has passed; in {@link CacheSyncSettings.PushMode#ASYNC} mode it queues the writes
     * for the push thread, which sends the writes of many transactions per round trip. Failed keys are queued for
     * repair either way. Never throws.
     *
     * @return completed once Redis' answer for every write is handled
     */
    public CompletableFuture<Void> publish(List<SnapshotWrite> writes) {
        if (writes.isEmpty()) {
            return CompletableFuture.completedFuture(null);
        }
        for (SnapshotWrite write : writes) {
            Snapshot snapshot = write.snapshot();
            unanswered.put(store.key(schemaOrSelf(snapshot), snapshot.id()), write);
            local.commit(snapshot, write.mode() == WriteMode.INSERT, write.insertedAt());
        }
        if (pusher != null) {
            return pusher.push(writes);
        }
        CompletableFuture<Void> all = send(writes);
        try {
            // Lettuce fails each command at the timeout; this wait only bounds the commit if that timer is late
            all.get(store.waitMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            // Every outcome handler queues its own failure; nothing more to do here.
            log.debug("cachesync push of {} keys did not finish in time: {}", writes.size(), e.toString());
        }
        return all;
    }

    /** Sends writes in one round trip; the future completes once every outcome is handled, never exceptionally. */
    private CompletableFuture<Void> send(List<SnapshotWrite> writes) {
        Runnable hook = beforeRedisWrite;
        if (hook != null) {
            hook.run();
        }
        List<CompletableFuture<WriteOutcome>> outcomes = store.write(writes);
        CompletableFuture<?>[] handled = new CompletableFuture<?>[outcomes.size()];
        for (int i = 0; i < outcomes.size(); i++) {
            SnapshotWrite write = writes.get(i);
            handled[i] = outcomes.get(i).thenAccept(outcome -> afterPush(write, outcome));
        }
        return CompletableFuture.allOf(handled);
    }

    /**
     * A write that Redis took from this node outside a commit (a Reconciler repair): applies its invalidation to
     * this node's local tier now, exactly as the published one does when it lands. The node that repaired a key
     * must not go on serving its drifted local copy after the repair returned, and waiting for its own
     * invalidation is a race: on a Redis Cluster the message crosses the cluster bus whenever this node's
     * subscription is on another node than the key's master, and arrives milliseconds after the write's answer.
     */
    public void writtenByThisNode(SnapshotWrite write) {
        Snapshot s = write.snapshot();
        local.invalidate(s.entityName(), s.id(), s.version(), write.mode() == WriteMode.INSERT);
    }

    /** Test hook (see {@link InvalidationSubscriber#held}): null applies invalidations as they arrive again. */
    void holdInvalidations(java.util.function.Consumer<Runnable> hold) {
        invalidations.held = hold;
    }

    /*
     * Test hooks, to widen race windows at each step after a commit: null in production, where each costs one
     * volatile read. Set from tests through the same package.
     */
    /** Runs after the local tier took a commit's snapshots, before they are sent to Redis. */
    volatile Runnable beforeRedisWrite;
    /** Runs when Redis' answer (or the failure) for one push arrives, before it is handled (on Lettuce's thread). */
    volatile Runnable beforePushOutcome;
    /** Runs on the read path after the database load, before the fill of Redis and the local tier. */
    volatile Runnable beforeFill;

    private void afterPush(SnapshotWrite write, WriteOutcome outcome) {
        Snapshot s = write.snapshot();
        String key = store.key(schemaOrSelf(s), s.id());
        try {
            handleOutcome(write, outcome, key);
        } finally {
            // after a failure has been queued for repair, so that the key is never unguarded in between
            unanswered.remove(key, write);
        }
    }

    private void handleOutcome(SnapshotWrite write, WriteOutcome outcome, String key) {
        Runnable hook = beforePushOutcome;
        if (hook != null) {
            hook.run();
        }
        Snapshot s = write.snapshot();
        if (outcome.written()) {
            metrics.pushesWritten.increment();
        } else if (outcome.refused()) {
            metrics.pushesRefused.increment();
            demoteIfRedisIsAhead(write, outcome);
            log.debug("cachesync push of {}#{} v{} refused: Redis holds v{}", s.entityName(), s.id(), s.version(),
                    outcome.storedVersion());
        } else {
            metrics.pushesFailed.increment();
            if (closed) {
                afterClose(write, outcome, key);
                return;
            }
            // The local copy stays: it is the committed state, newer than what Redis may still hold, and dropping
            // it would let the next read serve Redis' older version after this node served the new one.
            boolean alreadyPending = repairs.pendingVersion(key) >= 0;
            boolean queued = repairs.offer(key, write);
            if (alreadyPending && queued) {
                // the key is already logged and queued: one WARN per key per outage, not one per commit
                log.debug("cachesync push failed for {}#{} v{}: {}; replaces the queued version", s.entityName(),
                        s.id(), s.version(), describe(outcome.failure()));
                scheduleRepair();
                return;
            }
            log.warn("cachesync push failed for {}#{} v{}: {}; {}", s.entityName(), s.id(), s.version(),
                    describe(outcome.failure()), queued ? "queued for repair (" + repairs.size() + " pending)"
                            : "repair queue full, entity marked for reconciliation");
            scheduleRepair();
        }
    }

    /**
     * Redis refused our write because it holds a newer version (or, for an insert, a later row): our local copy is
     * not the newest either, so it gives way to a floor at Redis' version.
     */
    private void demoteIfRedisIsAhead(SnapshotWrite write, WriteOutcome outcome) {
        Snapshot s = write.snapshot();
        if (outcome.storedVersion() > s.version() || write.mode() == WriteMode.INSERT) {
            local.demote(s.entityName(), s.id(), outcome.storedVersion(), s);
        }
    }

    /**
     * A push that failed because the cache is closing (its connection was closed under it). The key goes to the
     * queue, so that the summary that close() logs names it; if that summary is already written, it gets a line of
     * its own. (The flag is set before the summary reads the queue, so a key is named at least once.)
     */
    private void afterClose(SnapshotWrite write, WriteOutcome outcome, String key) {
        Snapshot s = write.snapshot();
        repairs.offer(key, write);
        if (closeSummarised) {
            log.warn("cachesync closed before {}#{} v{} reached Redis ({}); run the Reconciler to repair it",
                    s.entityName(), s.id(), s.version(), describe(outcome.failure()));
        }
    }

    private SnapshotSchema schemaOrSelf(Snapshot s) {
        SnapshotSchema schema = schemas.get(s.entityName());
        if (schema == null) {
            throw new IllegalStateException("entity " + s.entityName() + " was never registered");
        }
        return schema;
    }

    /**
     * Reads a row through the tiers: local, Redis, then {@code loader}. The result is never older than a
     * version this node has already served or committed. Never throws for cache trouble: with Redis down it
     * reads the database.
     */
    public Optional<Snapshot> read(SnapshotSchema schema, Object id, SnapshotLoader loader) {
        return Optional.ofNullable(get(schema, id, loader));
    }

    /**
     * As {@link #read}, for integrations on a hot path: the live snapshot, or null when the row does not exist
     * (or was deleted). Allocates nothing on a local-tier hit.
     */
    public Snapshot get(SnapshotSchema schema, Object id, SnapshotLoader loader) {
        if (hotKeys != null && hotKeys.sampled()) {
            sample(schema, id);
        }
        String entity = schema.entityName();
        Snapshot cached = local.get(entity, id);
        if (cached != null) {
            metrics.localHits.increment();
            return cached.tombstone() ? null : cached;
        }
        metrics.localMisses.increment();
        long epoch = local.epoch();
        String key = store.key(schema, id);
        byte[] bytes = null;
        boolean redisUp = store.available();
        if (!redisUp && store.circuitOpen()) {
            store.rejectedByCircuit();
        }
        if (redisUp) {
            try {
                bytes = store.read(key);
            } catch (RedisUnavailableException e) {
                redisUp = false;
                log.debug("cachesync read of {} fell back to the database: {}", key, e.getMessage());
            }
        }
        long skipped = -1; // the newest version known when Redis' copy was skipped as older
        if (bytes != null) {
            DecodeResult decoded = codec.decode(schema, id, bytes);
            if (decoded instanceof DecodeResult.Decoded d) {
                long inRedis = d.snapshot().version();
                long pending = pendingVersion(key);
                long known = local.knownVersion(entity, id);
                if (pending <= inRedis && known <= inRedis
                        && !(d.snapshot().tombstone() && insertOnItsWay(key))) {
                    metrics.redisHits.increment();
                    local.fill(d.snapshot(), epoch);
                    return d.snapshot().tombstone() ? null : d.snapshot();
                }
                // Redis is behind this node: a newer commit of ours has not landed yet (in flight, queued in async
                // mode, or waiting for repair; or an insert of ours, over the tombstone of the row before), or Redis
                // lost a version this node committed, served or was told of (a failover to a lagging replica, a
                // restore). Serving it would go back in version; the database has the newest state, and the fill
                // below brings Redis up to it.
                skipped = Math.max(pending, known);
                if (pending > inRedis) {
                    log.debug("cachesync read of {} skipped Redis' v{}: v{} of this node is on its way", key, inRedis,
                            pending);
                } else {
                    lostVersionSeen(schema, id, key, inRedis, known);
                }
            } else if (decoded instanceof DecodeResult.Undecodable bad && !bad.schemaMismatch()) {
                metrics.corrupt.increment();
                logCorruptOnce(key, bad.reason());
                java.util.function.BiConsumer<SnapshotSchema, Object> seen = driftSeen;
                if (seen != null) {
                    seen.accept(schema, id); // repaired even when the row is gone and no fill follows
                }
            }
        }
        metrics.redisMisses.increment();
        metrics.databaseLoads.increment();
        LocalTier.Entry knownBefore = skipped >= 0 ? null : local.entry(entity, id);
        Optional<Snapshot> loaded = loader.load(id);
        if (loaded.isEmpty()) {
            if (skipped >= 0) {
                // The row is gone, but Redis still holds an older copy (the delete's push, or this node's own newer
                // write, has not landed, or Redis lost them): remember the deletion here, or the next read would
                // serve that copy after this one served nothing. An insert of the id, or a newer version, replaces it.
                local.fill(Snapshot.tombstone(schema, id, skipped, null), epoch);
            } else if (knownBefore != null) {
                // Redis had nothing to say (away, or no key), and this node knew a version of the row: remember the
                // deletion too, or a Redis that comes back with that version (the delete's push still queued, or
                // lost) would have this node serve the row again after this read served nothing.
                local.recordDeletion(Snapshot.tombstone(schema, id, knownBefore.version(), null), knownBefore, epoch);
            }
            return null;
        }
        Snapshot fresh = loaded.get();
        fillFromDatabase(schema, id, fresh, bytes, redisUp, epoch);
        return fresh;
    }

    /** Redis holds a version below one this node knew, with no push of ours on its way: Redis lost writes. */
    private void lostVersionSeen(SnapshotSchema schema, Object id, String key, long inRedis, long known) {
        long held = lostVersionWarnings.letThrough();
        if (held >= 0) {
            log.warn("cachesync read of {} found v{} in Redis, below v{} that this node committed, served or was "
                    + "told of: Redis lost writes (a failover to a lagging replica, a restored backup?). The read "
                    + "serves the database's row and rewrites the key{}", key, inRedis, known,
                    held == 0 ? "" : "; " + held + " more such reads since the last warning");
        } else {
            log.debug("cachesync read of {} found v{} in Redis, below v{} known here", key, inRedis, known);
        }
        java.util.function.BiConsumer<SnapshotSchema, Object> seen = driftSeen;
        if (seen != null) {
            seen.accept(schema, id);
        }
    }

    /**
     * The fill after a database load, shared by the read path and cache warming: Redis through the versioned
     * write ({@code bytesRead} null: the key was absent, so only a newer version may be there; else only if those
     * bytes are unchanged), then the local tier, unless Redis refused it or the tier was cleared since
     * {@code epoch} (taken before Redis was read) or knows a newer version. Returns whether the local tier took it.
     */
    boolean fillFromDatabase(SnapshotSchema schema, Object id, Snapshot fresh, byte[] bytesRead, boolean redisUp,
                             long epoch) {
        Runnable hook = beforeFill;
        if (hook != null) {
            hook.run();
        }
        if (redisUp) {
            SnapshotWrite fill = bytesRead == null ? SnapshotWrite.newer(fresh)
                    : SnapshotWrite.unchangedSince(fresh, bytesRead);
            WriteOutcome outcome = store.writeAndWait(fill);
            if (outcome.written()) {
                metrics.fillsWritten.increment();
            } else if (outcome.refused()) {
                metrics.fillsRefused.increment();
                if (outcome.storedVersion() >= fresh.version()) {
                    // Someone wrote this version or a newer one since we looked: do not keep ours locally.
                    local.demote(schema.entityName(), id, outcome.storedVersion(), fresh);
                    return false;
                }
                // Redis changed since we read it, but to a version older than the database's (a push still on its
                // way): ours is the newest committed state, and dropping it would send the next read to Redis'
                // older copy after this read served the newer one.
            } else {
                // the row is in the database; the next read or the Reconciler fills Redis
                log.debug("cachesync fill of {}#{} v{} failed: {}", schema.entityName(), id, fresh.version(),
                        describe(outcome.failure()));
            }
        }
        return local.fillLoaded(fresh, epoch);
    }

    /** One sampled read, into the hot-key table: allocation-free for a key it already tracks. */
    private void sample(SnapshotSchema schema, Object id) {
        try {
            hotKeys.record(schema, id);
        } catch (RuntimeException e) {
            // an id of the wrong type: the read itself reports it
        }
    }

    /**
     * Takes the distributed lock on one row, waiting up to {@code cachesync.lock.wait} while another owner holds
     * it. See {@link RedisLock} for what it guarantees and what it does not.
     *
     * @throws LockTimeoutException      if another owner held it for the whole wait
     * @throws RedisUnavailableException if Redis did not answer the last attempt
     * @throws IllegalStateException     if this cache is closed
     */
    public RedisLock lock(SnapshotSchema schema, Object id) {
        return locks.lock(schema.entityName(), schema.idText(id));
    }

    /**
     * Takes the distributed lock on one row if it can within {@code wait} (zero: one attempt); empty if another
     * owner held it throughout, or the wait was interrupted (the interrupt flag is then set).
     *
     * @throws RedisUnavailableException if Redis did not answer the last attempt
     * @throws IllegalStateException     if this cache is closed
     */
    public Optional<RedisLock> tryLock(SnapshotSchema schema, Object id, java.time.Duration wait) {
        return locks.tryLock(schema.entityName(), schema.idText(id), wait);
    }

    /** The distributed locks, for tests in this package (and the test-only bridge in other modules). */
    RedisLocks locks() {
        return locks;
    }

    /**
     * True if an insert of this key committed here has not been answered by Redis yet: a tombstone Redis holds may
     * be the row before it (whose versions this insert restarted), so it is not the newest state.
     */
    private boolean insertOnItsWay(String key) {
        if (unanswered.isEmpty()) {
            return false;
        }
        SnapshotWrite write = unanswered.get(key);
        return write != null && write.mode() == WriteMode.INSERT;
    }

    /** The version of this node's newest write of a key not yet in Redis, or -1. */
    long pendingVersion(String key) {
        long queued = repairs.pendingVersion(key);
        if (unanswered.isEmpty()) {
            return queued;
        }
        SnapshotWrite write = unanswered.get(key);
        return write == null ? queued : Math.max(queued, write.snapshot().version());
    }

    /** One WARN per key for the life of the cache, for at most a bounded number of keys: never a log flood. */
    private void logCorruptOnce(String key, String reason) {
        if (corruptKeysLogged.size() < MAX_CORRUPT_KEYS_LOGGED) {
            if (corruptKeysLogged.add(key)) {
                log.warn("cachesync found undecodable bytes under {} ({}); treated as a miss and overwritten "
                        + "from the database", key, reason);
            }
        } else if (corruptKeysLogged.add(MORE_CORRUPT_KEYS)) {
            log.warn("cachesync found undecodable bytes under more than {} keys; further ones are counted in {} "
                    + "but not logged", MAX_CORRUPT_KEYS_LOGGED, CacheSyncMetrics.CORRUPT);
        }
    }

    /** What Redis holds for a row right now (a tombstone included), bypassing the local tier. */
    public Optional<Snapshot> redisSnapshot(SnapshotSchema schema, Object id) throws RedisUnavailableException {
        byte[] bytes = store.read(store.key(schema, id));
        if (bytes == null) {
            return Optional.empty();
        }
        DecodeResult decoded = codec.decode(schema, id, bytes);
        return decoded instanceof DecodeResult.Decoded d ? Optional.of(d.snapshot()) : Optional.empty();
    }

    /** What this node's local tier would serve for a row right now (a tombstone included), for diagnostics. */
    public Optional<Snapshot> localSnapshot(SnapshotSchema schema, Object id) {
        return Optional.ofNullable(local.get(schema.entityName(), id));
    }

    /**
     * Drops every value of this node's local tier (e.g. after Redis was restored from a backup); reads then go to
     * Redis until they fill it again. Each row's version stays as a floor, so a Redis copy older than a version this
     * node knew is read from the database instead, and rewritten.
     */
    public void clearLocalTier() {
        local.clear();
        if (warmer != null) {
            warmer.trigger();
        }
    }

    /** The counters since this cache started (the numbers Micrometer publishes). */
    public CacheStatistics statistics() {
        return metrics.snapshot(repairs.size(), local.size());
    }

    /** How many times the local tier was cleared because the invalidation channel dropped. */
    public long localClears() {
        return metrics.localClears.sum();
    }

    /** The version this node's local tier knows for a row (a floor or a snapshot), or -1. */
    public long localVersion(SnapshotSchema schema, Object id) {
        return local.knownVersion(schema.entityName(), id);
    }

    /** True while this node serves from its local tier (the invalidation channel is live). */
    public boolean localTierServing() {
        return !local.bypassed();
    }

    /**
     * In async push mode, the writes of committed transactions that Redis has not answered yet (queued or in
     * flight); always 0 in sync mode.
     */
    public int asyncPushBacklog() {
        return pusher == null ? 0 : pusher.backlog();
    }

    /** Number of keys whose push failed and that wait for a retry. */
    public int pendingRepairs() {
        return repairs.size();
    }

    /** Entities whose failed keys overflowed the repair queue: run the Reconciler on them. */
    public Set<String> entitiesNeedingReconciliation() {
        return repairs.entitiesNeedingReconciliation();
    }

    /**
     * Marks an entity as needing a full reconciliation, because a change of it could not be snapshotted or
     * pushed and is not in the repair queue either.
     */
    public void markForReconciliation(String entityName) {
        repairs.markForReconciliation(entityName);
    }

    /**
     * The entity's reconciliation mark as it stands now (0: none). A run takes it before it reads anything and hands
     * it to {@link #markReconciled} when it has covered the entity.
     */
    public long reconciliationMark(String entityName) {
        return repairs.markOf(entityName);
    }

    /**
     * Clears the overflow mark of an entity once a reconciliation that started at {@code mark} has covered it,
     * unless the entity was marked again since: a change that failed while the run went on may have escaped it.
     */
    public void markReconciled(String entityName, long mark) {
        repairs.reconciled(entityName, mark);
    }

    private void scheduleRepair() {
        if (closed || repairs.size() == 0 || !repairScheduled.compareAndSet(false, true)) {
            return;
        }
        repairTask = scheduler.schedule(this::retryPending, repairDelayMillis, TimeUnit.MILLISECONDS);
    }

    private void retryPending() {
        repairScheduled.set(false);
        if (closed) {
            return;
        }
        boolean progress = false;
        try {
            progress = retryBatch();
        } catch (RuntimeException e) {
            log.error("cachesync repair retry failed; trying again later", e);
        } finally {
            // whatever happened, the queue keeps being retried
            repairDelayMillis = progress ? 50 : Math.min(repairDelayMillis * 2, settings.repairMaxBackoff().toMillis());
            scheduleRepair();
        }
    }

    private boolean retryBatch() {
        boolean progress = false;
        if (store.available()) {
            List<Map.Entry<String, SnapshotWrite>> batch = repairs.peek(REPAIR_BATCH);
            List<SnapshotWrite> writes = new ArrayList<>(batch.size());
            batch.forEach(entry -> writes.add(entry.getValue()));
            List<CompletableFuture<WriteOutcome>> outcomes = store.write(writes);
            int repaired = 0;
            StringBuilder named = new StringBuilder();
            for (int i = 0; i < batch.size(); i++) {
                WriteOutcome outcome = store.join(outcomes.get(i));
                if (!outcome.failed()) {
                    if (outcome.refused()) {
                        // as for a push: a retried write that Redis refuses must not leave its older copy served here
                        demoteIfRedisIsAhead(writes.get(i), outcome);
                    }
                    repairs.done(batch.get(i).getKey(), batch.get(i).getValue());
                    progress = true;
                    metrics.repairsCompleted.increment();
                    Snapshot s = writes.get(i).snapshot();
                    // one line per key at DEBUG; at INFO one line per batch, naming its first keys
                    log.debug("cachesync repaired {}#{} v{} ({})", s.entityName(), s.id(), s.version(),
                            outcome.written() ? "written" : "Redis already held v" + outcome.storedVersion());
                    if (repaired++ < 10) {
                        named.append(repaired == 1 ? "" : ", ").append(s.entityName()).append('#').append(s.id())
                                .append(" v").append(s.version());
                    }
                }
            }
            if (repaired > 0) {
                log.info("cachesync repaired {} queued key(s): {}{}; {} still pending", repaired, named,
                        repaired > 10 ? ", …" : "", repairs.size());
            }
        }
        return progress;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        if (pusher != null) {
            pusher.close(); // sends what async commits queued while the connection is still open
        }
        closed = true;
        // before the scheduler stops (it runs the watchdogs) and before the connection closes (it carries the releases)
        locks.close();
        if (warmer != null) {
            warmer.close(); // its last publish of the hot keys, bounded by the Redis timeout
        }
        breaker.close();
        ScheduledFuture<?> task = repairTask;
        if (task != null) {
            task.cancel(false);
        }
        scheduler.shutdownNow();
        try {
            scheduler.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        // closing the connection fails the pushes still in flight; their handlers queue them (see afterClose)
        // before the client's shutdown returns, so that the summary below names them too
        connector.close();
        closeSummarised = true;
        List<SnapshotWrite> left = repairs.snapshotOfPending();
        if (!left.isEmpty()) {
            StringBuilder keysLeft = new StringBuilder();
            for (int i = 0; i < Math.min(left.size(), 20); i++) {
                Snapshot s = left.get(i).snapshot();
                keysLeft.append(i == 0 ? "" : ", ").append(s.entityName()).append('#').append(s.id())
                        .append(" v").append(s.version());
            }
            log.warn("cachesync closed with {} keys never pushed to Redis ({}{}); run the Reconciler to repair them",
                    left.size(), keysLeft, left.size() > 20 ? ", …" : "");
        }
        metrics.close();
    }

    private static String describe(Throwable failure) {
        Throwable cause = RedisSnapshotStore.unwrap(failure);
        return cause.getClass().getSimpleName() + (cause.getMessage() == null ? "" : ": " + cause.getMessage());
    }
}
