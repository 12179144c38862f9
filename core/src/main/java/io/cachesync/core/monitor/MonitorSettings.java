package io.cachesync.core.monitor;

import io.cachesync.core.InvalidSettingException;
import io.cachesync.core.SettingValues;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The settings of the consistency monitor and of automatic reconciliation, validated; built from the same
 * {@code cachesync.*} keys as the rest (a key that is set but malformed fails with an
 * {@link InvalidSettingException} naming the key and the value). Immutable.
 */
public final class MonitorSettings {

    /** Share of committed keys the monitor checks, 0 to 1; 0 switches the monitor off. */
    public static final String SAMPLE_RATE = "cachesync.monitor.sample-rate";
    /** Comma-separated, increasing delays after the commit at which a sampled key is checked. */
    public static final String DELAYS = "cachesync.monitor.delays";
    /** Sampled keys waiting for their checks, at most; beyond it new samples are dropped and counted. */
    public static final String MAX_PENDING = "cachesync.monitor.max-pending";
    /** Whether drift found by the monitor (or seen by a read) is repaired at once. */
    public static final String REPAIR = "cachesync.monitor.repair";
    /** Whether Redis data loss or a repair-queue overflow starts a Reconciler run by itself. */
    public static final String AUTO_RECONCILE = "cachesync.auto-reconcile";
    /** Rows per batch of an automatic Reconciler run. */
    public static final String AUTO_RECONCILE_BATCH_SIZE = "cachesync.auto-reconcile.batch-size";
    /** Pause between two batches of an automatic Reconciler run. */
    public static final String AUTO_RECONCILE_PAUSE = "cachesync.auto-reconcile.pause";
    /** How often the server's run_id and the overflow marks are looked at. */
    public static final String AUTO_RECONCILE_CHECK_INTERVAL = "cachesync.auto-reconcile.check-interval";

    private static final int MAX_DELAYS = 5;

    private final double sampleRate;
    private final List<Duration> delays;
    private final int maxPending;
    private final boolean repair;
    private final boolean autoReconcile;
    private final int autoReconcileBatchSize;
    private final Duration autoReconcilePause;
    private final Duration checkInterval;

    private MonitorSettings(double sampleRate, List<Duration> delays, int maxPending, boolean repair,
                            boolean autoReconcile, int autoReconcileBatchSize, Duration autoReconcilePause,
                            Duration checkInterval) {
        this.sampleRate = sampleRate;
        this.delays = List.copyOf(delays);
        this.maxPending = maxPending;
        this.repair = repair;
        this.autoReconcile = autoReconcile;
        this.autoReconcileBatchSize = autoReconcileBatchSize;
        this.autoReconcilePause = autoReconcilePause;
        this.checkInterval = checkInterval;
    }

    /** The defaults documented in the README. */
    public static MonitorSettings defaults() {
        return fromProperties(Map.of());
    }

    /** Reads and validates the monitor's keys of the map; absent keys take their defaults. */
    public static MonitorSettings fromProperties(Map<String, ?> properties) {
        double rate = 0.01;
        String rateText = text(properties, SAMPLE_RATE);
        if (rateText != null) {
            try {
                rate = Double.parseDouble(rateText.trim());
            } catch (NumberFormatException e) {
                throw new InvalidSettingException(SAMPLE_RATE, rateText, "not a number (examples: 0, 0.01, 1)");
            }
            if (!(rate >= 0 && rate <= 1)) {
                throw new InvalidSettingException(SAMPLE_RATE, rateText, "must be between 0 and 1");
            }
        }
        List<Duration> delays = List.of(Duration.ofSeconds(1), Duration.ofSeconds(10));
        String delaysText = text(properties, DELAYS);
        if (delaysText != null) {
            delays = delays(delaysText);
        }
        int maxPending = (int) number(properties, MAX_PENDING, 10_000, 1, 10_000_000);
        boolean repair = bool(properties, REPAIR, true);
        boolean auto = bool(properties, AUTO_RECONCILE, true);
        int batch = (int) number(properties, AUTO_RECONCILE_BATCH_SIZE, 500, 1, 20_000);
        Duration pause = duration(properties, AUTO_RECONCILE_PAUSE, Duration.ofMillis(100), true);
        Duration interval = duration(properties, AUTO_RECONCILE_CHECK_INTERVAL, Duration.ofSeconds(1), false);
        return new MonitorSettings(rate, delays, maxPending, repair, auto, batch, pause, interval);
    }

    private static List<Duration> delays(String value) {
        List<Duration> out = new ArrayList<>();
        for (String part : value.split(",")) {
            Duration d = SettingValues.parseDuration(part.trim());
            if (d == null || d.isNegative() || d.isZero()) {
                throw new InvalidSettingException(DELAYS, value,
                        "expected positive durations separated by commas (example: 1s,10s)");
            }
            if (!out.isEmpty() && d.compareTo(out.get(out.size() - 1)) <= 0) {
                throw new InvalidSettingException(DELAYS, value, "the delays must increase");
            }
            out.add(d);
        }
        if (out.size() > MAX_DELAYS) {
            throw new InvalidSettingException(DELAYS, value, "at most " + MAX_DELAYS + " delays");
        }
        return out;
    }

    private static String text(Map<String, ?> properties, String key) {
        return SettingValues.text(properties, key);
    }

    private static boolean bool(Map<String, ?> properties, String key, boolean fallback) {
        String value = text(properties, key);
        return value == null ? fallback : SettingValues.bool(key, value);
    }

    private static long number(Map<String, ?> properties, String key, long fallback, long min, long max) {
        Long value = SettingValues.number(properties, key, min, max);
        return value == null ? fallback : value;
    }

    private static Duration duration(Map<String, ?> properties, String key, Duration fallback, boolean zeroAllowed) {
        Duration value = SettingValues.duration(properties, key, zeroAllowed);
        return value == null ? fallback : value;
    }

    /** Share of committed keys checked, 0 (monitor off) to 1. Default 0.01. */
    public double sampleRate() {
        return sampleRate;
    }

    /** The increasing delays after a commit at which a sampled key is checked. Default 1 s and 10 s. */
    public List<Duration> delays() {
        return delays;
    }

    /** Sampled keys waiting for checks, at most. Default 10,000. */
    public int maxPending() {
        return maxPending;
    }

    /** Whether drift found by the monitor or seen by a read is repaired at once. Default true. */
    public boolean repair() {
        return repair;
    }

    /** Whether data loss or a repair-queue overflow starts a Reconciler run by itself. Default true. */
    public boolean autoReconcile() {
        return autoReconcile;
    }

    /** Rows per batch of an automatic run. Default 500. */
    public int autoReconcileBatchSize() {
        return autoReconcileBatchSize;
    }

    /** Pause between two batches of an automatic run. Default 100 ms. */
    public Duration autoReconcilePause() {
        return autoReconcilePause;
    }

    /** How often the server's run_id and the overflow marks are looked at. Default 1 s. */
    public Duration checkInterval() {
        return checkInterval;
    }
}
