package io.cachesync.core;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;

/**
 * Every Micrometer meter cachesync registers, named in one place. All meters are tagged {@code prefix} (the key
 * prefix), so that two caches in one process stay apart.
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

    CacheSyncMetrics(MeterRegistry registry, String prefix, Supplier<Number> repairPending) {
        counter(registry, READS, prefix, localHits, "tier", "local", "result", "hit");
        counter(registry, READS, prefix, localMisses, "tier", "local", "result", "miss");
        counter(registry, READS, prefix, redisHits, "tier", "redis", "result", "hit");
        counter(registry, READS, prefix, redisMisses, "tier", "redis", "result", "miss");
        counter(registry, READS, prefix, databaseLoads, "tier", "database", "result", "load");
        counter(registry, FILLS, prefix, fillsWritten, "result", "written");
        counter(registry, FILLS, prefix, fillsRefused, "result", "refused");
        counter(registry, PUSHES, prefix, pushesWritten, "result", "written");
        counter(registry, PUSHES, prefix, pushesRefused, "result", "refused");
        counter(registry, PUSHES, prefix, pushesFailed, "result", "failed");
        counter(registry, CORRUPT, prefix, corrupt);
        counter(registry, INVALIDATIONS_RECEIVED, prefix, invalidationsReceived);
        FunctionCounter.builder(INVALIDATIONS_SENT, this, m -> m.invalidationsSent()).tag("prefix", prefix)
                .register(registry);
        counter(registry, LOCAL_CLEARS, prefix, localClears);
        counter(registry, REPAIR_OVERFLOWS, prefix, repairOverflows);
        Gauge.builder(REPAIR_PENDING, repairPending).tag("prefix", prefix)
                .description("keys whose push failed and that wait for a retry").register(registry);
    }

    long invalidationsSent() {
        return pushesWritten.sum() + fillsWritten.sum();
    }

    private static void counter(MeterRegistry registry, String name, String prefix, LongAdder adder, String... tags) {
        String[] all = new String[tags.length + 2];
        all[0] = "prefix";
        all[1] = prefix;
        System.arraycopy(tags, 0, all, 2, tags.length);
        FunctionCounter.builder(name, adder, LongAdder::sum).tags(all).register(registry);
    }

    CacheStatistics snapshot(long pendingRepairs, long localSize) {
        return new CacheStatistics(localHits.sum(), localMisses.sum(), redisHits.sum(), redisMisses.sum(),
                databaseLoads.sum(), fillsWritten.sum(), fillsRefused.sum(), pushesWritten.sum(), pushesRefused.sum(),
                pushesFailed.sum(), corrupt.sum(), invalidationsSent(), invalidationsReceived.sum(), localClears.sum(),
                pendingRepairs, repairOverflows.sum(), localSize);
    }
}
