package io.cachesync.core;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;

import java.util.ArrayList;
import java.util.List;

import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;

/**
 * Every Micrometer meter cachesync registers, named in one place. All meters are tagged {@code prefix} (the key
 * prefix) and {@code instance} (1 for the first cache this process opened, 2 for the next...), so that two
 * caches in one process, e.g. two SessionFactories, stay apart.
 *
 * <p>The hot paths only bump a {@link LongAdder}; Micrometer reads the adders through function counters when it
 * publishes. So counting costs a few nanoseconds whatever registry is configured, and the counts are also
 * readable in-process ({@link CacheStatistics}) when no registry is.
 */
public final class CacheSyncMetrics {

    /** Reads per tier; tags {@code tier} (local, redis, database) and {@code result} (hit, miss, load). */
    public static final String READS = "cachesync.reads";
    /** Read-path fills of Redis; tag {@code result}: written, refused (a newer version was already there). */
    public static final String FILLS = "cachesync.fills";
    /** Post-commit pushes; tag {@code result}: written, refused (stale), failed (queued for repair). */
    public static final String PUSHES = "cachesync.pushes";
    /** Undecodable values found under cachesync keys (each treated as a miss and overwritten). */
    public static final String CORRUPT = "cachesync.corrupt";
    /** Invalidations received from other nodes (and this one) over the channel. */
    public static final String INVALIDATIONS_RECEIVED = "cachesync.invalidations.received";
    /** Writes accepted by Redis, each of which published one invalidation. */
    public static final String INVALIDATIONS_SENT = "cachesync.invalidations.sent";
    /** Local-tier clears because the invalidation channel dropped. */
    public static final String LOCAL_CLEARS = "cachesync.local.clears";
    /** Keys whose push failed and that wait for a retry (gauge). */
    public static final String REPAIR_PENDING = "cachesync.repair.pending";
    /** Keys that found the repair queue full (their entity is marked for reconciliation). */
    public static final String REPAIR_OVERFLOWS = "cachesync.repair.overflows";
    /** 1 while the circuit breaker is open (Redis stopped answering; calls fail fast), else 0 (gauge). */
    public static final String BREAKER_OPEN = "cachesync.redis.breaker.open";
    /** Times the circuit breaker opened. */
    public static final String BREAKER_OPENINGS = "cachesync.redis.breaker.openings";
    /** Redis calls (pushes, reads) not sent because the circuit was open: failed fast instead of waiting. */
    public static final String BREAKER_REJECTED = "cachesync.redis.breaker.rejected";
    /** Distributed locks acquired. */
    public static final String LOCKS_ACQUIRED = "cachesync.locks.acquired";
    /** Lock waits that ended without the lock because another owner held it throughout. */
    public static final String LOCKS_TIMEOUTS = "cachesync.locks.timeouts";
    /** Locks this node found no longer its own while it thought it held them (lease ran out, or taken). */
    public static final String LOCKS_LOST = "cachesync.locks.lost";
    /** Locks this node holds now (gauge). */
    public static final String LOCKS_HELD = "cachesync.locks.held";
    /** Queued keys whose retry reached Redis (written, or Redis already held a newer version). */
    public static final String REPAIR_COMPLETED = "cachesync.repair.completed";
    /** Warm-ups of the local tier; tag {@code result}: completed, stopped (cleared again, Redis away), skipped. */
    public static final String WARM_RUNS = "cachesync.warm.runs";
    /**
     * Hot keys a warm-up handled; tag {@code result}: loaded (from Redis into the local tier), filled (from the
     * database into Redis and the local tier), refused (a newer version was seen, or a repair is pending), absent
     * (the row no longer exists).
     */
    public static final String WARM_KEYS = "cachesync.warm.keys";
    /** Reads sampled into the hot-key table. */
    public static final String WARM_SAMPLES = "cachesync.warm.samples";
    /** Keys in this node's hot-key table (gauge). */
    public static final String WARM_TRACKED = "cachesync.warm.tracked";
    /** Publishes of this node's hot keys to the shared set; tag {@code result}: written, failed. */
    public static final String WARM_PUBLISHES = "cachesync.warm.publishes";
    /** How long the last warm-up took, in milliseconds (gauge). */
    public static final String WARM_LAST_DURATION = "cachesync.warm.last.duration";
    /** Commits' keys the consistency monitor sampled. */
    public static final String MONITOR_SAMPLED = "cachesync.monitor.sampled";
    /** Samples dropped because the monitor's queue was full (or the database did not answer their check). */
    public static final String MONITOR_DROPPED = "cachesync.monitor.dropped";
    /** Sampled keys waiting for a check (gauge). */
    public static final String MONITOR_PENDING = "cachesync.monitor.pending";
    /** Checks of sampled keys; tags {@code entity}, {@code delay}, {@code result} (consistent or a drift class). */
    public static final String MONITOR_CHECKS = "cachesync.monitor.checks";
    /** Consistent share of the sampled keys at a delay, 0 to 1 (gauge); tags {@code entity} (or all), {@code delay}. */
    public static final String MONITOR_CONSISTENCY = "cachesync.monitor.consistency";
    /** The same share in nines, 0.999 being 3 (gauge); tags {@code entity} (or all), {@code delay}. */
    public static final String MONITOR_NINES = "cachesync.monitor.nines";
    /** Drifted keys the monitor repaired (found by its checks, or handed in by a read). */
    public static final String MONITOR_REPAIRS = "cachesync.monitor.repairs";

    final LongAdder localHits = new LongAdder();
    final LongAdder localMisses = new LongAdder();
    final LongAdder redisHits = new LongAdder();
    final LongAdder redisMisses = new LongAdder();
    final LongAdder databaseLoads = new LongAdder();
    final LongAdder fillsWritten = new LongAdder();
    final LongAdder fillsRefused = new LongAdder();
    final LongAdder pushesWritten = new LongAdder();
    final LongAdder pushesRefused = new LongAdder();
    final LongAdder pushesFailed = new LongAdder();
    final LongAdder corrupt = new LongAdder();
    final LongAdder invalidationsReceived = new LongAdder();
    final LongAdder localClears = new LongAdder();
    final LongAdder repairOverflows = new LongAdder();
    final LongAdder locksAcquired = new LongAdder();
    final LongAdder locksTimedOut = new LongAdder();
    final LongAdder locksLost = new LongAdder();
    final LongAdder repairsCompleted = new LongAdder();
    final LongAdder warmRuns = new LongAdder();
    final LongAdder warmStopped = new LongAdder();
    final LongAdder warmSkipped = new LongAdder();
    final LongAdder warmLoaded = new LongAdder();
    final LongAdder warmFilled = new LongAdder();
    final LongAdder warmRefused = new LongAdder();
    final LongAdder warmAbsent = new LongAdder();
    final LongAdder warmPublishes = new LongAdder();
    final LongAdder warmPublishFailures = new LongAdder();
    volatile long warmLastMillis = -1;
    private HotKeys hotKeys;
    private String prefix;
    private String instanceId;

    private final MeterRegistry registry;
    private final List<Meter> meters = new ArrayList<>();
    private final RedisCircuitBreaker breaker;

    CacheSyncMetrics(MeterRegistry registry, String prefix, int instance, Supplier<Number> repairPending,
                     RedisCircuitBreaker breaker) {
        this.registry = registry;
        this.breaker = breaker;
        String id = Integer.toString(instance);
        this.prefix = prefix;
        this.instanceId = id;
        counter(registry, READS, prefix, id, localHits, "tier", "local", "result", "hit");
        counter(registry, READS, prefix, id, localMisses, "tier", "local", "result", "miss");
        counter(registry, READS, prefix, id, redisHits, "tier", "redis", "result", "hit");
        counter(registry, READS, prefix, id, redisMisses, "tier", "redis", "result", "miss");
        counter(registry, READS, prefix, id, databaseLoads, "tier", "database", "result", "load");
        counter(registry, FILLS, prefix, id, fillsWritten, "result", "written");
        counter(registry, FILLS, prefix, id, fillsRefused, "result", "refused");
        counter(registry, PUSHES, prefix, id, pushesWritten, "result", "written");
        counter(registry, PUSHES, prefix, id, pushesRefused, "result", "refused");
        counter(registry, PUSHES, prefix, id, pushesFailed, "result", "failed");
        counter(registry, CORRUPT, prefix, id, corrupt);
        counter(registry, INVALIDATIONS_RECEIVED, prefix, id, invalidationsReceived);
        meters.add(FunctionCounter.builder(INVALIDATIONS_SENT, this, m -> m.invalidationsSent()).tag("prefix", prefix)
                .tag("instance", id).register(registry));
        counter(registry, LOCAL_CLEARS, prefix, id, localClears);
        counter(registry, REPAIR_OVERFLOWS, prefix, id, repairOverflows);
        meters.add(Gauge.builder(REPAIR_PENDING, repairPending).tag("prefix", prefix).tag("instance", id)
                .description("keys whose push failed and that wait for a retry").register(registry));
        meters.add(Gauge.builder(BREAKER_OPEN, breaker, b -> b.isOpen() ? 1 : 0).tag("prefix", prefix)
                .tag("instance", id).description("1 while calls to Redis fail fast").register(registry));
        counter(registry, BREAKER_OPENINGS, prefix, id, breaker.openings);
        counter(registry, BREAKER_REJECTED, prefix, id, breaker.rejected);
        counter(registry, LOCKS_ACQUIRED, prefix, id, locksAcquired);
        counter(registry, LOCKS_TIMEOUTS, prefix, id, locksTimedOut);
        counter(registry, LOCKS_LOST, prefix, id, locksLost);
        counter(registry, REPAIR_COMPLETED, prefix, id, repairsCompleted);
    }

    /** The warming meters, registered only when warming is on. */
    void registerWarming(HotKeys hot) {
        this.hotKeys = hot;
        counter(registry, WARM_RUNS, prefix, instanceId, warmRuns, "result", "completed");
        counter(registry, WARM_RUNS, prefix, instanceId, warmStopped, "result", "stopped");
        counter(registry, WARM_RUNS, prefix, instanceId, warmSkipped, "result", "skipped");
        counter(registry, WARM_KEYS, prefix, instanceId, warmLoaded, "result", "loaded");
        counter(registry, WARM_KEYS, prefix, instanceId, warmFilled, "result", "filled");
        counter(registry, WARM_KEYS, prefix, instanceId, warmRefused, "result", "refused");
        counter(registry, WARM_KEYS, prefix, instanceId, warmAbsent, "result", "absent");
        counter(registry, WARM_SAMPLES, prefix, instanceId, hot.samples);
        counter(registry, WARM_PUBLISHES, prefix, instanceId, warmPublishes, "result", "written");
        counter(registry, WARM_PUBLISHES, prefix, instanceId, warmPublishFailures, "result", "failed");
        meters.add(Gauge.builder(WARM_TRACKED, hot, HotKeys::size).tag("prefix", prefix).tag("instance", instanceId)
                .description("keys in this node's hot-key table").register(registry));
        meters.add(Gauge.builder(WARM_LAST_DURATION, this, m -> m.warmLastMillis).tag("prefix", prefix)
                .tag("instance", instanceId).baseUnit("milliseconds").description("how long the last warm-up took")
                .register(registry));
    }

    /** Registers the gauge of locks held, once the cache's locks exist. */
    void locksHeld(Supplier<Number> held) {
        meters.add(Gauge.builder(LOCKS_HELD, held).tag("prefix", prefix).tag("instance", instanceId)
                .description("distributed locks this node holds").register(registry));
    }

    long invalidationsSent() {
        return pushesWritten.sum() + fillsWritten.sum();
    }

    /** Unregisters every meter, so that a closed cache leaves nothing behind in the registry. */
    void close() {
        meters.forEach(registry::remove);
        meters.clear();
    }

    private void counter(MeterRegistry registry, String name, String prefix, String instance, LongAdder adder,
                                String... tags) {
        String[] all = new String[tags.length + 4];
        all[0] = "prefix";
        all[1] = prefix;
        all[2] = "instance";
        all[3] = instance;
        System.arraycopy(tags, 0, all, 4, tags.length);
        meters.add(FunctionCounter.builder(name, adder, LongAdder::sum).tags(all).register(registry));
    }

    CacheStatistics snapshot(long pendingRepairs, long localSize) {
        return new CacheStatistics(localHits.sum(), localMisses.sum(), redisHits.sum(), redisMisses.sum(),
                databaseLoads.sum(), fillsWritten.sum(), fillsRefused.sum(), pushesWritten.sum(), pushesRefused.sum(),
                pushesFailed.sum(), corrupt.sum(), invalidationsSent(), invalidationsReceived.sum(), localClears.sum(),
                pendingRepairs, repairOverflows.sum(), localSize, breaker.isOpen(), breaker.openings.sum(),
                breaker.rejected.sum(), repairsCompleted.sum(), warming());
    }

    private WarmingStatistics warming() {
        HotKeys hot = hotKeys;
        return new WarmingStatistics(hot != null, warmRuns.sum(), warmStopped.sum(), warmSkipped.sum(),
                warmLoaded.sum(), warmFilled.sum(), warmRefused.sum(), warmAbsent.sum(),
                hot == null ? 0 : hot.samples.sum(), hot == null ? 0 : hot.size(), warmPublishes.sum(),
                warmPublishFailures.sum(), warmLastMillis);
    }
}
