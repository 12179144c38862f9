package io.cachesync.core;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Cache warming by access pattern: the hot keys of this node and of the whole cluster, loaded into the local tier
 * whenever it starts serving from empty (at start, when the invalidation channel is back after a loss, after
 * {@link SnapshotCache#clearLocalTier()}).
 *
 * <p>How:
 * <ul>
 *   <li>The read path samples reads into {@link HotKeys}. Every {@code publish-interval} the node adds the counts
 *   sampled since its last publish, for its top-K keys, to the shared sorted set {@code <prefix>:hot-keys}
 *   ({@link HotSetScript}, which decays the set with the configured half-life), then halves its own counts. It
 *   publishes once more when it closes, so that the node that replaces it finds the latest picture.</li>
 *   <li>A warm-up takes this node's top-K keys, then the shared set's hottest until it has K, and reads them from
 *   Redis in batches of {@value #BATCH} with one {@code MGET} each. Each snapshot goes into the local tier by the
 *   read path's rules: {@link LocalTier#fill} with the epoch taken before the {@code MGET} (so a clear in between
 *   refuses it, and a floor left by an invalidation that raced it refuses an older version), and never a version
 *   older than one of this node's pushes still queued for repair. A hot key Redis lacks (or holds undecodable
 *   bytes for) is loaded from the database and filled through the read path's own fill
 *   ({@link SnapshotCache#fillFromDatabase}): the versioned write, then the local tier under the same epoch.</li>
 *   <li>Everything runs on the cache's scheduler, one batch per task, so that repair retries and breaker probes
 *   interleave with it. A run that sees the tier cleared again stops; the clear starts the next one. Nothing is
 *   thrown to a caller: Redis or database trouble ends the run with one log line.</li>
 * </ul>
 * Thread-safe.
 */
final class LocalTierWarmer {

    private static final Logger log = LoggerFactory.getLogger(LocalTierWarmer.class);
    static final int BATCH = 100;
    /** The shared set keeps this many members per top-K a node publishes. */
    private static final int SHARED_MEMBERS_PER_TOP_K = 4;
    /** The shared set expires after this many half-lives without a publish (its scores are below 1/1000 by then). */
    private static final int TTL_HALF_LIVES = 10;
    private static final long MIN_EARLY_DECAY_GAP_NANOS = TimeUnit.SECONDS.toNanos(1);

    /** A key to warm: its Redis key and the row it names. */
    private record Candidate(String key, SnapshotSchema schema, Object id) {
    }

    private final SnapshotCache cache;
    private final LocalTier local;
    private final RedisSnapshotStore store;
    private final HotSetStore hotSet;
    private final CacheSyncMetrics metrics;
    private final ScheduledExecutorService scheduler;
    private final Map<String, SnapshotSchema> schemas;
    private final Map<String, SnapshotLoader> loaders = new ConcurrentHashMap<>();
    private final CacheSyncSettings.Warming settings;
    private final RedisKeys keys;
    private final HotKeys hot;
    private final AtomicBoolean running = new AtomicBoolean();
    private final AtomicBoolean decayRequested = new AtomicBoolean();
    private final CompletableFuture<Void> firstRun = new CompletableFuture<>();
    private volatile boolean again;
    private volatile boolean started;
    private volatile boolean closed;
    private volatile long lastDecayNanos = System.nanoTime();
    private volatile ScheduledFuture<?> publisher;

    /** Test hook: runs after a batch's {@code MGET}, before its snapshots go into the local tier. Null in production. */
    volatile Runnable beforeLocalFill;

    LocalTierWarmer(SnapshotCache cache, LocalTier local, RedisSnapshotStore store, HotSetStore hotSet,
                    CacheSyncMetrics metrics, ScheduledExecutorService scheduler,
                    Map<String, SnapshotSchema> schemas, CacheSyncSettings.Warming settings, RedisKeys keys) {
        this.cache = cache;
        this.local = local;
        this.store = store;
        this.hotSet = hotSet;
        this.metrics = metrics;
        this.scheduler = scheduler;
        this.schemas = schemas;
        this.settings = settings;
        this.keys = keys;
        this.hot = new HotKeys(keys, settings.sampleOneIn(), Math.max(64, settings.topK() * 4), this::requestEarlyDecay);
    }

    HotKeys hotKeys() {
        return hot;
    }

    void register(String entityName, SnapshotLoader loader) {
        loaders.put(entityName, loader);
    }

    /**
     * Every entity is registered: publish periodically from now on, and warm the tier if it is serving already
     * (else the subscription's confirmation will). The future completes when the first warm-up ends, however it
     * ends; at once when Redis is not reachable.
     */
    CompletableFuture<Void> start() {
        started = true;
        long period = settings.publishInterval().toMillis();
        try {
            publisher = scheduler.scheduleWithFixedDelay(this::publishSafely, period, period, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            firstRun.complete(null); // closed already
            return firstRun;
        }
        if (!store.available()) {
            firstRun.complete(null);
        } else if (!local.bypassed()) {
            trigger();
        }
        return firstRun;
    }

    /** The local tier is serving from empty: warm it (again, if a run is under way). */
    void trigger() {
        if (!started || closed) {
            return;
        }
        again = true;
        if (running.compareAndSet(false, true)) {
            submit(this::beginRun);
        }
    }

    private void submit(Runnable task) {
        try {
            scheduler.execute(task);
        } catch (RejectedExecutionException e) {
            running.set(false); // the cache is closing
        }
    }

    private void beginRun() {
        again = false;
        if (closed || local.bypassed() || !store.available()) {
            finish(null, "skipped");
            return;
        }
        Run run = new Run(local.epoch());
        try {
            run.candidates = candidates();
        } catch (RuntimeException e) {
            finish(run, "stopped: " + describe(e));
            return;
        }
        step(run);
    }

    /** This node's hottest keys first, then the cluster's, K in all. */
    private List<Candidate> candidates() {
        int k = settings.topK();
        Map<String, Candidate> chosen = new LinkedHashMap<>();
        for (HotKeys.Counter counter : hot.top(k)) {
            chosen.put(counter.key, new Candidate(counter.key, counter.schema, counter.id));
        }
        if (chosen.size() < k) {
            for (String key : hotSet.top(k)) {
                if (chosen.size() >= k) {
                    break;
                }
                if (!chosen.containsKey(key)) {
                    Candidate candidate = parse(key);
                    if (candidate != null) {
                        chosen.put(key, candidate);
                    }
                }
            }
        }
        return new ArrayList<>(chosen.values());
    }

    /** The row a shared-set member names, or null when this node does not map its entity (or the id is foreign). */
    private Candidate parse(String key) {
        int start = keys.prefix().length() + 1;
        int end = key.indexOf(':', start);
        if (end < 0) {
            return null;
        }
        SnapshotSchema schema = schemas.get(key.substring(start, end));
        if (schema == null || !loaders.containsKey(schema.entityName())) {
            return null;
        }
        try {
            return new Candidate(key, schema, SnapshotCodec.parseId(schema.idType(), key.substring(end + 1)));
        } catch (RuntimeException e) {
            return null;
        }
    }

    private void step(Run run) {
        if (closed) {
            finish(run, "stopped: cachesync is closing");
            return;
        }
        if (local.epoch() != run.epoch || local.bypassed()) {
            finish(run, "stopped: the local tier was cleared again");
            return;
        }
        int from = run.next;
        int to = Math.min(from + BATCH, run.candidates.size());
        try {
            warmBatch(run, run.candidates.subList(from, to));
        } catch (RuntimeException e) {
            finish(run, "stopped: " + describe(e));
            return;
        }
        run.next = to;
        if (to < run.candidates.size()) {
            submit(() -> step(run));
        } else {
            finish(run, "done");
        }
    }

    private void warmBatch(Run run, List<Candidate> batch) {
        List<String> batchKeys = new ArrayList<>(batch.size());
        batch.forEach(c -> batchKeys.add(c.key));
        long epoch = local.epoch(); // before the read, as on the read path: a clear after it refuses these fills
        List<byte[]> values = store.readAll(batchKeys);
        Runnable hook = beforeLocalFill;
        if (hook != null) {
            hook.run();
        }
        for (int i = 0; i < batch.size(); i++) {
            Candidate c = batch.get(i);
            byte[] bytes = values.get(i);
            if (bytes != null) {
                DecodeResult decoded = store.codec().decode(c.schema, c.id, bytes);
                if (decoded instanceof DecodeResult.Decoded d) {
                    Snapshot s = d.snapshot();
                    // as on the read path: never an older version than one of this node's unanswered pushes
                    if (cache.pendingVersion(c.key) <= s.version() && local.fill(s, epoch)) {
                        metrics.warmLoaded.increment();
                        run.loaded++;
                    } else {
                        metrics.warmRefused.increment();
                        run.refused++;
                    }
                    continue;
                }
            }
            if (run.databaseFailed) {
                continue;
            }
            Optional<Snapshot> row;
            try {
                row = loaders.get(c.schema.entityName()).load(c.id);
            } catch (RuntimeException e) {
                run.databaseFailed = true;
                log.warn("cachesync warm-up could not load {}#{} from the database: {}; no further database loads "
                        + "in this warm-up", c.schema.entityName(), c.id, describe(e));
                continue;
            }
            if (row.isEmpty()) {
                metrics.warmAbsent.increment();
                run.absent++;
            } else if (cache.fillFromDatabase(c.schema, c.id, row.get(), bytes, store.available(), epoch)) {
                metrics.warmFilled.increment();
                run.filled++;
            } else {
                metrics.warmRefused.increment();
                run.refused++;
            }
        }
    }

    private void finish(Run run, String outcome) {
        if (run == null) {
            metrics.warmSkipped.increment();
        } else {
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - run.startedNanos);
            metrics.warmLastMillis = millis;
            if (outcome.equals("done")) {
                metrics.warmRuns.increment();
            } else {
                metrics.warmStopped.increment();
            }
            String line = "cachesync warm-up {} in {} ms: {} of {} hot keys into the local tier ({} from Redis, {} "
                    + "from the database), {} refused (a newer version seen or a repair pending), {} rows gone";
            Object[] args = {outcome, millis, run.loaded + run.filled, run.candidates == null ? 0
                    : run.candidates.size(), run.loaded, run.filled, run.refused, run.absent};
            if (outcome.equals("done") && run.candidates.isEmpty()) {
                log.debug(line, args); // nothing hot known yet (a new cluster): not worth a line
            } else if (outcome.equals("done")) {
                log.info(line, args);
            } else {
                log.warn(line, args);
            }
        }
        firstRun.complete(null);
        running.set(false);
        if (again && !closed && running.compareAndSet(false, true)) {
            submit(this::beginRun);
        }
    }

    private void requestEarlyDecay() {
        if (closed || System.nanoTime() - lastDecayNanos < MIN_EARLY_DECAY_GAP_NANOS
                || !decayRequested.compareAndSet(false, true)) {
            return;
        }
        try {
            scheduler.execute(() -> {
                decayRequested.set(false);
                lastDecayNanos = System.nanoTime();
                hot.decay();
            });
        } catch (RejectedExecutionException e) {
            decayRequested.set(false);
        }
    }

    private void publishSafely() {
        try {
            publish();
        } catch (RuntimeException e) {
            log.debug("cachesync could not publish its hot keys: {}", describe(e));
        } finally {
            lastDecayNanos = System.nanoTime();
            hot.decay();
        }
    }

    /** Adds what was sampled since the last publish, for this node's top-K keys, to the shared set. */
    void publish() {
        List<HotKeys.Counter> top = hot.top(settings.topK());
        List<String> members = new ArrayList<>(top.size());
        List<Integer> increments = new ArrayList<>(top.size());
        List<HotKeys.Counter> sent = new ArrayList<>(top.size());
        int[] counts = new int[top.size()];
        for (HotKeys.Counter counter : top) {
            int count = counter.count.get();
            if (count > counter.published) {
                counts[sent.size()] = count;
                sent.add(counter);
                members.add(counter.key);
                increments.add(count - counter.published);
            }
        }
        if (sent.isEmpty() || !store.available()) {
            return;
        }
        try {
            long halfLife = settings.halfLife().toMillis();
            hotSet.add(members, increments, halfLife, settings.topK() * SHARED_MEMBERS_PER_TOP_K,
                    halfLife * TTL_HALF_LIVES);
            for (int i = 0; i < sent.size(); i++) {
                sent.get(i).published = counts[i];
            }
            metrics.warmPublishes.increment();
        } catch (RuntimeException e) {
            metrics.warmPublishFailures.increment();
            throw e;
        }
    }

    /** Publishes one last time (bounded by the Redis timeout) and stops; runs under way end at their next step. */
    void close() {
        if (closed) {
            return;
        }
        closed = true;
        ScheduledFuture<?> task = publisher;
        if (task != null) {
            task.cancel(false);
        }
        if (started) {
            try {
                publish();
            } catch (RuntimeException e) {
                log.debug("cachesync could not publish its hot keys at close: {}", describe(e));
            }
        }
        firstRun.complete(null);
    }

    private static String describe(Throwable failure) {
        Throwable cause = RedisSnapshotStore.unwrap(failure);
        return cause.getClass().getSimpleName() + (cause.getMessage() == null ? "" : ": " + cause.getMessage());
    }

    /** One warm-up: its candidates and how far it got. Touched by one scheduler task at a time. */
    private static final class Run {
        final long epoch;
        final long startedNanos = System.nanoTime();
        List<Candidate> candidates;
        int next;
        int loaded;
        int filled;
        int refused;
        int absent;
        boolean databaseFailed;

        Run(long epoch) {
            this.epoch = epoch;
        }
    }
}
