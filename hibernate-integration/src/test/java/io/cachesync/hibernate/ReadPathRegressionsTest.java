package io.cachesync.hibernate;

import io.cachesync.core.Snapshot;
import io.cachesync.core.SnapshotCache;
import io.cachesync.testsupport.LogCapture;
import io.cachesync.testsupport.RedisExtension;
import io.cachesync.testsupport.TestRedis;
import org.hibernate.Session;
import org.hibernate.SessionFactory;
import org.hibernate.Transaction;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.math.BigDecimal;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The read-path races and failures that other caches got wrong, each as a test named for the guarantee. */
@ExtendWith(RedisExtension.class)
class ReadPathRegressionsTest {

    private SessionFactory sf;
    private CacheSync sync;
    private SyncedEntity accounts;

    @BeforeEach
    void start(TestRedis redis) throws InterruptedException {
        sf = TestNodes.node(TestNodes.newDatabase(), redis.uri(), true);
        sync = CacheSync.of(sf);
        accounts = sync.runtime().entity(Account.class);
        RedisOutageNeverFailsACommitTest.waitUntil(sync::localTierServing, java.time.Duration.ofSeconds(10));
    }

    @AfterEach
    void stop() {
        sf.close();
    }

    /** Hibernate HHH-12457: a rolled-back update must not leave its state in any cache. */
    @Test
    void aRollbackLeavesNoStaleEntryInAnyTier() {
        sf.inTransaction(s -> s.persist(new Account(1, "ann", BigDecimal.ONE)));
        sync.find(Account.class, 1L);
        try (Session session = sf.openSession()) {
            Transaction tx = session.beginTransaction();
            session.find(Account.class, 1L).setOwner("rolled back");
            session.flush();
            tx.rollback();
        }
        assertEquals("ann", sync.find(Account.class, 1L).orElseThrow().getOwner());
        assertEquals("ann", sync.snapshot(Account.class, 1L).orElseThrow().state().get("owner"));
        assertEquals("ann", sync.cache().localSnapshot(accounts.schema(), 1L).orElseThrow().state().get("owner"));
    }

    /**
     * The deferred-put race: a reader loads v0 from the database, a writer commits v1 and pushes it, then the slow
     * reader tries to fill its v0. The fill is refused in Redis and kept out of the local tier.
     */
    @Test
    void aSlowReadersFillNeverStrandsAnOldValue() throws Exception {
        sf.inTransaction(s -> s.persist(new Account(2, "old", BigDecimal.ONE)));
        new TestRedisKeys(sync).delete(Account.class, 2L); // a cold key: the next read goes to the database
        CountDownLatch loaded = new CountDownLatch(1);
        CountDownLatch committed = new CountDownLatch(1);
        SnapshotCache cache = sync.cache();
        CompletableFuture<Optional<Snapshot>> slowReader = CompletableFuture.supplyAsync(() ->
                cache.read(accounts.schema(), 2L, id -> {
                    Optional<Snapshot> row = sync.runtime().load(accounts, id);
                    loaded.countDown();
                    await(committed);
                    return row;
                }));
        assertTrue(loaded.await(5, TimeUnit.SECONDS));
        sf.inTransaction(s -> s.find(Account.class, 2L).setOwner("new"));
        committed.countDown();

        assertEquals("old", slowReader.get(5, TimeUnit.SECONDS).orElseThrow().state().get("owner"),
                "the slow reader itself gets what it read");
        assertEquals(1, sync.snapshot(Account.class, 2L).orElseThrow().version());
        assertEquals("new", sync.find(Account.class, 2L).orElseThrow().getOwner());
        CacheAgreesWithDatabase.assertAgrees(sf, true);
    }

    /** An invalidation that arrives while a local fill is in flight wins: the fill is refused. */
    @Test
    void anInvalidationDuringALocalFillWins(TestRedis redis) throws Exception {
        sf.inTransaction(s -> s.persist(new Account(3, "v0", BigDecimal.ONE)));
        new TestRedisKeys(sync).delete(Account.class, 3L);
        CountDownLatch loaded = new CountDownLatch(1);
        CountDownLatch announced = new CountDownLatch(1);
        SnapshotCache cache = sync.cache();
        Snapshot v0 = sync.runtime().load(accounts, 3L).orElseThrow();
        CompletableFuture<Optional<Snapshot>> reader = CompletableFuture.supplyAsync(() ->
                cache.read(accounts.schema(), 3L, id -> {
                    loaded.countDown();
                    await(announced);
                    return Optional.of(v0);
                }));
        assertTrue(loaded.await(5, TimeUnit.SECONDS));
        // another node commits v1: its push lands in Redis and its invalidation reaches this node mid-fill
        Snapshot v1 = Snapshot.of(accounts.schema(), 3L, 1, v0.lastUpdated(), v0.state());
        try (SnapshotCache otherNode = new SnapshotCache(io.cachesync.core.CacheSyncSettings.builder(redis.uri()).build(),
                new io.micrometer.core.instrument.simple.SimpleMeterRegistry())) {
            otherNode.register(accounts.schema());
            assertTrue(otherNode.store().writeAndWait(io.cachesync.core.SnapshotWrite.newer(v1)).written());
        }
        RedisOutageNeverFailsACommitTest.waitUntil(() -> sync.cache().localVersion(accounts.schema(), 3L) == 1,
                java.time.Duration.ofSeconds(5));
        announced.countDown();
        reader.get(5, TimeUnit.SECONDS);
        assertFalse(sync.cache().localSnapshot(accounts.schema(), 3L).map(s -> s.version() == 0).orElse(false),
                "the stale fill reached the local tier");
        assertEquals(1, sync.cache().read(accounts.schema(), 3L, id -> Optional.empty()).orElseThrow().version());
    }

    @Test
    void corruptBytesAreAMissCountedLoggedOnceAndRepaired(TestRedis redis) {
        sf.inTransaction(s -> s.persist(new Account(4, "ann", BigDecimal.ONE)));
        String key = sync.key(Account.class, 4L);
        try (LogCapture logs = new LogCapture()) {
            for (String hostile : new String[]{"{\"version\":99", "{\"@class\":\"java.lang.Runtime\"}", "\u00ac\u00ed\u0000\u0005"}) {
                redis.commands().set(key, hostile);
                sync.cache().clearLocalTier();
                assertEquals("ann", sync.find(Account.class, 4L).orElseThrow().getOwner());
                assertEquals(0, sync.snapshot(Account.class, 4L).orElseThrow().version(), "repaired in Redis");
            }
            redis.commands().del(key);
            redis.commands().rpush(key, "a", "list");
            sync.cache().clearLocalTier();
            assertEquals("ann", sync.find(Account.class, 4L).orElseThrow().getOwner());
            assertEquals("ann", sync.snapshot(Account.class, 4L).orElseThrow().state().get("owner"));
            assertEquals(1, logs.count("WARN", "undecodable bytes under " + key), logs.text());
        }
        CacheAgreesWithDatabase.assertAgrees(sf, true);
    }

    private static void await(CountDownLatch latch) {
        try {
            if (!latch.await(10, TimeUnit.SECONDS)) {
                throw new IllegalStateException("latch timed out");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
