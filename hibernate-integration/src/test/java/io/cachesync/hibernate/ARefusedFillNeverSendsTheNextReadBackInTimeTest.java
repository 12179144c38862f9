package io.cachesync.hibernate;

import io.cachesync.core.PostCommitDelays;
import io.cachesync.testsupport.RedisExtension;
import io.cachesync.testsupport.TestRedis;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The interleaving the async race found, replayed step by step. Node A commits v1, whose push is held; node B
 * commits v2, whose push is held too; A's local tier is cleared. A read on A skips Redis' v0 (A's own v1 is
 * unanswered) and loads v2 from the database; before it fills, A's v1 push lands, so the fill (conditional on v0
 * being unchanged) is refused, by a version older than the one it loaded. The read serves v2, and so must every
 * later read on A: the refusal must not drop v2 and send the next read to Redis' v1.
 */
@ExtendWith(RedisExtension.class)
class ARefusedFillNeverSendsTheNextReadBackInTimeTest {

    @Test
    void aFillRefusedByAnOlderPushKeepsTheDatabasesNewerRow(TestRedis redis) throws Exception {
        try (TwoNodes nodes = new TwoNodes(redis.uri()).ready()) {
            nodes.a.inTransaction(s -> s.persist(new Account(7, "v0", BigDecimal.ZERO)));
            assertEquals(0, nodes.syncA.snapshot(Account.class, 7L).orElseThrow().version());

            HeldOnce pushA = new HeldOnce();
            PostCommitDelays.beforeRedisWrite(nodes.syncA.cache(), pushA);
            CompletableFuture<Void> commitA = CompletableFuture.runAsync(() ->
                    nodes.a.inTransaction(s -> s.find(Account.class, 7L).setOwner("v1")));
            pushA.awaitHeld("A's v1 committed, its push held");

            HeldOnce pushB = new HeldOnce();
            nodes.syncB.runtime().beforePush = pushB;
            CompletableFuture<Void> commitB = CompletableFuture.runAsync(() ->
                    nodes.b.inTransaction(s -> s.find(Account.class, 7L).setOwner("v2")));
            pushB.awaitHeld("B's v2 committed, its push held");

            nodes.syncA.clearLocalTier();
            PostCommitDelays.beforeFill(nodes.syncA.cache(), () -> {
                pushA.release();
                try {
                    RedisOutageNeverFailsACommitTest.waitUntil(() -> nodes.syncA.snapshot(Account.class, 7L)
                            .orElseThrow().version() == 1, Duration.ofSeconds(10));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            assertEquals(2, nodes.syncA.find(Account.class, 7L).orElseThrow().getVersion(), "the database's row");
            PostCommitDelays.beforeFill(nodes.syncA.cache(), null);
            commitA.get(10, TimeUnit.SECONDS);
            assertEquals(1, nodes.syncA.snapshot(Account.class, 7L).orElseThrow().version(), "Redis still behind");
            assertEquals(2, nodes.syncA.find(Account.class, 7L).orElseThrow().getVersion(),
                    "A served v2, then went back to Redis' v1");

            pushB.release();
            commitB.get(10, TimeUnit.SECONDS);
            nodes.syncB.runtime().beforePush = null;
            PostCommitDelays.beforeRedisWrite(nodes.syncA.cache(), null);
            CacheAgreesWithDatabase.assertAgrees(nodes.a, true);
        }
    }
}
