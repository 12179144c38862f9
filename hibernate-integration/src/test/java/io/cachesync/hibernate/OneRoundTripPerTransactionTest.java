package io.cachesync.hibernate;

import io.cachesync.testsupport.DelayingProxy;
import io.cachesync.testsupport.LocalRedisServer;
import org.hibernate.SessionFactory;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A transaction's snapshots travel together: with every Redis reply held back 150 ms by a proxy, a commit of
 * 50 entities costs a few delays (one round trip, its replies perhaps split into a few chunks), not 50.
 */
class OneRoundTripPerTransactionTest {

    private static final long DELAY_MILLIS = 150;

    @Test
    void fiftyEntitiesWaitForRedisOnceNotFiftyTimes() throws Exception {
        try (LocalRedisServer redis = LocalRedisServer.start();
             DelayingProxy proxy = new DelayingProxy(redis.port(), 0)) {
            SessionFactory sf = TestNodes.node(TestNodes.newDatabase(), proxy.uri(), true,
                    s -> s.put("cachesync.redis.timeout", "5s"));
            try {
                CacheSync sync = CacheSync.of(sf);
                sf.inTransaction(s -> s.persist(new Account(0, "warm-up", BigDecimal.ONE)));
                proxy.delayMillis(DELAY_MILLIS);

                long chunksBefore = proxy.responseChunks();
                long start = System.nanoTime();
                sf.inTransaction(s -> {
                    for (long id = 1; id <= 50; id++) {
                        s.persist(new Account(id, "owner" + id, BigDecimal.valueOf(id)));
                    }
                });
                long elapsedMillis = (System.nanoTime() - start) / 1_000_000;
                long chunks = proxy.responseChunks() - chunksBefore;
                proxy.delayMillis(0);

                System.out.printf("[round trips] commit of 50 entities with %d ms per Redis reply: %d ms, %d reply "
                        + "chunks (50 sequential round trips would take >= %d ms)%n", DELAY_MILLIS, elapsedMillis,
                        chunks, 50 * DELAY_MILLIS);
                assertTrue(chunks <= 10, "replies came back in " + chunks + " chunks: the writes were not pipelined");
                assertTrue(elapsedMillis < 12 * DELAY_MILLIS, "commit waited " + elapsedMillis + " ms");
                for (long id = 1; id <= 50; id++) {
                    assertEquals(0, sync.snapshot(Account.class, id).orElseThrow().version());
                }
                assertEquals(0, sync.pendingRepairs());
            } finally {
                sf.close();
            }
        }
    }
}
