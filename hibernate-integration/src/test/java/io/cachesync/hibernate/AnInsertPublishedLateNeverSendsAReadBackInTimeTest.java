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
 * The interleaving that ConcurrentReadersNeverSeeTimeGoBackwardsTest found once, replayed step by step. Node B
 * inserts a row; its post-commit step (local tier, then push) is late. Node A updates the row to v1, and its push
 * is held. A read on B finds nothing in Redis, loads v1 from the database, and before it fills, A's v1 lands: the
 * fill is refused, so B keeps only a floor at v1, and serves v1. Then B's late insert reaches its local tier: v0
 * must not replace that floor, or B's reads serve v0 after v1 until Redis refuses the insert's push.
 *
 * <p>A floor may also be what is left of an earlier row with the same id (deleted on another node), whose
 * versions the new row restarts below, and that floor an insert must replace. {@code LocalTier} tells them apart
 * by the row's time that a floor keeps: here the floor came from the database's v1, written after the INSERT ran.
 */
@ExtendWith(RedisExtension.class)
class AnInsertPublishedLateNeverSendsAReadBackInTimeTest {

    @Test
    void aLateInsertNeverUndercutsAVersionTheNodeAlreadyServed(TestRedis redis) throws Exception {
        try (TwoNodes nodes = new TwoNodes(redis.uri()).ready()) {
            HeldOnce postCommitB = new HeldOnce();
            nodes.syncB.runtime().beforePush = postCommitB;
            CompletableFuture<Void> insertOnB = CompletableFuture.runAsync(() ->
                    nodes.b.inTransaction(s -> s.persist(new Account(7, "v0", BigDecimal.ZERO))));
            postCommitB.awaitHeld("B's insert committed, its post-commit step held");

            HeldOnce pushA = new HeldOnce();
            PostCommitDelays.beforeRedisWrite(nodes.syncA.cache(), pushA);
            CompletableFuture<Void> updateOnA = CompletableFuture.runAsync(() ->
                    nodes.a.inTransaction(s -> s.find(Account.class, 7L).setOwner("v1")));
            pushA.awaitHeld("A's v1 committed, its push held");

            PostCommitDelays.beforeFill(nodes.syncB.cache(), () -> {
                pushA.release();
                try {
                    RedisOutageNeverFailsACommitTest.waitUntil(() -> nodes.syncB.snapshot(Account.class, 7L)
                            .map(s -> s.version() == 1).orElse(false), Duration.ofSeconds(10));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            assertEquals(1, nodes.syncB.find(Account.class, 7L).orElseThrow().getVersion(), "the database's row");
            PostCommitDelays.beforeFill(nodes.syncB.cache(), null);
            updateOnA.get(10, TimeUnit.SECONDS);

            // B's insert now reaches B's local tier; read while its push (which Redis will refuse) is on its way
            HeldOnce pushB = new HeldOnce();
            PostCommitDelays.beforeRedisWrite(nodes.syncB.cache(), pushB);
            postCommitB.release();
            pushB.awaitHeld("B's insert reached its local tier");
            try {
                assertEquals(1, nodes.syncB.find(Account.class, 7L).orElseThrow().getVersion(),
                        "B served v1, then its own late insert's v0");
            } finally {
                pushB.release();
            }
            insertOnB.get(10, TimeUnit.SECONDS);
            PostCommitDelays.beforeRedisWrite(nodes.syncB.cache(), null);
            assertEquals(1, nodes.syncB.find(Account.class, 7L).orElseThrow().getVersion());

            nodes.syncB.runtime().beforePush = null;
            PostCommitDelays.beforeRedisWrite(nodes.syncA.cache(), null);
            RedisOutageNeverFailsACommitTest.waitUntil(() -> nodes.syncB.pendingRepairs() == 0,
                    Duration.ofSeconds(10));
            CacheAgreesWithDatabase.assertAgrees(nodes.a, true);
        }
    }
}
