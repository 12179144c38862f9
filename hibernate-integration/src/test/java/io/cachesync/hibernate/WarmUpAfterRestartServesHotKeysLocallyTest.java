package io.cachesync.hibernate;

import io.cachesync.core.CacheStatistics;
import io.cachesync.core.CacheSyncSettings;
import io.cachesync.core.Snapshot;
import io.cachesync.core.SnapshotSchema;
import io.cachesync.core.WarmingHooks;
import io.cachesync.testsupport.RedisExtension;
import io.cachesync.testsupport.TestRedis;
import org.hibernate.SessionFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

import static io.cachesync.hibernate.RedisOutageNeverFailsACommitTest.waitUntil;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Cache warming: a node that restarts (a new SessionFactory) has the keys its predecessor read most in its local
 * tier before it serves a single read, and a warm-up never puts a version in the local tier that another node has
 * already replaced (it fills through the read path's rules: floors, epochs, versioned writes).
 */
@ExtendWith(RedisExtension.class)
class WarmUpAfterRestartServesHotKeysLocallyTest {

    private static final int ROWS = 60;
    private static final int HOT = 10;

    private static Consumer<Map<String, Object>> warming(int topK) {
        return s -> {
            s.put(CacheSyncSettings.WARM_ENABLED, "true");
            s.put(CacheSyncSettings.WARM_TOP_K, Integer.toString(topK));
            s.put(CacheSyncSettings.WARM_SAMPLE_ONE_IN, "1");
            s.put(CacheSyncSettings.WARM_STARTUP_WAIT, "10s");
        };
    }

    /** Node A reads accounts 1..HOT twenty times each and the rest once, then closes (and so publishes). */
    private static SessionFactory runAndCloseNodeWithHotKeys(String db, TestRedis redis) throws Exception {
        SessionFactory a = TestNodes.node(db, redis.uri(), false, warming(HOT));
        CacheSync sync = CacheSync.of(a);
        waitUntil(sync::localTierServing, Duration.ofSeconds(10));
        for (int round = 0; round < 20; round++) {
            for (long id = 1; id <= HOT; id++) {
                sync.find(Account.class, id);
            }
        }
        for (long id = HOT + 1; id <= ROWS; id++) {
            sync.find(Account.class, id);
        }
        a.close();
        return a;
    }

    private static void insertRows(SessionFactory sf) {
        sf.inTransaction(s -> {
            for (long id = 1; id <= ROWS; id++) {
                s.persist(new Account(id, "owner" + id, BigDecimal.ONE));
            }
        });
    }

    private static long databaseVersion(SessionFactory sf, long id) {
        return sf.fromTransaction(s -> s.find(Account.class, id).getVersion());
    }

    @Test
    void aRestartedNodeHasTheHotKeysInItsLocalTierBeforeAnyRead(TestRedis redis) throws Exception {
        String db = TestNodes.newDatabase();
        try (SessionFactory other = TestNodes.node(db, redis.uri(), true)) {
            insertRows(other);
            runAndCloseNodeWithHotKeys(db, redis);
            List<String> published = redis.commands().zrevrange("cachesync:hot-keys", 0, HOT - 1);
            Set<String> expected = new HashSet<>();
            for (long id = 1; id <= HOT; id++) {
                expected.add("cachesync:Account:" + id);
            }
            assertEquals(expected, new HashSet<>(published), "the closing node published its hot keys");
            // while node A is down, another node changes a hot row and deletes one from Redis: the warm-up must
            // take the new version, and fill the missing key from the database
            other.inTransaction(s -> s.find(Account.class, 3L).setOwner("changed while A was down"));
            redis.commands().del("cachesync:Account:4");

            try (SessionFactory restarted = TestNodes.node(db, redis.uri(), false, warming(HOT))) {
                CacheSync sync = CacheSync.of(restarted);
                SnapshotSchema schema = sync.runtime().entity(Account.class).schema();
                CacheStatistics before = sync.statistics();
                assertEquals(0, before.reads(), "nothing has read yet");
                for (long id = 1; id <= HOT; id++) {
                    Optional<Snapshot> local = sync.cache().localSnapshot(schema, id);
                    assertTrue(local.isPresent(), "hot Account#" + id + " is in the local tier before any read");
                    assertEquals(databaseVersion(other, id), local.get().version(), "Account#" + id);
                }
                assertEquals("changed while A was down", sync.cache().localSnapshot(schema, 3L).orElseThrow()
                        .state().get("owner"));
                assertTrue(sync.snapshot(Account.class, 4L).isPresent(), "the missing hot key was filled in Redis");
                assertTrue(before.warming().runs() >= 1, before.warming().toString());
                assertTrue(before.warming().keysLoaded() >= HOT - 1, before.warming().toString());
                assertTrue(before.warming().keysFilled() >= 1, before.warming().toString());

                for (long id = 1; id <= HOT; id++) {
                    sync.find(Account.class, id);
                }
                CacheStatistics after = sync.statistics();
                assertEquals(HOT, after.localHits() - before.localHits(), "every hot read is a local-tier hit");
                assertEquals(0, after.localMisses() - before.localMisses());

                // an update on another node after the warm-up reaches the warmed entry as usual
                other.inTransaction(s -> s.find(Account.class, 5L).setOwner("after warm-up"));
                waitUntil(() -> sync.find(Account.class, 5L).orElseThrow().getVersion() == 1, Duration.ofSeconds(5));
                assertEquals("after warm-up", sync.find(Account.class, 5L).orElseThrow().getOwner());
            }
            CacheAgreesWithDatabase.assertAgrees(other, false);
        }
    }

    /**
     * A node whose invalidation channel dropped cleared its local tier; once the channel is back it warms again,
     * with its own hot keys, and takes a change it could not hear about from Redis, not from its old tier.
     */
    @Test
    void aNodeWhoseChannelCameBackIsWarmedAgainWithCurrentVersions(TestRedis redis) throws Exception {
        String db = TestNodes.newDatabase();
        try (SessionFactory other = TestNodes.node(db, redis.uri(), true)) {
            insertRows(other);
            try (SessionFactory node = TestNodes.node(db, redis.uri(), false, warming(HOT))) {
                CacheSync sync = CacheSync.of(node);
                SnapshotSchema schema = sync.runtime().entity(Account.class).schema();
                waitUntil(sync::localTierServing, Duration.ofSeconds(10));
                for (int round = 0; round < 20; round++) {
                    for (long id = 1; id <= HOT; id++) {
                        sync.find(Account.class, id);
                    }
                }
                long runs = sync.statistics().warming().runs();
                long clears = sync.cache().localClears();
                redis.commands().clientKill(io.lettuce.core.KillArgs.Builder.typePubsub());
                waitUntil(() -> sync.cache().localClears() > clears, Duration.ofSeconds(5));
                other.inTransaction(s -> s.find(Account.class, 7L).setOwner("while the channel was down"));
                waitUntil(() -> sync.statistics().warming().runs() > runs, Duration.ofSeconds(10));
                for (long id = 1; id <= HOT; id++) {
                    Optional<Snapshot> local = sync.cache().localSnapshot(schema, id);
                    // Account#7's update may land after the warm-up, and then its invalidation drops the entry
                    assertTrue(local.isPresent() || id == 7, "Account#" + id + " warmed again after the channel "
                            + "came back");
                    if (local.isPresent()) {
                        assertEquals(databaseVersion(other, id), local.get().version(), "Account#" + id);
                    }
                }
                assertEquals("while the channel was down", sync.find(Account.class, 7L).orElseThrow().getOwner());
            }
        }
    }

    /**
     * The race a warm-up must lose: its MGET read version n of a hot key, then another node commits n + 1 before
     * the snapshot reaches the local tier. Whether the invalidation lands before the fill (the floor refuses it)
     * or after (it drops the entry), the node never serves version n again.
     */
    @Test
    void anUpdateOnAnotherNodeDuringAWarmUpIsNeverServedStale(TestRedis redis) throws Exception {
        String db = TestNodes.newDatabase();
        try (SessionFactory other = TestNodes.node(db, redis.uri(), true)) {
            insertRows(other);
            runAndCloseNodeWithHotKeys(db, redis);
            try (SessionFactory node = TestNodes.node(db, redis.uri(), false, warming(HOT))) {
                CacheSync sync = CacheSync.of(node);
                SnapshotSchema schema = sync.runtime().entity(Account.class).schema();
                long received = sync.statistics().invalidationsReceived();
                AtomicInteger round = new AtomicInteger();
                WarmingHooks.beforeLocalFill(sync.cache(), () -> {
                    // between the warm-up's MGET and its fills: one update whose invalidation lands first, one
                    // whose invalidation may land after the fill
                    int r = round.incrementAndGet();
                    other.inTransaction(s -> s.find(Account.class, 2L).setOwner("raced " + r));
                    try {
                        waitUntil(() -> sync.statistics().invalidationsReceived() > received, Duration.ofSeconds(5));
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    other.inTransaction(s -> s.find(Account.class, 6L).setOwner("raced " + r));
                });
                sync.clearLocalTier(); // a warm-up after a clear
                waitUntil(() -> round.get() >= 1 && sync.statistics().warming().runs() >= 2, Duration.ofSeconds(10));
                WarmingHooks.beforeLocalFill(sync.cache(), null);

                long version2 = databaseVersion(other, 2L);
                Optional<Snapshot> local2 = sync.cache().localSnapshot(schema, 2L);
                assertTrue(local2.isEmpty() || local2.get().version() == version2,
                        "the warm-up kept a version the invalidation had already replaced: " + local2);
                assertTrue(sync.statistics().warming().keysRefused() >= 1, sync.statistics().warming().toString());
                everyLocalEntryAgreesWithTheDatabase(sync, schema, other);
                assertEquals(version2, sync.find(Account.class, 2L).orElseThrow().getVersion());
                assertEquals(databaseVersion(other, 6L), sync.find(Account.class, 6L).orElseThrow().getVersion());
            }
            CacheAgreesWithDatabase.assertAgrees(other, false);
        }
    }

    /**
     * A writer keeps updating the hot rows on another node while this node restarts and warms, three times over.
     * Once the writer stops and the last invalidations land, every entry the warm-ups left in the local tier has
     * the database's version: no stale entry outlives the race.
     */
    @Test
    void hotRowsUpdatedWhileTheNodeRestartsEndUpCurrentInItsLocalTier(TestRedis redis) throws Exception {
        String db = TestNodes.newDatabase();
        try (SessionFactory other = TestNodes.node(db, redis.uri(), true)) {
            insertRows(other);
            runAndCloseNodeWithHotKeys(db, redis);
            for (int restart = 0; restart < 3; restart++) {
                AtomicBoolean stop = new AtomicBoolean();
                AtomicInteger commits = new AtomicInteger();
                Thread writer = new Thread(() -> {
                    while (!stop.get()) {
                        long id = 1 + ThreadLocalRandom.current().nextLong(HOT);
                        other.inTransaction(s -> s.find(Account.class, id).setOwner("w" + commits.incrementAndGet()));
                    }
                }, "warm-race-writer");
                writer.start();
                try (SessionFactory node = TestNodes.node(db, redis.uri(), false, warming(HOT))) {
                    CacheSync sync = CacheSync.of(node);
                    SnapshotSchema schema = sync.runtime().entity(Account.class).schema();
                    waitUntil(() -> sync.statistics().warming().runs() + sync.statistics().warming().stopped() >= 1,
                            Duration.ofSeconds(10));
                    Thread.sleep(100);
                    stop.set(true);
                    writer.join();
                    assertTrue(commits.get() > 0);
                    everyLocalEntryAgreesWithTheDatabase(sync, schema, other);
                    for (long id = 1; id <= HOT; id++) {
                        assertEquals(databaseVersion(other, id), sync.find(Account.class, id).orElseThrow().getVersion());
                    }
                } finally {
                    stop.set(true);
                    writer.join();
                }
            }
            CacheAgreesWithDatabase.assertAgrees(other, false);
        }
    }

    /**
     * Waits (up to 5 s, for the last invalidations to land) until every hot row the local tier holds has the
     * database's version; a stale entry would never correct itself, so the wait fails on it.
     */
    private static void everyLocalEntryAgreesWithTheDatabase(CacheSync sync, SnapshotSchema schema,
                                                             SessionFactory database) throws InterruptedException {
        List<String> stale = new ArrayList<>();
        try {
            waitUntil(() -> {
                stale.clear();
                for (long id = 1; id <= HOT; id++) {
                    Optional<Snapshot> local = sync.cache().localSnapshot(schema, id);
                    long version = databaseVersion(database, id);
                    if (local.isPresent() && local.get().version() != version) {
                        stale.add("Account#" + id + " local v" + local.get().version() + ", database v" + version);
                    }
                }
                return stale.isEmpty();
            }, Duration.ofSeconds(5));
        } catch (AssertionError e) {
            throw new AssertionError("stale entries in the local tier: " + stale, e);
        }
    }
}
