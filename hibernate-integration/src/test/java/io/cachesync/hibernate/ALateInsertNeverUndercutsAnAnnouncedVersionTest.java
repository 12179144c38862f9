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
 * AnInsertPublishedLateNeverSendsAReadBackInTimeTest with the floor set by an invalidation instead of a refused
 * fill. Node B inserts a row; its post-commit step is late. Node A updates the row to v1; its push lands and the
 * invalidation "1" reaches B: B now knows v1 (a floor). Then B's late insert reaches B's local tier. It must not
 * replace that floor (B would serve v0 after it was told of v1, until Redis refuses the insert's push). An
 * invalidation carries no row time; the floor keeps when it arrived, after the INSERT ran, so it may be this very
 * row's later version, and it stays. (A floor whose invalidation arrived before the INSERT ran is an earlier
 * row's, and the insert replaces it: LocalTierTest.)
 */
@ExtendWith(RedisExtension.class)
class ALateInsertNeverUndercutsAnAnnouncedVersionTest {

    @Test
    void anOwnLateInsertNeverUndercutsAVersionAnnouncedToTheNode(TestRedis redis) throws Exception {
        try (TwoNodes nodes = new TwoNodes(redis.uri()).ready()) {
            SnapshotSchema schema = nodes.syncB.runtime().entity(Account.class).schema();
            HeldOnce postCommitB = new HeldOnce();
            nodes.syncB.runtime().beforePush = postCommitB;
            CompletableFuture<Void> insertOnB = CompletableFuture.runAsync(() ->
                    nodes.b.inTransaction(s -> s.persist(new Account(7, "v0", BigDecimal.ZERO))));
            postCommitB.awaitHeld("B's insert committed, its post-commit step held");

            nodes.a.inTransaction(s -> s.find(Account.class, 7L).setOwner("v1"));
            RedisOutageNeverFailsACommitTest.waitUntil(() -> nodes.syncB.cache().localVersion(schema, 7L) == 1,
                    Duration.ofSeconds(10));

            // B's insert reaches B's local tier; its push (which Redis will refuse) is held
            HeldOnce pushB = new HeldOnce();
            PostCommitDelays.beforeRedisWrite(nodes.syncB.cache(), pushB);
            postCommitB.release();
            pushB.awaitHeld("B's insert reached its local tier");
            try {
                assertEquals(1, nodes.syncB.find(Account.class, 7L).orElseThrow().getVersion(),
                        "B was told of v1, then served its own late insert's v0");
            } finally {
                pushB.release();
            }
            insertOnB.get(10, TimeUnit.SECONDS);
            PostCommitDelays.beforeRedisWrite(nodes.syncB.cache(), null);
            nodes.syncB.runtime().beforePush = null;
            assertEquals(1, nodes.syncB.find(Account.class, 7L).orElseThrow().getVersion());
            CacheAgreesWithDatabase.assertAgrees(nodes.a, true);
        }
    }
}
