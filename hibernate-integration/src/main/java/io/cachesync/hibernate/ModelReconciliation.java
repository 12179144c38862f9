package io.cachesync.hibernate;

import io.cachesync.core.RedisSnapshotStore;
import io.cachesync.core.RedisUnavailableException;
import io.cachesync.core.Snapshot;
import io.cachesync.core.SnapshotCache;
import io.cachesync.core.SnapshotCodec;
import io.cachesync.core.SnapshotSchema;
import io.cachesync.core.SnapshotWrite;
import io.cachesync.core.WriteMode;
import io.cachesync.core.WriteOutcome;
import io.cachesync.core.drift.Drift;
import io.cachesync.core.drift.DriftClassifier;
import org.hibernate.StatelessSession;
import org.hibernate.engine.spi.SessionFactoryImplementor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Reconciles one entity: walks its rows in id order batch by batch, then scans its keys for snapshots without a
 * row. Memory is bounded by the batch size, not by the table or the keyspace.
 *
 * <p>Per batch of rows: one page query, one MGET, and, only when something drifted, one query re-reading the
 * drifted rows <em>after</em> their bytes were read, then one pipelined write of the repairs. Per batch of
 * scanned keys: one query for which ids have rows, and, only for keys without one, one MGET and a second look-up. The re-read is what makes a
 * repair safe against live commits: the repaired version is at least every version committed before the bytes
 * were read, and anything pushed after the read is protected by the write itself (a newer version, or bytes
 * that no longer match). The same re-read keeps a row updated during the run from being reported as drift.
 */
final class ModelReconciliation {

    private static final Logger log = LoggerFactory.getLogger(Reconciler.class);
    /** 250, 500 and 1,000 ms: together longer than the circuit breaker's default probe interval (500 ms). */
    private static final int READ_RETRIES = 3;

    private final SyncedEntity entity;
    private final SessionFactoryImplementor factory;
    private final SnapshotCache cache;
    private final RedisSnapshotStore store;
    private final ReconcileOptions options;
    private final RowSnapshotQueries queries;
    private final DriftClassifier classifier;
    private final SnapshotSchema schema;
    private final long writeWaitMillis;
    private final DriftTally tally = new DriftTally();
    private long rowsRead;
    private long keysScanned;
    private long repaired;
    private long refused;
    private long failed;
    private long unparseableKeys;

    private final WalkedIds walked;

    ModelReconciliation(SyncedEntity entity, SessionFactoryImplementor factory, SnapshotCache cache,
                        Duration redisTimeout, ReconcileOptions options) {
        this.entity = entity;
        this.factory = factory;
        this.cache = cache;
        this.store = cache.store();
        this.options = options;
        this.queries = new RowSnapshotQueries(entity);
        this.schema = entity.schema();
        this.classifier = new DriftClassifier(schema, store.codec());
        this.walked = new WalkedIds(schema.idType());
        this.writeWaitMillis = redisTimeout.toMillis() * 4 + 1000;
    }

    ModelReport run() {
        long start = System.nanoTime();
        boolean complete;
        try (StatelessSession session = factory.openStatelessSession()) {
            long rows = queries.count(session);
            ReconcileProgress progress = new ReconcileProgress(log, entity.entityName(),
                    Math.min(rows, options.maxInstances()), options.progressEvery());
            walkRows(session, progress);
            boolean scanComplete = scanForOrphans(session, progress);
            complete = rows <= options.maxInstances() && scanComplete;
        }
        if (unparseableKeys > 0) {
            log.warn("cachesync reconcile {}: {} keys under {} do not end in an id of type {}; left alone",
                    entity.entityName(), unparseableKeys, store.keys().pattern(entity.entityName()),
                    schema.idType().getSimpleName());
        }
        return new ModelReport(entity.entityName(), tally.stats(), rowsRead, keysScanned, repaired, refused, failed,
                complete, Duration.ofNanos(System.nanoTime() - start));
    }

    private void walkRows(StatelessSession session, ReconcileProgress progress) {
        Object last = null;
        while (rowsRead < options.maxInstances()) {
            int limit = (int) Math.min(options.batchSize(), options.maxInstances() - rowsRead);
            List<Snapshot> page = queries.page(session, last, limit);
            if (page.isEmpty()) {
                return;
            }
            reconcileRows(session, page);
            for (Snapshot row : page) {
                walked.add(row.id());
            }
            rowsRead += page.size();
            last = page.get(page.size() - 1).id();
            progress.rows(rowsRead);
            if (page.size() < limit) {
                return;
            }
            pause();
        }
    }

    private void reconcileRows(StatelessSession session, List<Snapshot> rows) {
        List<String> keys = new ArrayList<>(rows.size());
        for (Snapshot row : rows) {
            keys.add(store.key(schema, row.id()));
        }
        List<byte[]> values = readAll(keys);
        List<Drift> judged = new ArrayList<>(rows.size());
        Map<Object, Integer> drifted = new LinkedHashMap<>();
        for (int i = 0; i < rows.size(); i++) {
            Snapshot row = rows.get(i);
            Drift drift = classifier.classify(row.id(), row, values.get(i));
            judged.add(drift);
            if (drift.isDrift()) {
                drifted.put(row.id(), i);
            }
        }
        if (!drifted.isEmpty()) {
            Map<Object, Snapshot> now = queries.rows(session, drifted.keySet());
            for (Map.Entry<Object, Integer> entry : drifted.entrySet()) {
                int i = entry.getValue();
                judged.set(i, classifier.classify(entry.getKey(), now.get(entry.getKey()), values.get(i)));
            }
        }
        settle(judged);
    }

    /** Scans the entity's keys; returns false when maxInstances stopped it early. */
    private boolean scanForOrphans(StatelessSession session, ReconcileProgress progress) {
        List<String> batch = new ArrayList<>(options.batchSize());
        boolean[] stopped = {false};
        store.scanWhile(entity.entityName(), 1000, key -> {
            if (keysScanned >= options.maxInstances()) {
                stopped[0] = true;
                return false;
            }
            keysScanned++;
            batch.add(key);
            if (batch.size() >= options.batchSize()) {
                checkKeysWithoutRows(session, batch);
                batch.clear();
                progress.keys(keysScanned);
                pause();
            }
            return true;
        });
        checkKeysWithoutRows(session, batch);
        return !stopped[0];
    }

    /**
     * One batch's MGET, tried again after a failure: a single timeout on a busy Redis (or the circuit breaker it
     * opens, until its next probe) should cost a pause, not the whole run. A read changes nothing, so trying it
     * again is safe. After the last attempt the failure ends the run, as a Redis that stays away must.
     */
    private List<byte[]> readAll(List<String> keys) {
        for (int attempt = 1; ; attempt++) {
            try {
                return store.readAll(keys);
            } catch (RedisUnavailableException e) {
                if (attempt > READ_RETRIES) {
                    throw e;
                }
                long waitMillis = 250L << (attempt - 1);
                log.info("cachesync reconcile {}: reading a batch of {} keys failed ({}); trying again in {} ms "
                        + "(retry {} of {})", entity.entityName(), keys.size(), e.getMessage(), waitMillis, attempt,
                        READ_RETRIES);
                sleep(waitMillis);
            }
        }
    }

    /** The configured pause between two batches; an interrupt (the SessionFactory closing) ends the run. */
    private void pause() {
        if (options.pause().isZero()) {
            return;
        }
        sleep(options.pause().toMillis());
    }

    private void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.util.concurrent.CancellationException("reconcile of " + entity.entityName()
                    + " interrupted");
        }
    }

    private void checkKeysWithoutRows(StatelessSession session, List<String> keys) {
        if (keys.isEmpty()) {
            return;
        }
        Map<Object, String> keyById = new LinkedHashMap<>();
        for (String key : keys) {
            try {
                Object id = SnapshotCodec.parseId(schema.idType(),
                        store.keys().idTextOf(entity.entityName(), key));
                // "Account:007" parses to 7 but is not the key of row 7: a repair would write elsewhere
                if (!store.key(schema, id).equals(key)) {
                    throw new IllegalArgumentException("not a canonical key");
                }
                keyById.put(id, key);
            } catch (RuntimeException e) {
                unparseableKeys++;
            }
        }
        // Keys of rows the walk has just seen need no database lookup; only the others might be orphans.
        keyById.keySet().removeIf(walked::contains);
        if (keyById.isEmpty()) {
            return;
        }
        Set<Object> existing = queries.existing(session, keyById.keySet());
        keyById.keySet().removeAll(existing);
        if (keyById.isEmpty()) {
            return;
        }
        List<Object> ids = new ArrayList<>(keyById.keySet());
        List<byte[]> values = readAll(new ArrayList<>(keyById.values()));
        // Looked up again after the bytes were read: a row inserted since the first lookup has pushed (or will
        // push) a snapshot that changes the bytes, so its key is never taken for an orphan and overwritten.
        Set<Object> insertedSince = queries.existing(session, ids);
        List<Drift> judged = new ArrayList<>();
        for (int i = 0; i < ids.size(); i++) {
            Object id = ids.get(i);
            if (!insertedSince.contains(id) && values.get(i) != null) {
                judged.add(classifier.classify(id, null, values.get(i)));
            }
        }
        settle(judged);
    }

    /** Counts every judged key and writes the repairs of the drifted ones in one pipelined call. */
    private void settle(List<Drift> judged) {
        List<Drift> toRepair = new ArrayList<>();
        List<SnapshotWrite> writes = new ArrayList<>();
        for (Drift drift : judged) {
            tally.count(drift);
            if (!drift.isDrift()) {
                continue;
            }
            Optional<SnapshotWrite> write = options.checkOnly() ? Optional.empty() : drift.repair(options.force());
            if (write.isPresent()) {
                toRepair.add(drift);
                writes.add(write.get());
            } else {
                report(drift, options.checkOnly() ? "left alone (check-only)"
                        : "left alone (cache-ahead: repaired only with force)");
            }
        }
        if (writes.isEmpty()) {
            return;
        }
        List<CompletableFuture<WriteOutcome>> outcomes = store.write(writes);
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(writeWaitMillis);
        Throwable firstFailure = null;
        long failedHere = 0;
        for (int i = 0; i < writes.size(); i++) {
            WriteOutcome outcome = await(outcomes.get(i), writes.get(i).snapshot(), deadline);
            Drift drift = toRepair.get(i);
            if (outcome.written()) {
                // this node's own readers see the repair at once, not when its invalidation comes back
                cache.writtenByThisNode(writes.get(i));
                repaired++;
                report(drift, "repaired (" + describe(writes.get(i)) + ")");
            } else if (outcome.refused()) {
                refused++;
                report(drift, "not repaired: Redis holds v" + outcome.storedVersion()
                        + " written since it was read (a live write won)");
            } else {
                failed++;
                failedHere++;
                firstFailure = firstFailure == null ? outcome.failure() : firstFailure;
                report(drift, "repair failed: " + outcome.failure());
            }
        }
        if (failedHere > 0) {
            log.warn("cachesync reconcile {}: {} repairs got no answer from Redis (first: {}); run again once Redis "
                    + "is healthy", entity.entityName(), failedHere, firstFailure.toString());
        }
    }

    private static WriteOutcome await(CompletableFuture<WriteOutcome> future, Snapshot snapshot, long deadline) {
        try {
            return future.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new WriteOutcome(snapshot, false, -1, e);
        } catch (ExecutionException | TimeoutException e) {
            return new WriteOutcome(snapshot, false, -1, e);
        }
    }

    private static String describe(SnapshotWrite write) {
        Snapshot s = write.snapshot();
        String what = s.tombstone() ? "tombstone v" + s.version() : "v" + s.version();
        return what + (write.mode() == WriteMode.UNCHANGED_SINCE_READ ? ", compare-and-set on the bytes read"
                : ", versioned write");
    }

    private void report(Drift drift, String action) {
        boolean debug = log.isDebugEnabled();
        if (!debug && options.discrepancies() == null) {
            return;
        }
        String line = DiscrepancyLine.of(entity.entityName(), drift, action);
        if (debug) {
            log.debug("cachesync drift {}", line);
        }
        if (options.discrepancies() != null) {
            options.discrepancies().accept(line);
        }
    }
}
