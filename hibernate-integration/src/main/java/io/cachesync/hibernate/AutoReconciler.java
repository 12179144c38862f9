package io.cachesync.hibernate;

import io.cachesync.core.RedisUnavailableException;
import io.cachesync.core.monitor.MonitorSettings;
import io.cachesync.core.monitor.ReconcileRequests;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * Runs the Reconciler by itself when the monitor reports Redis data loss (every model) or a repair-queue overflow
 * (that model), throttled so that it never starves the application: one model at a time on one background
 * thread, {@code cachesync.auto-reconcile.batch-size} rows per batch, {@code cachesync.auto-reconcile.pause}
 * between batches. A model asked for again while it waits is queued once; a run that Redis cut short is tried
 * again with a growing wait (1 s to 1 min). Logs each run's start (with the reason), the Reconciler's own
 * progress lines, and its end with counts. With {@code cachesync.auto-reconcile=false} it only logs what it would
 * have done. Closing stops a run between two batches.
 */
final class AutoReconciler implements ReconcileRequests, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(AutoReconciler.class);
    private static final long MAX_RETRY_MILLIS = 60_000;

    private final CacheSyncRuntime runtime;
    private final MonitorSettings settings;
    private final ExecutorService executor;
    /** Entity name to the reason it was asked for, in order; guarded by this. */
    private final Map<String, String> queued = new LinkedHashMap<>();
    private String inProgress;
    private String inProgressReason;
    private boolean draining;
    private long retryMillis = 1_000;
    private volatile boolean closed;
    final LongAdder runs = new LongAdder();

    AutoReconciler(CacheSyncRuntime runtime, MonitorSettings settings, int instance) {
        this.runtime = runtime;
        this.settings = settings;
        this.executor = Executors.newSingleThreadExecutor(runnable -> {
            Thread thread = new Thread(runnable, "cachesync-" + instance + "-reconcile");
            thread.setDaemon(true);
            thread.setPriority(Thread.MIN_PRIORITY);
            return thread;
        });
    }

    @Override
    public void reconcile(Set<String> entities, String reason) {
        if (closed) {
            return;
        }
        if (!settings.autoReconcile()) {
            if (!reason.contains("overflow")) { // an overflow already logs an ERROR of its own, once
                log.warn("cachesync would reconcile {} now ({}), but {}=false: run the Reconciler for them",
                        new TreeSet<>(entities), reason, MonitorSettings.AUTO_RECONCILE);
            }
            return;
        }
        boolean start = false;
        synchronized (this) {
            for (String entity : new TreeSet<>(entities)) {
                boolean runningForTheSameReason = entity.equals(inProgress) && reason.equals(inProgressReason);
                if (!queued.containsKey(entity) && !runningForTheSameReason) {
                    queued.put(entity, reason);
                    start = true;
                }
            }
            if (start && !draining) {
                draining = true;
            } else {
                start = false;
            }
        }
        if (start) {
            executor.execute(this::drain);
        }
    }

    /** Number of automatic runs that completed (for tests and diagnostics). */
    long runs() {
        return runs.sum();
    }

    /** True while a run is in progress or waiting. */
    synchronized boolean busy() {
        return draining;
    }

    private void drain() {
        while (!closed) {
            String entity;
            String reason;
            synchronized (this) {
                Iterator<Map.Entry<String, String>> next = queued.entrySet().iterator();
                if (!next.hasNext()) {
                    inProgress = null;
                    inProgressReason = null;
                    draining = false;
                    return;
                }
                Map.Entry<String, String> entry = next.next();
                next.remove();
                entity = entry.getKey();
                reason = entry.getValue();
                inProgress = entity;
                inProgressReason = reason;
            }
            if (!runOne(entity, reason)) {
                synchronized (this) {
                    queued.putIfAbsent(entity, reason);
                }
                if (!sleep(retryMillis)) {
                    return;
                }
                retryMillis = Math.min(retryMillis * 2, MAX_RETRY_MILLIS);
            } else {
                retryMillis = 1_000;
            }
        }
    }

    /** One model's run; false when it must be tried again. */
    private boolean runOne(String entity, String reason) {
        log.info("cachesync auto-reconcile of {} started ({}): batches of {} rows, {} ms apart", entity, reason,
                settings.autoReconcileBatchSize(), settings.autoReconcilePause().toMillis());
        try {
            ReconciliationReport report = Reconciler.of(runtime).model(entity)
                    .batchSize(settings.autoReconcileBatchSize())
                    .pauseBetweenBatches(settings.autoReconcilePause())
                    .run();
            ModelReport m = report.models().get(0);
            runs.increment();
            log.info("cachesync auto-reconcile of {} done in {} ms: {} rows read, {} keys scanned, {} consistent, "
                            + "{} stale, {} missing, {} orphaned, {} corrupt, {} cache-ahead; {} repaired, {} refused "
                            + "(a newer write won), {} failed", entity, m.elapsed().toMillis(), m.rowsRead(),
                    m.keysScanned(), m.consistent(), m.stale(), m.missing(), m.orphaned(), m.corrupt(), m.cacheAhead(),
                    m.repaired(), m.refused(), m.failed());
            if (m.failed() > 0) {
                log.warn("cachesync auto-reconcile of {}: {} repairs failed; trying again in {} ms", entity,
                        m.failed(), retryMillis);
                return false;
            }
            return true;
        } catch (CancellationException e) {
            log.info("cachesync auto-reconcile of {} stopped: cachesync is closing", entity);
            return true;
        } catch (RedisUnavailableException e) {
            if (closed) {
                return true;
            }
            log.warn("cachesync auto-reconcile of {} stopped: {}; trying again in {} ms", entity, e.getMessage(),
                    retryMillis);
            return false;
        } catch (RuntimeException e) {
            if (closed) {
                return true;
            }
            log.error("cachesync auto-reconcile of {} failed; trying again in {} ms", entity, retryMillis, e);
            return false;
        }
    }

    private boolean sleep(long millis) {
        try {
            Thread.sleep(millis);
            return !closed;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    @Override
    public void close() {
        closed = true;
        executor.shutdownNow();
        try {
            executor.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
