package io.cachesync.hibernate;

import io.cachesync.core.monitor.MonitorSettings;

import java.time.Duration;
import java.util.Map;
import java.util.function.Consumer;

import static io.cachesync.hibernate.RedisOutageNeverFailsACommitTest.waitUntil;

/** Settings and waits shared by the Monitor* tests. */
final class MonitorTestSupport {

    private MonitorTestSupport() {
    }

    /** Every commit sampled, checked after {@code delays}; repair and auto-reconcile as given. */
    static Consumer<Map<String, Object>> monitor(String delays, boolean repair, boolean autoReconcile) {
        return s -> {
            s.put(MonitorSettings.SAMPLE_RATE, "1.0");
            s.put(MonitorSettings.DELAYS, delays);
            s.put(MonitorSettings.REPAIR, Boolean.toString(repair));
            s.put(MonitorSettings.AUTO_RECONCILE, Boolean.toString(autoReconcile));
            s.put(MonitorSettings.MAX_PENDING, "200000");
        };
    }

    /** Waits until every sample the node took was checked at every delay. */
    static void waitUntilChecked(CacheSync sync, Duration timeout) throws InterruptedException {
        waitUntil(() -> sync.monitor().pending() == 0, timeout);
    }
}
