package io.cachesync.core.monitor;

import io.cachesync.core.CacheSyncMetrics;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;

/**
 * The monitor's Micrometer meters, named in {@link CacheSyncMetrics} and tagged like every cachesync meter
 * ({@code prefix}, {@code instance}), plus {@code entity} (a model, or {@value #ALL}) and {@code delay}
 * ({@code 1s}, {@code 10s}...). Reads the monitor's adders when Micrometer publishes; costs nothing otherwise.
 */
final class MonitorMetrics {

    /** The {@code entity} tag of the figures over every model. */
    static final String ALL = "all";
    private static final String[] RESULTS = {"consistent", "stale", "missing", "corrupt", "orphaned", "cache-ahead"};

    private final MeterRegistry registry;
    private final List<Meter> meters = new ArrayList<>();

    MonitorMetrics(MeterRegistry registry, String prefix, String instance, List<Duration> delays,
                   Map<String, Tally[]> byEntity, Tally[] overall, LongAdder sampled, LongAdder dropped,
                   LongAdder repaired, Supplier<Number> pending) {
        this.registry = registry;
        meters.add(FunctionCounter.builder(CacheSyncMetrics.MONITOR_SAMPLED, sampled, LongAdder::sum)
                .tag("prefix", prefix).tag("instance", instance).register(registry));
        meters.add(FunctionCounter.builder(CacheSyncMetrics.MONITOR_DROPPED, dropped, LongAdder::sum)
                .tag("prefix", prefix).tag("instance", instance).register(registry));
        meters.add(FunctionCounter.builder(CacheSyncMetrics.MONITOR_REPAIRS, repaired, LongAdder::sum)
                .tag("prefix", prefix).tag("instance", instance).register(registry));
        meters.add(Gauge.builder(CacheSyncMetrics.MONITOR_PENDING, pending).tag("prefix", prefix)
                .tag("instance", instance).description("sampled keys waiting for a check").register(registry));
        for (Map.Entry<String, Tally[]> entity : byEntity.entrySet()) {
            register(prefix, instance, entity.getKey(), delays, entity.getValue(), true);
        }
        register(prefix, instance, ALL, delays, overall, false);
    }

    private void register(String prefix, String instance, String entity, List<Duration> delays, Tally[] tallies,
                          boolean counters) {
        for (int i = 0; i < delays.size(); i++) {
            Duration delay = delays.get(i);
            Tally tally = tallies[i];
            String delayTag = DelayConsistency.format(delay);
            if (counters) {
                for (String result : RESULTS) {
                    meters.add(FunctionCounter.builder(CacheSyncMetrics.MONITOR_CHECKS, tally.adder(result),
                                    LongAdder::sum)
                            .tag("prefix", prefix).tag("instance", instance).tag("entity", entity)
                            .tag("delay", delayTag).tag("result", result).register(registry));
                }
            }
            meters.add(Gauge.builder(CacheSyncMetrics.MONITOR_CONSISTENCY, tally, t -> t.snapshot(delay).ratio())
                    .tag("prefix", prefix).tag("instance", instance).tag("entity", entity).tag("delay", delayTag)
                    .description("share of sampled keys consistent at this delay after their commit")
                    .register(registry));
            meters.add(Gauge.builder(CacheSyncMetrics.MONITOR_NINES, tally, t -> t.snapshot(delay).nines())
                    .tag("prefix", prefix).tag("instance", instance).tag("entity", entity).tag("delay", delayTag)
                    .description("the consistent share in nines (0.999 is 3)").register(registry));
        }
    }

    void close() {
        meters.forEach(registry::remove);
        meters.clear();
    }
}
