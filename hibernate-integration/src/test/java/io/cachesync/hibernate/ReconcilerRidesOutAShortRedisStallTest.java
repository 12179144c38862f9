package io.cachesync.hibernate;

import io.cachesync.testsupport.LocalRedisServer;
import io.cachesync.testsupport.LogCapture;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import org.hibernate.SessionFactory;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A batch read that times out (a Redis busy for a moment: a slow command, a fork, a loaded host) is tried again
 * after a pause instead of ending the whole run; the run then reads every row once and reports them all.
 */
class ReconcilerRidesOutAShortRedisStallTest {

    @Test
    void aBatchReadThatTimesOutIsTriedAgainAndTheRunCompletes() throws Exception {
        try (LocalRedisServer redis = LocalRedisServer.start(); LogCapture logs = new LogCapture();
             SessionFactory sf = TestNodes.node(TestNodes.newDatabase(), redis.uri(), true,
                     s -> s.put("cachesync.redis.timeout", "200ms"))) {
            sf.inTransaction(s -> {
                for (long id = 1; id <= 200; id++) {
                    s.persist(new Account(id, "owner" + id, BigDecimal.ONE));
                }
            });
            RedisClient client = RedisClient.create(redis.uri());
            try (StatefulRedisConnection<String, String> connection = client.connect()) {
                // every client, reads included, waits 600 ms: the first MGET times out, and so does its first retry
                connection.sync().clientPause(600);
            } finally {
                client.shutdown();
            }

            ReconciliationReport report = Reconciler.of(sf).model(Account.class).batchSize(50).checkOnly(true).run();

            assertTrue(report.complete(), report.toString());
            assertEquals(200, report.consistent(), report.toString());
            assertTrue(logs.text().contains("cachesync reconcile Account: reading a batch of 50 keys failed"),
                    logs.text());
            assertTrue(logs.text().contains("(retry 1 of 3)"), logs.text());
        }
    }
}
