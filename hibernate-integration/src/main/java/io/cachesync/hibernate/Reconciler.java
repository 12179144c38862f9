package io.cachesync.hibernate;

import io.cachesync.core.RedisUnavailableException;
import io.cachesync.core.SnapshotCache;
import org.hibernate.SessionFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Finds and repairs drift between the database and the Redis snapshots of a SessionFactory's synced entities.
 *
 * <pre>{@code
 * ReconciliationReport report = Reconciler.of(sessionFactory)
 *     .model(Account.class)   // leave out: every entity that extends VersionedEntity
 *     .batchSize(500)         // rows read and keys fetched per batch
 *     .maxInstances(10_000)   // per model
 *     .checkOnly(true)        // report, change nothing
 *     .force(false)           // also overwrite snapshots that look newer than the database
 *     .run();
 * }</pre>
 *
 * <p>Guarantees:
 * <ul>
 *   <li>Entities come from Hibernate's metamodel; rows are read in id order by keyset paging with a stateless
 *   session, and each batch's snapshots are fetched in one MGET; memory is bounded by the batch size.
 *   Snapshots without a row are found with {@code SCAN}, never {@code KEYS}.</li>
 *   <li>Every repair goes through the versioned-write script, so a snapshot pushed by a live commit while the
 *   Reconciler runs always wins (invariant 7). {@code force} overrides only cache-ahead keys.</li>
 *   <li>{@code checkOnly(true)} writes nothing to Redis or the database.</li>
 *   <li>A run that covered an entity completely (not stopped by {@code maxInstances}, no failed repair) clears
 *   that entity's repair-queue overflow mark ({@link CacheSync#entitiesNeedingReconciliation()}), unless
 *   check-only.</li>
 *   <li>Progress is logged at INFO at most once per {@link #progressEvery} interval, each discrepancy at DEBUG
 *   (logger {@code io.cachesync.hibernate.Reconciler}), and a one-line summary at INFO.</li>
 * </ul>
 * A Reconciler is a reusable configuration: configure it on one thread, then {@link #run()} it as often as
 * needed. Runs are sequential; run two Reconcilers for the same keys at once only if both are check-only.
 */
public final class Reconciler {

    private static final Logger log = LoggerFactory.getLogger(Reconciler.class);

    /** The largest batch: an IN list of this many ids stays below every common database's parameter limit. */
    public static final int MAX_BATCH_SIZE = 20_000;
    public static final int DEFAULT_BATCH_SIZE = 500;

    private final CacheSyncRuntime runtime;
    private final Set<SyncedEntity> models = new LinkedHashSet<>();
    private int batchSize = DEFAULT_BATCH_SIZE;
    private long maxInstances = Long.MAX_VALUE;
    private boolean checkOnly;
    private boolean force;
    private Duration progressEvery = Duration.ofSeconds(5);
    private Consumer<String> discrepancies;
    private Duration pause = Duration.ZERO;

    private Reconciler(CacheSyncRuntime runtime) {
        this.runtime = runtime;
    }

    /**
     * A Reconciler for a SessionFactory built with {@code cachesync.redis.uri}.
     *
     * @throws IllegalStateException if cachesync is not switched on for it
     */
    public static Reconciler of(SessionFactory sessionFactory) {
        Objects.requireNonNull(sessionFactory, "sessionFactory");
        return new Reconciler(CacheSync.of(sessionFactory).runtime());
    }

    /** For automatic runs, which hold the runtime itself. */
    static Reconciler of(CacheSyncRuntime runtime) {
        return new Reconciler(runtime);
    }

    /**
     * Adds an entity to reconcile; call once per entity. Without any, every synced entity is reconciled.
     *
     * @throws IllegalArgumentException if {@code type} is not an entity that extends {@link VersionedEntity}
     */
    public Reconciler model(Class<?> type) {
        Objects.requireNonNull(type, "type");
        models.add(runtime.entity(type));
        return this;
    }

    /**
     * Adds an entity by its JPA name ({@code Account}) or its class name ({@code com.acme.Account}).
     *
     * @throws IllegalArgumentException if no synced entity has that name
     */
    public Reconciler model(String entityName) {
        Objects.requireNonNull(entityName, "entityName");
        SyncedEntity entity = runtime.entity(entityName.trim());
        if (entity == null) {
            throw new IllegalArgumentException("unknown model '" + entityName + "': the entities synced by cachesync "
                    + "are " + String.join(", ", sortedNames()));
        }
        models.add(entity);
        return this;
    }

    /** Rows read, and keys fetched, per batch: 1 to {@value #MAX_BATCH_SIZE}; default {@value #DEFAULT_BATCH_SIZE}. */
    public Reconciler batchSize(int batchSize) {
        if (batchSize < 1 || batchSize > MAX_BATCH_SIZE) {
            throw new IllegalArgumentException("batchSize must be between 1 and " + MAX_BATCH_SIZE + ", was "
                    + batchSize);
        }
        this.batchSize = batchSize;
        return this;
    }

    /**
     * At most this many rows read, and keys scanned for orphans, per entity (at least 1; default: no limit).
     * Both passes start from the beginning on every run.
     */
    public Reconciler maxInstances(long maxInstances) {
        if (maxInstances < 1) {
            throw new IllegalArgumentException("maxInstances must be at least 1, was " + maxInstances);
        }
        this.maxInstances = maxInstances;
        return this;
    }

    /** Report only: write nothing to Redis. */
    public Reconciler checkOnly(boolean checkOnly) {
        this.checkOnly = checkOnly;
        return this;
    }

    /** Also overwrite cache-ahead keys (snapshots newer than the database) with the database's state. */
    public Reconciler force(boolean force) {
        this.force = force;
        return this;
    }

    /** The shortest interval between two progress lines (default 5 s). */
    public Reconciler progressEvery(Duration interval) {
        if (interval == null || interval.isNegative()) {
            throw new IllegalArgumentException("progressEvery must be zero or positive, was " + interval);
        }
        this.progressEvery = interval;
        return this;
    }

    /**
     * Sleeps this long after each batch (default zero), so that a run over a large table leaves the database and
     * Redis to the application; automatic runs use {@code cachesync.auto-reconcile.pause}.
     */
    public Reconciler pauseBetweenBatches(Duration pause) {
        if (pause == null || pause.isNegative()) {
            throw new IllegalArgumentException("pauseBetweenBatches must be zero or positive, was " + pause);
        }
        this.pause = pause;
        return this;
    }

    /**
     * Also hands each discrepancy line (the one logged at DEBUG) to {@code sink}, whatever the log level; the
     * command line's {@code --verbose} prints them this way. Null: none.
     */
    public Reconciler onDiscrepancy(Consumer<String> sink) {
        this.discrepancies = sink;
        return this;
    }

    /**
     * Reconciles the chosen entities (or all) and reports what it found and did.
     *
     * @throws IllegalStateException      if both checkOnly and force are set
     * @throws RedisUnavailableException if Redis is not connected, or stops answering during the run
     */
    public ReconciliationReport run() {
        if (checkOnly && force) {
            throw new IllegalStateException("checkOnly and force contradict each other: a check-only run writes "
                    + "nothing, so it cannot force anything");
        }
        return reconcile(targets(), new ReconcileOptions(batchSize, maxInstances, checkOnly, force, progressEvery,
                discrepancies, pause));
    }

    /**
     * Checks one entity without writing anything, with this Reconciler's batch size and maxInstances.
     *
     * @throws IllegalArgumentException   if {@code type} is not a synced entity
     * @throws RedisUnavailableException if Redis is not connected
     */
    public ConsistencyStats check(Class<?> type) {
        SyncedEntity entity = runtime.entity(type);
        ReconcileOptions options = new ReconcileOptions(batchSize, maxInstances, true, false, progressEvery,
                discrepancies);
        return reconcile(List.of(entity), options).models().get(0).stats();
    }

    private List<SyncedEntity> targets() {
        if (!models.isEmpty()) {
            return List.copyOf(models);
        }
        List<SyncedEntity> all = new ArrayList<>(runtime.entities().values());
        all.sort(Comparator.comparing(SyncedEntity::entityName));
        return all;
    }

    private ReconciliationReport reconcile(List<SyncedEntity> entities, ReconcileOptions options) {
        SnapshotCache cache = runtime.cache();
        if (!cache.store().available()) {
            throw new RedisUnavailableException("Redis at " + runtime.settings().redisUriForLogs()
                    + " is not connected; nothing was reconciled", null);
        }
        long start = System.nanoTime();
        String mode = options.checkOnly() ? "check-only" : options.force() ? "forced repair" : "repair";
        log.info("cachesync reconcile ({}) of {} against Redis at {}: batch size {}{}", mode,
                entities.stream().map(SyncedEntity::entityName).toList(), runtime.settings().redisUriForLogs(),
                options.batchSize(), options.maxInstances() == Long.MAX_VALUE ? ""
                        : ", at most " + options.maxInstances() + " rows per model");
        List<ModelReport> reports = new ArrayList<>(entities.size());
        for (SyncedEntity entity : entities) {
            long mark = cache.reconciliationMark(entity.entityName());
            ModelReport report = new ModelReconciliation(entity, runtime.factory(), cache,
                    runtime.settings().redisTimeout(), options).run();
            reports.add(report);
            if (!options.checkOnly() && report.complete() && report.failed() == 0) {
                cache.markReconciled(entity.entityName(), mark);
            }
        }
        ReconciliationReport report = new ReconciliationReport(reports, options.checkOnly(), options.force(),
                Duration.ofNanos(System.nanoTime() - start));
        log.info("cachesync reconcile ({}) done in {} ms, {} rows/s: {}", mode, report.elapsed().toMillis(),
                report.rowsRead() * 1_000_000_000L / Math.max(1, report.elapsed().toNanos()), summary(report));
        return report;
    }

    private static String summary(ReconciliationReport report) {
        StringBuilder text = new StringBuilder();
        for (ModelReport model : report.models()) {
            text.append(text.length() == 0 ? "" : "; ").append(model);
        }
        return text.toString();
    }

    private List<String> sortedNames() {
        return runtime.entities().keySet().stream().sorted().toList();
    }
}
