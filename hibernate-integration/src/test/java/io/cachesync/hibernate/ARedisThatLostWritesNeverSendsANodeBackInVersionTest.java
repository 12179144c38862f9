package io.cachesync.hibernate;

import io.cachesync.testsupport.LocalRedisServer;
import io.cachesync.testsupport.RedisExtension;
import io.cachesync.testsupport.TestRedis;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.ByteArrayCodec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

import static io.cachesync.hibernate.RedisOutageNeverFailsACommitTest.waitUntil;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Redis can lose acknowledged writes: a failover promotes a replica that lagged (Sentinel, Cluster), or an operator
 * restores a backup. A node that committed, served or was told of a newer version must not then serve Redis'
 * older copy: its local tier keeps each row's version as a floor across a clear (and raises it while bypassed),
 * and the read path takes a Redis copy below the floor as a miss, serves the database's row and repairs the key.
 * A deletion the node served from the database counts as a version too (the tombstone's).
 */
@ExtendWith(RedisExtension.class)
class ARedisThatLostWritesNeverSendsANodeBackInVersionTest {

    @Test
    void aRowServedFromTheDatabaseWhileRedisWasDownOutranksTheOlderCopyRedisComesBackWith() throws Exception {
        try (LocalRedisServer redis = LocalRedisServer.start();
             TwoNodes nodes = new TwoNodes(redis.uri(), s -> s.put("cachesync.repair.max-backoff", "300ms")).ready()) {
            nodes.a.inTransaction(s -> s.persist(new Account(1, "ann", BigDecimal.ONE)));
            assertEquals(0, nodes.syncB.find(Account.class, 1L).orElseThrow().getVersion());
            byte[] lagging = rawGet(redis.uri(), nodes.syncA.key(Account.class, 1L)); // what a lagging replica holds

            redis.kill();
            waitUntil(() -> !nodes.syncB.localTierServing(), Duration.ofSeconds(10));
            // behind cachesync's back (a bulk update fires no listener), so no push is queued anywhere
            nodes.a.inTransaction(s -> s.createMutationQuery(
                    "update Account set owner = 'newer', version = version + 1 where id = 1").executeUpdate());
            assertEquals(1, nodes.syncB.find(Account.class, 1L).orElseThrow().getVersion(), "read from the database");

            redis.restart(); // empty, as a promoted replica that never got v1
            rawSet(redis.uri(), nodes.syncA.key(Account.class, 1L), lagging);
            waitUntil(() -> nodes.syncB.localTierServing(), Duration.ofSeconds(10));

            Account read = nodes.syncB.find(Account.class, 1L).orElseThrow();
            assertEquals(1, read.getVersion(), "node B went back to the version Redis came back with");
            assertEquals("newer", read.getOwner());
            assertEquals(1, nodes.syncB.snapshot(Account.class, 1L).orElseThrow().version(), "the read repaired Redis");
        }
    }

    @Test
    void aDeletionServedFromTheDatabaseWhileRedisWasDownOutranksTheLiveCopyRedisComesBackWith() throws Exception {
        try (LocalRedisServer redis = LocalRedisServer.start();
             TwoNodes nodes = new TwoNodes(redis.uri(), s -> s.put("cachesync.repair.max-backoff", "300ms")).ready()) {
            nodes.a.inTransaction(s -> s.persist(new Account(4, "ann", BigDecimal.ONE)));
            assertEquals(0, nodes.syncB.find(Account.class, 4L).orElseThrow().getVersion());
            byte[] lagging = rawGet(redis.uri(), nodes.syncA.key(Account.class, 4L));

            redis.kill();
            waitUntil(() -> !nodes.syncB.localTierServing(), Duration.ofSeconds(10));
            nodes.a.inTransaction(s -> s.createMutationQuery("delete from Account where id = 4").executeUpdate());
            assertTrue(nodes.syncB.find(Account.class, 4L).isEmpty(), "read from the database");

            redis.restart();
            rawSet(redis.uri(), nodes.syncA.key(Account.class, 4L), lagging); // the row as Redis last knew it
            waitUntil(() -> nodes.syncB.localTierServing(), Duration.ofSeconds(10));

            assertTrue(nodes.syncB.find(Account.class, 4L).isEmpty(), "node B served the row again after its deletion");
            assertTrue(nodes.syncB.find(Account.class, 4L).isEmpty());
        }
    }

    @Test
    void aRestoredBackupIsNotServedAfterTheLocalTierIsCleared(TestRedis redis) throws Exception {
        try (TwoNodes nodes = new TwoNodes(redis.uri()).ready()) {
            nodes.a.inTransaction(s -> s.persist(new Account(2, "ann", BigDecimal.ONE)));
            byte[] backup = rawGet(redis.uri(), nodes.syncA.key(Account.class, 2L));
            for (int i = 1; i <= 3; i++) {
                String owner = "owner" + i;
                nodes.a.inTransaction(s -> s.find(Account.class, 2L).setOwner(owner));
            }
            waitUntil(() -> nodes.syncB.find(Account.class, 2L).orElseThrow().getVersion() == 3, Duration.ofSeconds(5));

            rawSet(redis.uri(), nodes.syncA.key(Account.class, 2L), backup); // the operator restores a backup
            nodes.syncA.clearLocalTier();
            nodes.syncB.clearLocalTier();

            assertEquals(3, nodes.syncA.find(Account.class, 2L).orElseThrow().getVersion(), "the committing node");
            assertEquals(3, nodes.syncB.find(Account.class, 2L).orElseThrow().getVersion(), "the reading node");
            assertEquals(3, nodes.syncB.snapshot(Account.class, 2L).orElseThrow().version(), "the read repaired Redis");
        }
    }

    /** A floor kept across a clear must not pin a row that was deleted and created again to the database. */
    @Test
    void aRowCreatedAgainWhileTheChannelWasDownIsCachedAgain(TestRedis redis) throws Exception {
        try (TwoNodes nodes = new TwoNodes(redis.uri()).ready()) {
            nodes.a.inTransaction(s -> s.persist(new Account(3, "first", BigDecimal.ONE)));
            for (int i = 1; i <= 3; i++) {
                String owner = "first" + i;
                nodes.a.inTransaction(s -> s.find(Account.class, 3L).setOwner(owner));
            }
            waitUntil(() -> nodes.syncB.find(Account.class, 3L).orElseThrow().getVersion() == 3, Duration.ofSeconds(5));
            long clears = nodes.syncB.cache().localClears();
            redis.commands().clientKill(io.lettuce.core.KillArgs.Builder.typePubsub());
            waitUntil(() -> nodes.syncB.cache().localClears() > clears, Duration.ofSeconds(5));
            nodes.a.inTransaction(s -> s.remove(s.find(Account.class, 3L)));
            nodes.a.inTransaction(s -> s.persist(new Account(3, "second", BigDecimal.TEN)));
            waitUntil(() -> nodes.syncB.localTierServing(), Duration.ofSeconds(10));

            Account reborn = nodes.syncB.find(Account.class, 3L).orElseThrow();
            assertEquals("second", reborn.getOwner());
            assertEquals(0, reborn.getVersion());
            waitUntil(() -> {
                nodes.syncB.find(Account.class, 3L);
                long loads = nodes.syncB.statistics().databaseLoads();
                nodes.syncB.find(Account.class, 3L);
                return nodes.syncB.statistics().databaseLoads() == loads;
            }, Duration.ofSeconds(5));
            assertTrue(nodes.syncB.cache().localSnapshot(nodes.syncB.runtime().entity(Account.class).schema(), 3L)
                    .isPresent(), "node B caches the new row again");
        }
    }

    static byte[] rawGet(String uri, String key) {
        RedisClient client = RedisClient.create(uri);
        try (StatefulRedisConnection<byte[], byte[]> connection = client.connect(ByteArrayCodec.INSTANCE)) {
            return connection.sync().get(key.getBytes(StandardCharsets.UTF_8));
        } finally {
            client.shutdown();
        }
    }

    static void rawSet(String uri, String key, byte[] value) {
        RedisClient client = RedisClient.create(uri);
        try (StatefulRedisConnection<byte[], byte[]> connection = client.connect(ByteArrayCodec.INSTANCE)) {
            connection.sync().set(key.getBytes(StandardCharsets.UTF_8), value);
        } finally {
            client.shutdown();
        }
    }
}
