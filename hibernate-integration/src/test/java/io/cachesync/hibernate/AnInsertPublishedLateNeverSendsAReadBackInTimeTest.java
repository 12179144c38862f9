package io.cachesync.hibernate;

import io.cachesync.core.PostCommitDelays;
import io.cachesync.core.SnapshotSchema;
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
 * The interleaving that ConcurrentReadersNeverSeeTimeGoBackwardsTest found once on a cluster, replayed step by
 * step. Node B inserts a row; its post-commit step (local tier, then push) is late. Node A updates the row to v1,
 * and B comes to know v1 as a floor, either way a floor is made:
 * <ul>
 * <li>a read on B loads v1 from the database and its fill is refused because A's v1 landed first: B serves v1 and
 * keeps a floor whose row time is v1's;</li>
 * <li>A's invalidation "1" reaches B: an invalidation carries no row time, so the floor keeps when it arrived.</li>
 * </ul>
 * Then B's late insert reaches its local tier: v0 must not replace that floor, or B serves v0 after v1 until Redis
 * refuses the insert's push. A floor may also be what is left of an earlier row with the same id (deleted on
 * another node), whose versions the new row restarts below, and that floor an insert must replace: {@code LocalTier}
 * tells them apart by those times, both after the INSERT ran here (LocalTierTest covers the earlier-row cases).
 */
@ExtendWith(RedisExtension.class)
class AnInsertPublishedLateNeverSendsAReadBackInTimeTest {

    @Test
    void aLateInsertNeverUndercutsAVersionTheNodeAlreadyServed(TestRedis redis) throws Exception {
        try (TwoNodes nodes = new TwoNodes(redis.uri()).ready()) {
            LateInsert late = LateInsert.start(nodes);

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
            PostCommitDelays.beforeRedisWrite(nodes.syncA.cache(), null);

            late.reachesTheLocalTierAndNeverUndercutsV1("B served v1, then its own late insert's v0");
        }
    }

    @Test
    void aLateInsertNeverUndercutsAVersionAnnouncedToTheNode(TestRedis redis) throws Exception {
        try (TwoNodes nodes = new TwoNodes(redis.uri()).ready()) {
            SnapshotSchema schema = nodes.syncB.runtime().entity(Account.class).schema();
            LateInsert late = LateInsert.start(nodes);

            nodes.a.inTransaction(s -> s.find(Account.class, 7L).setOwner("v1"));
            RedisOutageNeverFailsACommitTest.waitUntil(() -> nodes.syncB.cache().localVersion(schema, 7L) == 1,
                    Duration.ofSeconds(10));

            late.reachesTheLocalTierAndNeverUndercutsV1("B was told of v1, then served its own late insert's v0");
        }
    }

    /** Node B's insert of Account#7, committed, its post-commit step held until the test lets it go on. */
    private record LateInsert(TwoNodes nodes, HeldOnce postCommit, CompletableFuture<Void> insert) {

        static LateInsert start(TwoNodes nodes) throws InterruptedException {
            HeldOnce postCommit = new HeldOnce();
            nodes.syncB.runtime().beforePush = postCommit;
            CompletableFuture<Void> insert = CompletableFuture.runAsync(() ->
                    nodes.b.inTransaction(s -> s.persist(new Account(7, "v0", BigDecimal.ZERO))));
            postCommit.awaitHeld("B's insert committed, its post-commit step held");
            return new LateInsert(nodes, postCommit, insert);
        }

        /** Lets the insert reach B's local tier, reads while its push (which Redis will refuse) is held, then ends. */
        void reachesTheLocalTierAndNeverUndercutsV1(String failure) throws Exception {
            HeldOnce push = new HeldOnce();
            PostCommitDelays.beforeRedisWrite(nodes.syncB.cache(), push);
            postCommit.release();
            push.awaitHeld("B's insert reached its local tier");
            try {
                assertEquals(1, nodes.syncB.find(Account.class, 7L).orElseThrow().getVersion(), failure);
            } finally {
                push.release();
            }
            insert.get(10, TimeUnit.SECONDS);
            PostCommitDelays.beforeRedisWrite(nodes.syncB.cache(), null);
            nodes.syncB.runtime().beforePush = null;
            assertEquals(1, nodes.syncB.find(Account.class, 7L).orElseThrow().getVersion());
            RedisOutageNeverFailsACommitTest.waitUntil(() -> nodes.syncB.pendingRepairs() == 0,
                    Duration.ofSeconds(10));
            CacheAgreesWithDatabase.assertAgrees(nodes.a, true);
        }
    }
}
