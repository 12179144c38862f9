package io.cachesync.hibernate;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * The outcome of one {@link Reconciler#run()}: counts for the whole run and per entity. Immutable.
 *
 * <p>{@link #inconsistent()} is stale + cache-ahead + corrupt; missing, orphaned and each class on its own are
 * reported too. {@link #repaired()} counts only repairs that Redis accepted.
 */
public final class ReconciliationReport {

    private final List<ModelReport> models;
    private final ConsistencyStats totals;
    private final boolean checkOnly;
    private final boolean force;
    private final Duration elapsed;

    ReconciliationReport(List<ModelReport> models, boolean checkOnly, boolean force, Duration elapsed) {
        this.models = List.copyOf(models);
        ConsistencyStats sum = ConsistencyStats.NONE;
        for (ModelReport model : models) {
            sum = sum.plus(model.stats());
        }
        this.totals = sum;
        this.checkOnly = checkOnly;
        this.force = force;
        this.elapsed = elapsed;
    }

    /** One report per entity, in the order they were reconciled. */
    public List<ModelReport> models() {
        return models;
    }

    /** The report of one entity, by JPA entity name ({@code Account}). */
    public Optional<ModelReport> model(String entityName) {
        return models.stream().filter(m -> m.entityName().equals(entityName)).findFirst();
    }

    public ConsistencyStats totals() {
        return totals;
    }

    public long consistent() {
        return totals.consistent();
    }

    /** Stale + cache-ahead + corrupt. */
    public long inconsistent() {
        return totals.inconsistent();
    }

    public long missing() {
        return totals.missing();
    }

    public long orphaned() {
        return totals.orphaned();
    }

    public long stale() {
        return totals.stale();
    }

    public long cacheAhead() {
        return totals.cacheAhead();
    }

    public long corrupt() {
        return totals.corrupt();
    }

    public long repaired() {
        return models.stream().mapToLong(ModelReport::repaired).sum();
    }

    /** Repairs Redis refused because a live commit wrote a newer snapshot first. */
    public long refused() {
        return models.stream().mapToLong(ModelReport::refused).sum();
    }

    /** Repairs that Redis never answered. */
    public long failed() {
        return models.stream().mapToLong(ModelReport::failed).sum();
    }

    public long rowsRead() {
        return models.stream().mapToLong(ModelReport::rowsRead).sum();
    }

    /** Drifted keys still drifted after the run (all drift, for a check-only run). */
    public long unresolved() {
        return models.stream().mapToLong(ModelReport::unresolved).sum();
    }

    public boolean checkOnly() {
        return checkOnly;
    }

    public boolean force() {
        return force;
    }

    /** False when {@code maxInstances} stopped any entity before its end. */
    public boolean complete() {
        return models.stream().allMatch(ModelReport::complete);
    }

    public Duration elapsed() {
        return elapsed;
    }

    @Override
    public String toString() {
        return (checkOnly ? "check-only" : force ? "forced repair" : "repair") + " in " + elapsed.toMillis() + " ms: "
                + models;
    }
}
