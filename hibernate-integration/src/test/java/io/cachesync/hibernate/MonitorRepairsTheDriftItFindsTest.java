package io.cachesync.hibernate;

import io.cachesync.core.monitor.DelayConsistency;
import io.cachesync.core.monitor.Inconsistency;
import io.cachesync.core.monitor.MonitorReport;
import io.cachesync.testsupport.LogCapture;
import io.cachesync.testsupport.RedisExtension;
import io.cachesync.testsupport.TestRedis;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.hibernate.SessionFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Faults injected right after a commit (key deleted, bytes corrupted, an older snapshot planted) are counted at
 * the first delay, logged with entity, id, both versions and age, repaired at once through the versioned write,
 * and so consistent at the second delay; the meters say the same as the report.
 */
@ExtendWith(RedisExtension.class)
class MonitorRepairsTheDriftItFindsTest {

    private static final Duration FIRST = Duration.ofMillis(700);
    private static final Duration SECOND = Duration.ofMillis(1500);

    @Test
    void faultsAreCountedAtTheFirstDelayRepairedAndConsistentAtTheSecond(TestRedis redis) throws Exception {
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        try (LogCapture logs = new LogCapture();
             SessionFactory sf = TestNodes.node(TestNodes.newDatabase(), redis.uri(), true, s -> {
                 MonitorTestSupport.monitor("700ms,1500ms", true, false).accept(s);
                 s.put("cachesync.metrics.registry", meters);
             })) {
            CacheSync sync = CacheSync.of(sf);
            DriftInjection drift = new DriftInjection(sf, redis);
            for (long id = 1; id <= 10; id++) {
                long n = id;
                sf.inTransaction(s -> s.persist(new Account(n, "owner" + n, BigDecimal.ONE)));
            }
            MonitorTestSupport.waitUntilChecked(sync, Duration.ofSeconds(10));
            MonitorReport before = sync.monitor();
            assertEquals(10, before.sampled());
            assertEquals(10, before.last().consistent(), before.toString());

            for (long id = 1; id <= 10; id++) {
                long n = id;
                sf.inTransaction(s -> s.find(Account.class, n).setOwner("second" + n));
            }
            // behind cachesync's back, right after the pushes landed: well before the first check
            drift.delete(Account.class, 1L);
            drift.plant(Account.class, 2L, "{\"version\":1,\"deleted\":fal");
            drift.plantSnapshot(Account.class, 3L, 0, Instant.now(), Map.of("owner", "owner3",
                    "balance", BigDecimal.ONE, "status", "OPEN"));
            MonitorTestSupport.waitUntilChecked(sync, Duration.ofSeconds(10));

            MonitorReport after = sync.monitor();
            assertEquals(20, after.sampled());
            assertEquals(0, after.dropped());
            DelayConsistency first = minus(after.at(FIRST), before.at(FIRST));
            DelayConsistency second = minus(after.at(SECOND), before.at(SECOND));
            assertEquals(10, first.checked());
            assertEquals(3, first.inconsistent(), after.toString());
            assertEquals(1, first.missing());
            assertEquals(1, first.corrupt());
            assertEquals(1, first.stale());
            assertEquals(0, second.inconsistent(), "repaired at once, so consistent at the second delay: " + after);
            assertEquals(3, after.repaired());
            assertEquals(after.at(FIRST), after.model("Account", FIRST));
            assertEquals(Set.of(1L, 2L, 3L), ids(after));
            CacheAgreesWithDatabase.assertAgrees(sf, true);

            // each inconsistency logged at WARN with entity, id, both versions and age
            assertEquals(3, logs.count("WARN", "cachesync monitor: Account#"), logs.text());
            assertTrue(logs.text().contains("Account#1 missing 700ms after its commit of v1"), logs.text());
            assertTrue(logs.text().contains("Redis holds nothing, database v1; repaired (v1 written)"), logs.text());
            assertTrue(logs.text().contains("Account#3 stale 700ms after its commit of v1 (age "), logs.text());
            assertTrue(logs.text().contains("Redis holds v0, database v1"), logs.text());

            // the meters agree with the report
            assertEquals(1.0, meters.get("cachesync.monitor.checks").tag("entity", "Account").tag("delay", "700ms")
                    .tag("result", "missing").functionCounter().count());
            assertEquals(17.0, meters.get("cachesync.monitor.checks").tag("entity", "Account").tag("delay", "700ms")
                    .tag("result", "consistent").functionCounter().count());
            assertEquals(17.0 / 20, meters.get("cachesync.monitor.consistency").tag("entity", "all")
                    .tag("delay", "700ms").gauge().value(), 1e-9);
            assertEquals(1.0, meters.get("cachesync.monitor.consistency").tag("entity", "Account")
                    .tag("delay", "1500ms").gauge().value(), 1e-9);
            assertEquals(Math.log10(20), meters.get("cachesync.monitor.nines").tag("entity", "all")
                    .tag("delay", "1500ms").gauge().value(), 1e-9);
            assertEquals(3.0, meters.get("cachesync.monitor.repairs").functionCounter().count());
            assertEquals(20.0, meters.get("cachesync.monitor.sampled").functionCounter().count());
        }
        assertTrue(meters.find("cachesync.monitor.consistency").gauges().isEmpty(), "closing removes the meters");
    }

    @Test
    void theReportIsImmutableAndTheNinesFollowTheDefinition() {
        DelayConsistency d = new DelayConsistency(Duration.ofSeconds(1), 1000, 999, 1, 0, 0, 0, 0);
        assertEquals(0.999, d.ratio(), 1e-12);
        assertEquals(3.0, d.nines(), 1e-9);
        assertEquals(3.0, new DelayConsistency(Duration.ofSeconds(1), 1000, 1000, 0, 0, 0, 0, 0).nines(), 1e-9,
                "no inconsistency in n checks reads as log10(n) nines");
        assertEquals(0.0, new DelayConsistency(Duration.ofSeconds(1), 0, 0, 0, 0, 0, 0, 0).nines());
        MonitorReport report = new MonitorReport(true, 1, 1, 0, 0, 0, java.util.List.of(d), Map.of("A",
                new java.util.ArrayList<>(java.util.List.of(d))), new java.util.ArrayList<>());
        assertThrows(UnsupportedOperationException.class, () -> report.overall().add(d));
        assertThrows(UnsupportedOperationException.class, () -> report.recent().clear());
    }

    static DelayConsistency minus(DelayConsistency a, DelayConsistency b) {
        return new DelayConsistency(a.delay(), a.checked() - b.checked(), a.consistent() - b.consistent(),
                a.stale() - b.stale(), a.missing() - b.missing(), a.corrupt() - b.corrupt(),
                a.orphaned() - b.orphaned(), a.cacheAhead() - b.cacheAhead());
    }

    private static Set<Object> ids(MonitorReport report) {
        Set<Object> ids = new TreeSet<>();
        for (Inconsistency i : report.recent()) {
            ids.add(i.id());
        }
        return ids;
    }
}
