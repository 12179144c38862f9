package io.cachesync.core;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

import java.util.function.Supplier;

/**
 * Every Micrometer meter cachesync registers, named in one place. All meters are tagged {@code prefix} (the key
 * prefix), so that two caches in one process stay apart.
 */
public final class CacheSyncMetrics {

    public static final String READS = "cachesync.reads";
    public static final String FILLS = "cachesync.fills";
    public static final String PUSHES = "cachesync.pushes";
    public static final String CORRUPT = "cachesync.corrupt";
    public static final String INVALIDATIONS_RECEIVED = "cachesync.invalidations.received";
    public static final String LOCAL_CLEARS = "cachesync.local.clears";
    public static final String REPAIR_PENDING = "cachesync.repair.pending";
    public static final String REPAIR_OVERFLOWS = "cachesync.repair.overflows";

    final Counter localHits;
    final Counter localMisses;
    final Counter redisHits;
    final Counter redisMisses;
    final Counter databaseLoads;
    final Counter fillsWritten;
    final Counter fillsRefused;
    final Counter pushesWritten;
    final Counter pushesRefused;
    final Counter pushesFailed;
    final Counter corrupt;
    final Counter invalidationsReceived;
    final Counter localClears;
    final Counter repairOverflows;

    CacheSyncMetrics(MeterRegistry registry, String prefix, Supplier<Number> repairPending) {
        localHits = counter(registry, READS, prefix, "tier", "local", "result", "hit");
        localMisses = counter(registry, READS, prefix, "tier", "local", "result", "miss");
        redisHits = counter(registry, READS, prefix, "tier", "redis", "result", "hit");
        redisMisses = counter(registry, READS, prefix, "tier", "redis", "result", "miss");
        databaseLoads = counter(registry, READS, prefix, "tier", "database", "result", "load");
        fillsWritten = counter(registry, FILLS, prefix, "result", "written");
        fillsRefused = counter(registry, FILLS, prefix, "result", "refused");
        pushesWritten = counter(registry, PUSHES, prefix, "result", "written");
        pushesRefused = counter(registry, PUSHES, prefix, "result", "refused");
        pushesFailed = counter(registry, PUSHES, prefix, "result", "failed");
        corrupt = counter(registry, CORRUPT, prefix);
        invalidationsReceived = counter(registry, INVALIDATIONS_RECEIVED, prefix);
        localClears = counter(registry, LOCAL_CLEARS, prefix);
        repairOverflows = counter(registry, REPAIR_OVERFLOWS, prefix);
        Gauge.builder(REPAIR_PENDING, repairPending).tag("prefix", prefix)
                .description("keys whose push failed and waits for a retry").register(registry);
    }

    private static Counter counter(MeterRegistry registry, String name, String prefix, String... tags) {
        String[] all = new String[tags.length + 2];
        all[0] = "prefix";
        all[1] = prefix;
        System.arraycopy(tags, 0, all, 2, tags.length);
        return Counter.builder(name).tags(all).register(registry);
    }
}
