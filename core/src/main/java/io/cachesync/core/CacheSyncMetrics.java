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

    private final MeterRegistry registry;
    private final List<Meter> meters = new ArrayList<>();
    private final RedisCircuitBreaker breaker;
    private final String prefix;
    private final String instance;

    CacheSyncMetrics(MeterRegistry registry, String prefix, int instance, Supplier<Number> repairPending,
                     RedisCircuitBreaker breaker) {
        this.registry = registry;
        this.breaker = breaker;
        String id = Integer.toString(instance);
        this.prefix = prefix;
        this.instance = id;
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
    }

    /** Registers the gauge of locks held, once the cache's locks exist. */
    void locksHeld(Supplier<Number> held) {
        meters.add(Gauge.builder(LOCKS_HELD, held).tag("prefix", prefix).tag("instance", instance)
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
                breaker.rejected.sum());
    }
}
