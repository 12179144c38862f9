package io.cachesync.hibernate;

import io.cachesync.testsupport.LocalRedisServer;
import io.cachesync.testsupport.LogCapture;
import org.hibernate.SessionFactory;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Invariant 5: a cache failure never fails a transaction and never loses track of a key. Each test owns a
 * private redis-server that it kills and starts.
 */
class RedisOutageNeverFailsACommitTest {

    private static SessionFactory node(String redisUri) {
        return TestNodes.node(TestNodes.newDatabase(), redisUri, true, s -> {
            s.put("cachesync.redis.timeout", "200ms");
            s.put("cachesync.repair.max-backoff", "300ms");
        });
    }

    @Test
    void commitsWhileRedisIsDownSucceedAndTheirKeysArePushedOnceItIsBack() throws Exception {
        LocalRedisServer redis = LocalRedisServer.start();
        SessionFactory sf = node(redis.uri());
        try (LogCapture logs = new LogCapture()) {
            CacheSync sync = CacheSync.of(sf);
            for (long id = 1; id <= 20; id++) {
                long n = id;
                sf.inTransaction(s -> s.persist(new Account(n, "owner" + n, BigDecimal.ONE)));
            }
            redis.kill();

            long slowest = 0;
            for (long id = 1; id <= 20; id++) {
                long n = id;
                long start = System.nanoTime();
                sf.inTransaction(s -> s.find(Account.class, n).setOwner("changed while Redis was down"));
                slowest = Math.max(slowest, (System.nanoTime() - start) / 1_000_000);
            }
            assertEquals(20, sync.pendingRepairs());
            assertTrue(logs.count("WARN", "push failed for Account#7 v1") == 1, logs.text());

            redis.restart(); // same port, empty: what was pushed before the kill is gone
            waitUntil(() -> sync.pendingRepairs() == 0, Duration.ofSeconds(20));
            for (long id = 1; id <= 20; id++) {
                assertEquals(1, sync.snapshot(Account.class, id).orElseThrow().version(), "Account#" + id);
            }
            CacheAgreesWithDatabase.assertAgrees(sf, true);
            System.out.printf("[outage] 20 commits with Redis down: all committed, slowest %d ms, 20 keys queued and "
                    + "pushed after the restart%n", slowest);
        } finally {
            sf.close();
            redis.close();
        }
    }

    @Test
    void anApplicationStartsWithoutRedisAndCatchesUpWhenItAppears() throws Exception {
        int port = LocalRedisServer.unusedPort();
        try (LogCapture logs = new LogCapture()) {
            SessionFactory sf = node("redis://127.0.0.1:" + port);
            LocalRedisServer redis = null;
            try {
                CacheSync sync = CacheSync.of(sf);
                assertEquals(1, logs.count("WARN", "cannot reach Redis"), logs.text());
                sf.inTransaction(s -> s.persist(new Account(1, "early", BigDecimal.ONE)));
                assertEquals("early", sync.find(Account.class, 1L).orElseThrow().getOwner()); // from the database
                assertEquals(1, sync.pendingRepairs());

                redis = LocalRedisServer.startOn(port);
                waitUntil(() -> sync.pendingRepairs() == 0, Duration.ofSeconds(20));
                assertEquals("early", sync.snapshot(Account.class, 1L).orElseThrow().state().get("owner"));
                waitUntil(sync::localTierServing, Duration.ofSeconds(20));
                sf.inTransaction(s -> s.find(Account.class, 1L).setOwner("later"));
                assertEquals(1, sync.snapshot(Account.class, 1L).orElseThrow().version());
                CacheAgreesWithDatabase.assertAgrees(sf, true);
                assertEquals(1, logs.count("WARN", "cannot reach Redis"), "one warning, not one per retry");
            } finally {
                sf.close();
                if (redis != null) {
                    redis.close();
                }
            }
        }
    }

    static void waitUntil(BooleanSupplier condition, Duration limit) throws InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("condition not met within " + limit);
            }
            Thread.sleep(20);
        }
    }
}
