package io.cachesync.hibernate;

import io.cachesync.core.Snapshot;
import io.cachesync.core.monitor.MonitorSettings;
import io.cachesync.testsupport.LogCapture;
import io.cachesync.testsupport.RedisExtension;
import io.cachesync.testsupport.TestRedis;
import org.hibernate.SessionFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

import static io.cachesync.hibernate.RedisOutageNeverFailsACommitTest.waitUntil;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A read that sees drift hands the key to the monitor, which repairs it at once through the versioned write, even
 * with sampling off: corrupt bytes under a row that is gone (no fill follows such a read, so before the monitor
 * they stayed), and a Redis version below one the node knows Redis held (an old backup restored, say).
 */
@ExtendWith(RedisExtension.class)
class MonitorRepairsWhatAReadSeesDriftedTest {

    private static void repairOnly(Map<String, Object> s) {
        s.put(MonitorSettings.SAMPLE_RATE, "0");
        s.put(MonitorSettings.REPAIR, "true");
    }

    @Test
    void corruptBytesUnderADeletedRowBecomeATombstone(TestRedis redis) throws Exception {
        try (LogCapture logs = new LogCapture();
             SessionFactory sf = TestNodes.node(TestNodes.newDatabase(), redis.uri(), true,
                     MonitorRepairsWhatAReadSeesDriftedTest::repairOnly)) {
            CacheSync sync = CacheSync.of(sf);
            DriftInjection drift = new DriftInjection(sf, redis);
            drift.plant(Account.class, 7L, "\u0000not a snapshot");
            assertEquals(Optional.empty(), sync.find(Account.class, 7L));
            waitUntil(() -> sync.snapshot(Account.class, 7L).map(Snapshot::tombstone).orElse(false),
                    Duration.ofSeconds(5));
            // the repair lands before its log line and its count: wait for those too
            waitUntil(() -> logs.text().contains("cachesync read saw drift under Account#7: corrupt")
                    && sync.monitor().repaired() == 1, Duration.ofSeconds(5));
            assertEquals(1, sync.monitor().repaired());
            assertEquals(0, sync.monitor().sampled(), "sampling is off: nothing counted");
            CacheAgreesWithDatabase.assertAgrees(sf, true);
        }
    }

    @Test
    void aVersionBelowOneRedisAnnouncedIsNotServedAndTheReadRepairsItAndSaysSo(TestRedis redis) throws Exception {
        try (TwoNodes nodes = new TwoNodes(redis.uri(), MonitorRepairsWhatAReadSeesDriftedTest::repairOnly).ready();
             LogCapture logs = new LogCapture()) {
            DriftInjection drift = new DriftInjection(nodes.a, redis);
            nodes.a.inTransaction(s -> s.persist(new Account(1, "ann", BigDecimal.ONE)));
            String v0 = redis.commands().get(drift.key(Account.class, 1L));
            nodes.a.inTransaction(s -> s.find(Account.class, 1L).setOwner("bob"));
            // node B hears of v1 through the invalidation, without reading it
            waitUntil(() -> nodes.syncB.cache().localVersion(CacheSync.of(nodes.b).runtime().entity(Account.class)
                    .schema(), 1L) == 1, Duration.ofSeconds(5));
            redis.commands().set(drift.key(Account.class, 1L), v0); // an old backup restored behind its back
            assertEquals("bob", nodes.syncB.find(Account.class, 1L).orElseThrow().getOwner(), "Redis' v0 was served");
            assertEquals(1, nodes.syncB.snapshot(Account.class, 1L).orElseThrow().version(), "the read's own fill");
            assertTrue(logs.text().contains("cachesync read of " + drift.key(Account.class, 1L) + " found v0 in Redis, "
                    + "below v1 that this node committed, served or was told of: Redis lost writes"), logs.text());
            assertEquals("bob", nodes.syncA.find(Account.class, 1L).orElseThrow().getOwner());
            CacheAgreesWithDatabase.assertAgrees(nodes.a, true);
        }
    }

    @Test
    void withRepairOffTheReadOnlyReports(TestRedis redis) throws Exception {
        try (LogCapture logs = new LogCapture();
             SessionFactory sf = TestNodes.node(TestNodes.newDatabase(), redis.uri(), true)) {
            CacheSync sync = CacheSync.of(sf);
            new DriftInjection(sf, redis).plant(Account.class, 8L, "garbage");
            sync.find(Account.class, 8L);
            waitUntil(() -> logs.text().contains("Account#8: corrupt"), Duration.ofSeconds(5));
            assertTrue(logs.text().contains("left alone (cachesync.monitor.repair=false)"), logs.text());
            assertEquals("garbage", redis.commands().get(sync.key(Account.class, 8L)));
            assertEquals(0, sync.monitor().repaired());
        }
    }
}
