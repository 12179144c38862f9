package io.cachesync.hibernate;

import io.cachesync.core.InvalidSettingException;
import io.cachesync.core.monitor.MonitorSettings;
import io.cachesync.testsupport.RedisExtension;
import io.cachesync.testsupport.TestRedis;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The monitor's keys: documented defaults, and a malformed value stops the bootstrap naming key and value. */
@ExtendWith(RedisExtension.class)
class MonitorSettingsAreValidatedAtBootstrapTest {

    @Test
    void defaults() {
        MonitorSettings d = MonitorSettings.defaults();
        assertEquals(0.01, d.sampleRate());
        assertEquals(List.of(Duration.ofSeconds(1), Duration.ofSeconds(10)), d.delays());
        assertEquals(10_000, d.maxPending());
        assertTrue(d.repair());
        assertTrue(d.autoReconcile());
        assertEquals(500, d.autoReconcileBatchSize());
        assertEquals(Duration.ofMillis(100), d.autoReconcilePause());
        assertEquals(Duration.ofSeconds(1), d.checkInterval());
        MonitorSettings custom = MonitorSettings.fromProperties(Map.of(MonitorSettings.DELAYS, "250ms, 2s,PT1M",
                MonitorSettings.SAMPLE_RATE, "1"));
        assertEquals(List.of(Duration.ofMillis(250), Duration.ofSeconds(2), Duration.ofMinutes(1)), custom.delays());
        assertEquals(1.0, custom.sampleRate());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "cachesync.monitor.sample-rate|1.5",
            "cachesync.monitor.sample-rate|-0.1",
            "cachesync.monitor.sample-rate|often",
            "cachesync.monitor.delays|10s,1s",
            "cachesync.monitor.delays|1s,,2s",
            "cachesync.monitor.delays|0s",
            "cachesync.monitor.delays|1s,2s,3s,4s,5s,6s",
            "cachesync.monitor.max-pending|0",
            "cachesync.monitor.max-pending|lots",
            "cachesync.monitor.repair|yes",
            "cachesync.auto-reconcile|on",
            "cachesync.auto-reconcile.batch-size|0",
            "cachesync.auto-reconcile.batch-size|20001",
            "cachesync.auto-reconcile.pause|-1s",
            "cachesync.auto-reconcile.pause|a while",
            "cachesync.auto-reconcile.check-interval|0ms",
            "cachesync.auto-reconcile.check-interval|often"})
    void aMalformedKeyStopsTheBootstrapNamingKeyAndValue(String key, String value, TestRedis redis) {
        Map<String, Object> settings = TestNodes.settings(TestNodes.newDatabase(), redis.uri(), true);
        settings.put(key, value);
        RuntimeException failure = assertThrows(RuntimeException.class, () -> TestNodes.node(settings).close());
        Throwable cause = failure;
        while (!(cause instanceof InvalidSettingException) && cause.getCause() != null) {
            cause = cause.getCause();
        }
        assertTrue(cause instanceof InvalidSettingException, "cause: " + failure);
        assertTrue(cause.getMessage().contains(key), cause.getMessage());
        assertTrue(cause.getMessage().contains(value), cause.getMessage());
    }

    @Test
    void everyMonitorKeyHasAMalformedCase() throws Exception {
        java.util.Set<String> covered = new java.util.HashSet<>();
        for (String row : getClass().getDeclaredMethod("aMalformedKeyStopsTheBootstrapNamingKeyAndValue", String.class,
                String.class, TestRedis.class).getAnnotation(CsvSource.class).value()) {
            covered.add(row.substring(0, row.indexOf('|')));
        }
        for (java.lang.reflect.Field field : MonitorSettings.class.getFields()) {
            if (field.getType() == String.class && java.lang.reflect.Modifier.isStatic(field.getModifiers())) {
                String key = (String) field.get(null);
                assertTrue(covered.contains(key), "no malformed-value case for " + key);
            }
        }
    }
}
