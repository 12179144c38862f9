package io.cachesync.core.monitor;

import io.cachesync.core.RedisSnapshotStore;
import io.cachesync.core.RedisUnavailableException;
import io.cachesync.core.Snapshot;
import io.cachesync.core.SnapshotCache;
import io.cachesync.core.SnapshotSchema;
import io.cachesync.core.SnapshotWrite;
import io.cachesync.core.WriteOutcome;
import io.cachesync.core.drift.Drift;
import io.cachesync.core.drift.DriftClassifier;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * Live consistency monitoring: checks a sampled share of committed keys against the database after each
 * configured delay, counts per model and delay how many were consistent, and repairs the drift it finds.
 *
 * <p>On the commit thread ({@link #sample}) it costs one {@link ThreadLocalRandom} draw per committed key and,
 * for a sampled key only, one small object and a non-blocking offer to a bounded queue; a full queue drops the
 * sample and counts it. With a sample rate of 0 it costs one field read per transaction. Reads hand in keys they
 * saw drift under ({@link #suspect}) the same way. Everything else runs on one daemon thread of its own: per
 * delay, the due samples of a model are read from Redis with one MGET, then (after that read) loaded from the
 * database, and classified like the Reconciler classifies keys. A key that looks drifted is read again (twice,
 * 20 ms apart) before it counts, so that a commit whose push is still in flight is not taken for drift.
 *
 * <p>A drifted key is repaired at once (unless {@code cachesync.monitor.repair=false}) through the versioned
 * write, exactly as the Reconciler would: a newer snapshot pushed meanwhile always wins, and a cache-ahead key is
 * left alone. The same thread looks at the server's {@code run_id} every check interval: a change means Redis
 * restarted or was replaced and may have lost its dataset, and every model is handed to {@link ReconcileRequests};
 * models marked by a repair-queue overflow are handed over too.
 *
 * <p>Memory is bounded: at most {@code cachesync.monitor.max-pending} samples wait in the queue and as many
 * between their checks, and the last {@value #RECENT} inconsistencies are kept for {@link #report()}.
 * {@link #close} stops the thread. Thread-safe.
 */
public final class ConsistencyMonitor implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ConsistencyMonitor.class);
    /** Inconsistencies kept for the report. */
    static final int RECENT = 1000;
    private static final int CHECK_BATCH = 200;
    private static final int SUSPECTS = 1024;
    private static final int RECHECKS = 2;
    private static final long RECHECK_PAUSE_MILLIS = 20;

    private record Sample(String entity, Object id, long version, long sampledAt) {
    }

    private final SnapshotCache cache;
    private final RedisSnapshotStore store;
    private final MonitorSettings settings;
    private final double rate;
    private final List<Duration> delays;
    private final long[] delayNanos;
    private final Map<String, MonitoredEntity> entities;
    private final Map<String, DriftClassifier> classifiers = new LinkedHashMap<>();
    private final ReconcileRequests reconcile;
    private final ArrayBlockingQueue<Sample> intake;
    private final ArrayBlockingQueue<Sample> suspects = new ArrayBlockingQueue<>(SUSPECTS);
    private final ArrayDeque<Sample>[] stages;
    private final AtomicInteger waiting = new AtomicInteger();
    private final LongAdder sampled = new LongAdder();
    private final LongAdder dropped = new LongAdder();
    private final LongAdder repaired = new LongAdder();
    private final Map<String, Tally[]> tallies = new LinkedHashMap<>();
    private final Tally[] overall;
    private final ArrayDeque<Inconsistency> recent = new ArrayDeque<>();
    private final MonitorMetrics metrics;
    private final ScheduledExecutorService scheduler;
    private final long watchEveryNanos;
    private long nextWatch;
    private long nextDatabaseWarning;
    private String runId;
    private boolean runIdDenied;
    private volatile boolean closed;

    /**
     * Starts the monitor's thread.
     *
     * @param cache     the cache whose Redis store is checked (and whose overflow marks are watched)
     * @param settings  sample rate, delays, bounds, repair and auto-reconcile switches
     * @param registry  where the meters go
     * @param instance  the {@code instance} tag of the cache's meters
     * @param entities  every monitored model, by entity name
     * @param reconcile where models needing a full reconciliation are sent (data loss, overflow)
     */
    @SuppressWarnings("unchecked")
    public ConsistencyMonitor(SnapshotCache cache, MonitorSettings settings, MeterRegistry registry, String instance,
                              Map<String, MonitoredEntity> entities, ReconcileRequests reconcile) {
        this.cache = cache;
        this.store = cache.store();
        this.settings = settings;
        this.rate = settings.sampleRate();
        this.delays = settings.delays();
        this.delayNanos = delays.stream().mapToLong(Duration::toNanos).toArray();
        this.entities = Map.copyOf(entities);
        this.reconcile = reconcile;
        this.intake = new ArrayBlockingQueue<>(settings.maxPending());
        this.stages = new ArrayDeque[delays.size()];
        for (int i = 0; i < stages.length; i++) {
            stages[i] = new ArrayDeque<>();
        }
        this.overall = newTallies();
        entities.keySet().stream().sorted().forEach(name -> {
            tallies.put(name, newTallies());
            classifiers.put(name, new DriftClassifier(entities.get(name).schema(), store.codec()));
        });
        this.metrics = new MonitorMetrics(registry, cache.settings().keyPrefix(), instance, delays, tallies, overall,
                sampled, dropped, repaired, this::pending);
        this.watchEveryNanos = settings.checkInterval().toNanos();
        this.nextWatch = System.nanoTime(); // nanoTime may be negative: deadlines are relative to it, never to 0
        this.nextDatabaseWarning = nextWatch;
        this.scheduler = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "cachesync-" + instance + "-monitor");
            thread.setDaemon(true);
            return thread;
        });
        long tick = Math.max(10, Math.min(250, delays.get(0).toMillis() / 4));
        scheduler.scheduleWithFixedDelay(this::tick, tick, tick, TimeUnit.MILLISECONDS);
    }

    private Tally[] newTallies() {
        Tally[] t = new Tally[delays.size()];
        for (int i = 0; i < t.length; i++) {
            t[i] = new Tally();
        }
        return t;
    }

    /** True when commits are sampled (the sample rate is above 0). */
    public boolean sampling() {
        return rate > 0;
    }

    /**
     * Called on the commit thread with a committed transaction's writes: samples each key with the configured
     * probability. Never blocks, never throws; allocates only for a sampled key.
     */
    public void sample(List<SnapshotWrite> writes) {
        if (rate <= 0 || closed) {
            return;
        }
        for (int i = 0, n = writes.size(); i < n; i++) {
            if (rate >= 1.0 || ThreadLocalRandom.current().nextDouble() < rate) {
                Snapshot s = writes.get(i).snapshot();
                sampled.increment();
                if (!intake.offer(new Sample(s.entityName(), s.id(), s.version(), System.nanoTime()))) {
                    dropped.increment();
                }
            }
        }
    }

    /**
     * Called by a read that saw drift under a key (bytes that do not decode, or a version below one this node
     * knows Redis held): the key is checked against the database and repaired on the monitor's thread, soon.
     * Never blocks; when many are already waiting, the key is left to the read's own fill.
     */
    public void suspect(SnapshotSchema schema, Object id) {
        if (!closed && entities.containsKey(schema.entityName())) {
            suspects.offer(new Sample(schema.entityName(), id, -1, System.nanoTime()));
        }
    }

    private long pending() {
        return intake.size() + waiting.get();
    }

    /** What the monitor has measured so far. */
    public MonitorReport report() {
        Map<String, List<DelayConsistency>> models = new LinkedHashMap<>();
        tallies.forEach((name, t) -> models.put(name, snapshot(t)));
        List<Inconsistency> latest;
        synchronized (recent) {
            latest = new ArrayList<>(recent);
        }
        long s = sampled.sum();
        return new MonitorReport(rate > 0, rate, s, dropped.sum(), pending(), repaired.sum(), snapshot(overall),
                models, latest);
    }

    private List<DelayConsistency> snapshot(Tally[] t) {
        List<DelayConsistency> out = new ArrayList<>(t.length);
        for (int i = 0; i < t.length; i++) {
            out.add(t[i].snapshot(delays.get(i)));
        }
        return out;
    }

    private void tick() {
        if (closed) {
            return;
        }
        try {
            long now = System.nanoTime();
            if (now - nextWatch >= 0) {
                nextWatch = now + watchEveryNanos;
                watch();
            }
            if (!store.available()) {
                return; // samples wait; they are checked, late, once Redis is back
            }
            checkSuspects();
            drainIntake();
            for (int stage = 0; stage < stages.length; stage++) {
                checkDue(stage, now);
            }
        } catch (RedisUnavailableException e) {
            log.debug("cachesync monitor paused: {}", e.getMessage());
        } catch (DatabaseFailed e) {
            // logged where it happened; the samples wait
        } catch (RuntimeException e) {
            log.warn("cachesync monitor check failed; trying again at the next tick: {}", e.toString());
        }
    }

    private void drainIntake() {
        while (waiting.get() < settings.maxPending()) {
            Sample s = intake.poll();
            if (s == null) {
                return;
            }
            if (!entities.containsKey(s.entity())) {
                dropped.increment();
                continue;
            }
            stages[0].addLast(s);
            waiting.incrementAndGet();
        }
    }

    private void checkDue(int stage, long now) {
        ArrayDeque<Sample> queue = stages[stage];
        while (!closed && !queue.isEmpty() && now - (queue.peekFirst().sampledAt() + delayNanos[stage]) >= 0) {
            List<Sample> batch = new ArrayList<>();
            while (batch.size() < CHECK_BATCH && !queue.isEmpty()
                    && now - (queue.peekFirst().sampledAt() + delayNanos[stage]) >= 0) {
                batch.add(queue.pollFirst());
            }
            check(batch, stage, queue);
        }
    }

    /** Checks one batch of due samples; on a Redis failure, puts back every sample not yet counted and rethrows. */
    private void check(List<Sample> batch, int stage, ArrayDeque<Sample> queue) {
        Map<String, List<Sample>> byEntity = new LinkedHashMap<>();
        for (Sample s : batch) {
            byEntity.computeIfAbsent(s.entity(), e -> new ArrayList<>()).add(s);
        }
        List<Sample> left = new ArrayList<>(batch);
        try {
            for (Map.Entry<String, List<Sample>> group : byEntity.entrySet()) {
                MonitoredEntity entity = entities.get(group.getKey());
                List<String> keys = new ArrayList<>(group.getValue().size());
                for (Sample s : group.getValue()) {
                    keys.add(store.key(entity.schema(), s.id()));
                }
                List<byte[]> values = store.readAll(keys);
                for (int i = 0; i < keys.size(); i++) {
                    Sample s = group.getValue().get(i);
                    Drift drift = judge(group.getKey(), entity, s.id(), keys.get(i), values.get(i));
                    drift = drift == null ? null : laterCommitInFlight(drift, s.version(), delays.get(stage));
                    left.remove(s);
                    if (drift == null) {
                        // the database did not answer: this sample is not counted either way (a row that cannot be
                        // loaded must not block the others for ever), the rest wait for the next tick
                        waiting.decrementAndGet();
                        dropped.increment();
                        throw new DatabaseFailed();
                    }
                    tallies.get(group.getKey())[stage].count(drift);
                    overall[stage].count(drift);
                    if (drift.isDrift()) {
                        found(group.getKey(), s, drift, delays.get(stage));
                    }
                    if (stage + 1 < stages.length) {
                        stages[stage + 1].addLast(s);
                    } else {
                        waiting.decrementAndGet();
                    }
                }
            }
        } catch (RedisUnavailableException | DatabaseFailed e) {
            for (int i = left.size() - 1; i >= 0; i--) {
                queue.addFirst(left.get(i));
            }
            throw e;
        }
    }

    /** Ends a tick whose database loads fail; the samples not checked wait for the next one. */
    private static final class DatabaseFailed extends RuntimeException {
        DatabaseFailed() {
            super(null, null, false, false);
        }
    }

    /**
     * The key's class against the database read after its bytes; a drifted key is read again up to
     * {@value #RECHECKS} times, so that a commit whose push is in flight is not counted. Null when the database
     * failed.
     */
    private Drift judge(String name, MonitoredEntity entity, Object id, String key, byte[] bytes) {
        DriftClassifier classifier = classifiers.get(name);
        try {
            Drift drift = classifier.classify(id, entity.loader().load(id).orElse(null), bytes);
            for (int i = 0; i < RECHECKS && drift.isDrift() && !closed; i++) {
                Thread.sleep(RECHECK_PAUSE_MILLIS);
                byte[] again = store.read(key);
                drift = classifier.classify(id, entity.loader().load(id).orElse(null), again);
            }
            return drift;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RedisUnavailableException("monitor interrupted", e);
        } catch (RedisUnavailableException e) {
            throw e;
        } catch (RuntimeException e) {
            if (closed) {
                return null;
            }
            long now = System.nanoTime();
            if (now - nextDatabaseWarning >= 0) { // at most one line a minute while the database is away
                nextDatabaseWarning = now + TimeUnit.MINUTES.toNanos(1);
                log.warn("cachesync monitor could not load {}#{} from the database: {}; checks wait", name, id,
                        e.toString());
            }
            return null;
        }
    }

    /**
     * Redis behind the database, but at or above the sampled version: the lag belongs to a later commit of the row.
     * If that commit (the row's lastUpdated) is younger than this delay, it is not yet due: within the delay the
     * cache reflects every write that is old enough, so the key counts as consistent. A later commit older than
     * the delay that Redis still lacks counts against it, as does anything below the sampled version.
     */
    private static Drift laterCommitInFlight(Drift drift, long sampledVersion, Duration delay) {
        if (drift instanceof Drift.Stale stale && stale.cached().version() >= sampledVersion
                && stale.cached().version() < stale.database().version() && stale.database().lastUpdated() != null
                && Duration.between(stale.database().lastUpdated(), Instant.now()).compareTo(delay) < 0) {
            return new Drift.Consistent(stale.id(), stale.database(), stale.cached());
        }
        return drift;
    }

    private void checkSuspects() {
        Sample s;
        while (!closed && (s = suspects.poll()) != null) {
            MonitoredEntity entity = entities.get(s.entity());
            String key = store.key(entity.schema(), s.id());
            Drift drift = judge(s.entity(), entity, s.id(), key, store.read(key));
            if (drift == null) {
                return;
            }
            if (drift != null && drift.isDrift()) {
                found(s.entity(), s, drift, Duration.ZERO);
            }
        }
    }

    private void found(String name, Sample s, Drift drift, Duration delay) {
        String action = repair(drift);
        Duration age = Duration.ofNanos(System.nanoTime() - s.sampledAt());
        long redisVersion = drift.cached() == null ? -1 : drift.cached().version();
        long dbVersion = drift.database() == null ? -1 : drift.database().version();
        String redis = drift.cached() == null ? (drift instanceof Drift.Corrupt ? "undecodable bytes" : "nothing")
                : (drift.cached().tombstone() ? "tombstone v" : "v") + redisVersion;
        String db = drift.database() == null ? "no row" : "v" + dbVersion;
        if (s.version() < 0) {
            log.warn("cachesync read saw drift under {}#{}: {}; Redis holds {}, database {}; {}", name, s.id(),
                    drift.label(), redis, db, action);
        } else {
            log.warn("cachesync monitor: {}#{} {} {} after its commit of v{} (age {} ms): Redis holds {}, database {}; "
                            + "{}", name, s.id(), drift.label(), DelayConsistency.format(delay), s.version(),
                    age.toMillis(), redis, db, action);
        }
        synchronized (recent) {
            if (recent.size() >= RECENT) {
                recent.pollFirst();
            }
            recent.addLast(new Inconsistency(name, s.id(), drift.label(), delay, s.version(), redisVersion,
                    dbVersion, age, Instant.now(), action));
        }
    }

    private String repair(Drift drift) {
        if (!settings.repair()) {
            return "left alone (" + MonitorSettings.REPAIR + "=false)";
        }
        Optional<SnapshotWrite> write = drift.repair(false);
        if (write.isEmpty()) {
            return "left alone (cache-ahead: only a forced Reconciler run overwrites it)";
        }
        WriteOutcome outcome = store.writeAndWait(write.get());
        if (outcome.written()) {
            repaired.increment();
            Snapshot s = write.get().snapshot();
            return "repaired (" + (s.tombstone() ? "tombstone v" : "v") + s.version() + " written)";
        }
        if (outcome.refused()) {
            return "not repaired: Redis took v" + outcome.storedVersion() + " meanwhile (a newer write won)";
        }
        return "repair failed: " + outcome.failure();
    }

    /** Redis restarted (a new run_id), or the repair queue overflowed: ask for a reconciliation. */
    private void watch() {
        if (store.available() && !runIdDenied) {
            try {
                String now = store.serverRunId();
                if (runId != null && now != null && !now.equals(runId)) {
                    log.warn("cachesync: Redis at {} restarted or was replaced (run_id {} became {}); its dataset may "
                            + "be lost", cache.settings().redisUriForLogs(), runId, now);
                    reconcile.reconcile(entities.keySet(), "Redis restarted (run_id changed)");
                }
                if (now != null) {
                    runId = now;
                }
            } catch (RedisUnavailableException e) {
                Throwable cause = e.getCause();
                if (cause != null && cause.getMessage() != null && cause.getMessage().startsWith("NOPERM")) {
                    runIdDenied = true; // asked once: an ACL log holds one denial, not one a second
                    log.warn("cachesync cannot read Redis' run_id: the ACL denies INFO ({}); a Redis restart that "
                            + "loses the dataset will not start a reconciliation. Add +info to the user's rules",
                            cause.getMessage());
                } else {
                    log.debug("cachesync monitor could not read Redis' run_id: {}", e.getMessage());
                }
            }
        }
        java.util.Set<String> overflowed = cache.entitiesNeedingReconciliation();
        if (!overflowed.isEmpty()) {
            reconcile.reconcile(overflowed, "the repair queue overflowed");
        }
    }

    /** Stops the monitor's thread (waiting for a check in progress, at most 2 s) and unregisters its meters. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        scheduler.shutdownNow();
        try {
            scheduler.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        metrics.close();
    }
}
