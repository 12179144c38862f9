package io.cachesync.core.monitor;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * What the consistency monitor has measured since it started: per delay, overall and per model, how many
 * sampled keys were checked and how many were consistent (see {@link DelayConsistency} for the definition).
 *
 * <p>Guarantees: immutable, never updated afterwards (each count is read once; counts taken while commits and
 * checks go on may be a few samples apart). Every sample is accounted for exactly once: once the monitor is idle,
 * {@code sampled = dropped + pending + checked at the last delay}, where pending samples are those still waiting
 * for a check (a sample checked at the first delay but not yet at the last counts as pending), and every delay has
 * checked the same samples. Counts at one delay are final once made: a key repaired after an inconsistent check stays counted
 * as inconsistent at that delay. {@link #recent()} holds at most the last {@value ConsistencyMonitor#RECENT}
 * inconsistencies, oldest first.
 *
 * @param enabled   false when the sample rate is 0 (nothing is sampled)
 * @param sampleRate the share of committed keys sampled
 * @param sampled   keys sampled on the commit path
 * @param dropped   samples dropped because {@code cachesync.monitor.max-pending} were already waiting
 * @param pending   samples still waiting for a check
 * @param repaired  drifted keys the monitor repaired (found by its checks or handed in by the read path)
 * @param overall   per delay, every model together
 * @param models    per model (entity name), per delay
 * @param recent    the latest inconsistencies found
 */
public record MonitorReport(boolean enabled, double sampleRate, long sampled, long dropped, long pending,
                            long repaired, List<DelayConsistency> overall, Map<String, List<DelayConsistency>> models,
                            List<Inconsistency> recent) {

    public MonitorReport {
        overall = List.copyOf(overall);
        models = Map.copyOf(models);
        recent = List.copyOf(recent);
    }

    /** Overall figures at one of the configured delays. */
    public DelayConsistency at(Duration delay) {
        return find(overall, delay);
    }

    /** One model's figures at one of the configured delays. */
    public DelayConsistency model(String entity, Duration delay) {
        List<DelayConsistency> perDelay = models.get(entity);
        if (perDelay == null) {
            throw new IllegalArgumentException("no model " + entity + "; monitored: " + models.keySet());
        }
        return find(perDelay, delay);
    }

    /** Overall figures at the longest delay: how consistent the cache is once everything had time to land. */
    public DelayConsistency last() {
        return overall.get(overall.size() - 1);
    }

    private static DelayConsistency find(List<DelayConsistency> list, Duration delay) {
        for (DelayConsistency d : list) {
            if (d.delay().equals(delay)) {
                return d;
            }
        }
        throw new IllegalArgumentException("no delay " + delay + "; configured: "
                + list.stream().map(DelayConsistency::delay).toList());
    }

    @Override
    public String toString() {
        return "monitor: " + sampled + " sampled, " + dropped + " dropped, " + pending + " pending, " + repaired
                + " repaired; " + overall;
    }
}
