package io.cachesync.hibernate;

import io.cachesync.core.CacheSyncSettings;
import io.cachesync.core.PostCommitDelays;
import io.cachesync.testsupport.RedisExtension;
import io.cachesync.testsupport.TestRedis;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static io.cachesync.hibernate.RedisOutageNeverFailsACommitTest.waitUntil;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Read-your-writes for an insert whose push has not landed yet (async mode), when Redis still holds the tombstone of
 * the row before it: the tombstone's version is not below the insert's (versions restart with a new row), so only
 * the pending insert tells that Redis is behind. Node A deletes the row; node B has not heard of it yet and creates
 * the row again; B's push is held and B's local tier is cleared (as by a lost channel). B's next read must find its
 * new row, not the tombstone.
 */
@ExtendWith(RedisExtension.class)
class AnInsertOnItsWayOutranksTheTombstoneBeforeItTest {

    @Test
    void aReadOnTheInsertingNodeSkipsTheOlderRowsTombstone(TestRedis redis) throws Exception {
        try (TwoNodes nodes = new TwoNodes(redis.uri(), a -> { },
                b -> b.put(CacheSyncSettings.PUSH_MODE, "async")).ready()) {
            nodes.a.inTransaction(s -> s.persist(new Account(5, "first row", BigDecimal.ONE)));
            nodes.a.inTransaction(s -> s.find(Account.class, 5L).setOwner("first row, v1"));
            List<Runnable> held = new CopyOnWriteArrayList<>();
            PostCommitDelays.holdInvalidations(nodes.syncB.cache(), held::add);
            nodes.a.inTransaction(s -> s.remove(s.find(Account.class, 5L)));
            assertTrue(nodes.syncA.snapshot(Account.class, 5L).orElseThrow().tombstone());

            HeldOnce pushB = new HeldOnce();
            PostCommitDelays.beforeRedisWrite(nodes.syncB.cache(), pushB);
            nodes.b.inTransaction(s -> s.persist(new Account(5, "second row", BigDecimal.TEN)));
            pushB.awaitHeld("B's insert committed, its push held");
            nodes.syncB.clearLocalTier();
            try {
                assertEquals("second row", nodes.syncB.find(Account.class, 5L).map(Account::getOwner).orElse(null),
                        "node B served the tombstone of the row before its own insert");
            } finally {
                pushB.release();
                PostCommitDelays.beforeRedisWrite(nodes.syncB.cache(), null);
                PostCommitDelays.holdInvalidations(nodes.syncB.cache(), null);
                held.forEach(Runnable::run);
            }
            waitUntil(() -> nodes.syncB.asyncPushBacklog() == 0, Duration.ofSeconds(10));
            assertEquals("second row", nodes.syncB.find(Account.class, 5L).orElseThrow().getOwner());
            CacheAgreesWithDatabase.assertAgrees(nodes.a, true);
        }
    }
}
