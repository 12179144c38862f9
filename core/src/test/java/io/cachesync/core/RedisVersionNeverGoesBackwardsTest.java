package io.cachesync.core;

import io.cachesync.testsupport.RedisExtension;
import io.cachesync.testsupport.TestRedis;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Invariants 2 and 3: Redis refuses, atomically, any snapshot at or below the version it holds. */
@ExtendWith(RedisExtension.class)
class RedisVersionNeverGoesBackwardsTest {

    private SnapshotCache cache;
    private RedisSnapshotStore store;
    private final SnapshotCodec codec = new SnapshotCodec();

    @BeforeEach
    void start(TestRedis redis) {
        cache = new SnapshotCache(CacheSyncSettings.builder(redis.uri()).build(), new SimpleMeterRegistry());
        cache.register(TestSchemas.ACCOUNT);
        store = cache.store();
    }

    @AfterEach
    void stop() {
        cache.close();
    }

    private long storedVersion(long id) {
        return cache.redisSnapshot(TestSchemas.ACCOUNT, id).orElseThrow().version();
    }

    @Test
    void anOlderVersionAfterANewerOneIsRefused() {
        assertTrue(store.writeAndWait(SnapshotWrite.newer(TestSchemas.account(1, 3, "v3"))).written());
        WriteOutcome older = store.writeAndWait(SnapshotWrite.newer(TestSchemas.account(1, 2, "v2")));
        assertTrue(older.refused());
        assertEquals(3, older.storedVersion());
        assertTrue(store.writeAndWait(SnapshotWrite.newer(TestSchemas.account(1, 3, "other v3"))).refused());
        assertEquals(3, storedVersion(1));
        assertEquals("v3", cache.redisSnapshot(TestSchemas.ACCOUNT, 1L).orElseThrow().state().get("owner"));
    }

    @Test
    void aTombstoneRefusesEverySnapshotReadBeforeTheDelete(TestRedis redis) {
        store.writeAndWait(SnapshotWrite.newer(TestSchemas.account(2, 5, "live")));
        assertTrue(store.writeAndWait(SnapshotWrite.newer(Snapshot.tombstone(TestSchemas.ACCOUNT, 2L, 5,
                java.time.Instant.now()))).written());
        assertTrue(store.writeAndWait(SnapshotWrite.newer(TestSchemas.account(2, 5, "slow reader"))).refused());
        assertTrue(store.writeAndWait(SnapshotWrite.newer(TestSchemas.account(2, 6, "same version"))).refused());
        assertTrue(cache.redisSnapshot(TestSchemas.ACCOUNT, 2L).orElseThrow().tombstone());
        long ttl = redis.commands().pttl(store.key(TestSchemas.ACCOUNT, 2L));
        assertTrue(ttl > 0, "tombstone has a TTL: " + ttl);
    }

    @Test
    void onlyTheInsertOfALaterRowMayReplaceATombstone() {
        java.time.Instant deleted = java.time.Instant.parse("2026-11-26T10:00:00.000001Z");
        store.writeAndWait(SnapshotWrite.newer(Snapshot.tombstone(TestSchemas.ACCOUNT, 3L, 4, deleted)));
        assertTrue(store.writeAndWait(SnapshotWrite.newer(TestSchemas.account(3, 0, "fill"))).refused());
        assertTrue(store.writeAndWait(SnapshotWrite.insert(TestSchemas.account(3, 0, "pushed late"),
                deleted.minusNanos(1000))).refused(), "the insert of the row that this tombstone deleted");
        assertTrue(store.writeAndWait(SnapshotWrite.insert(TestSchemas.account(3, 0, "reinserted"),
                deleted.plusNanos(1000))).written(), "the insert of a new row with the same id");
        assertFalse(cache.redisSnapshot(TestSchemas.ACCOUNT, 3L).orElseThrow().tombstone());
        assertTrue(store.writeAndWait(SnapshotWrite.insert(TestSchemas.account(3, 0, "again"),
                deleted.plusSeconds(1))).refused(), "an insert replaces a tombstone, never a live snapshot at its version");
    }

    @Test
    void bytesThatAreNotASnapshotAreReplaced(TestRedis redis) {
        String key = store.key(TestSchemas.ACCOUNT, 4L);
        redis.commands().set(key, "garbage");
        assertTrue(store.writeAndWait(SnapshotWrite.newer(TestSchemas.account(4, 0, "a"))).written());
        redis.commands().del(key);
        redis.commands().rpush(key, "a", "list");
        assertTrue(store.writeAndWait(SnapshotWrite.newer(TestSchemas.account(4, 0, "b"))).written());
        assertEquals("b", cache.redisSnapshot(TestSchemas.ACCOUNT, 4L).orElseThrow().state().get("owner"));
    }

    @Test
    void aSnapshotOfAnotherSchemaIsReplacedAtTheSameVersionButNeverByAnOlderOne(TestRedis redis) {
        String key = store.key(TestSchemas.ACCOUNT, 5L);
        String current = new String(codec.encode(TestSchemas.account(5, 7, "old deploy")), StandardCharsets.UTF_8);
        redis.commands().set(key, current.replace(TestSchemas.ACCOUNT.fingerprint(), "0ldschema000"));
        assertTrue(store.writeAndWait(SnapshotWrite.newer(TestSchemas.account(5, 6, "older"))).refused());
        assertTrue(store.writeAndWait(SnapshotWrite.newer(TestSchemas.account(5, 7, "new deploy"))).written());
        assertEquals("new deploy", cache.redisSnapshot(TestSchemas.ACCOUNT, 5L).orElseThrow().state().get("owner"));
    }

    @Test
    void anUnchangedSinceReadWriteLosesToAnyConcurrentChange(TestRedis redis) {
        String key = store.key(TestSchemas.ACCOUNT, 6L);
        redis.commands().set(key, "corrupt");
        byte[] seen = "corrupt".getBytes(StandardCharsets.UTF_8);
        store.writeAndWait(SnapshotWrite.newer(TestSchemas.account(6, 9, "concurrent push")));
        assertTrue(store.writeAndWait(SnapshotWrite.unchangedSince(TestSchemas.account(6, 2, "repair"), seen)).refused());
        assertEquals(9, storedVersion(6));

        byte[] now = store.read(key);
        assertTrue(store.writeAndWait(SnapshotWrite.unchangedSince(TestSchemas.account(6, 9, "same-version repair"), now))
                .written());
        assertTrue(store.writeAndWait(SnapshotWrite.unchangedSince(TestSchemas.account(7, 0, "absent"), null)).written());
        assertTrue(store.writeAndWait(SnapshotWrite.unchangedSince(TestSchemas.account(7, 1, "absent?"), null)).refused());
    }

    @Test
    void everyAcceptedWriteIsAnnouncedAndNoRefusedOneIs(TestRedis redis) throws Exception {
        BlockingQueue<String> messages = new LinkedBlockingQueue<>();
        try (StatefulRedisPubSubConnection<String, String> sub = redis.connectPubSub()) {
            sub.addListener(new RedisPubSubAdapter<>() {
                @Override
                public void message(String channel, String message) {
                    messages.add(message);
                }
            });
            sub.sync().subscribe(store.keys().invalidationChannel());
            store.writeAndWait(SnapshotWrite.newer(TestSchemas.account(8, 1, "a")));
            store.writeAndWait(SnapshotWrite.newer(TestSchemas.account(8, 0, "refused")));
            store.writeAndWait(SnapshotWrite.insert(TestSchemas.account(9, 0, "b"), java.time.Instant.now()));
            assertEquals("1 Account 8", messages.poll(5, TimeUnit.SECONDS));
            assertEquals("i0 Account 9", messages.poll(5, TimeUnit.SECONDS));
            assertNull(messages.poll(200, TimeUnit.MILLISECONDS));
        }
    }

    @Test
    void racingWritersLeaveTheHighestVersionAndNoReaderSeesItGoBack() throws Exception {
        int writers = 8;
        int writesEach = 500;
        long keys = 20;
        AtomicLong[] highest = new AtomicLong[(int) keys];
        for (int i = 0; i < keys; i++) {
            highest[i] = new AtomicLong(-1);
        }
        ExecutorService pool = Executors.newFixedThreadPool(writers + 1);
        CountDownLatch go = new CountDownLatch(1);
        AtomicLong backwards = new AtomicLong();
        List<Future<?>> done = new ArrayList<>();
        for (int w = 0; w < writers; w++) {
            done.add(pool.submit(() -> {
                go.await();
                for (int n = 0; n < writesEach; n++) {
                    int id = ThreadLocalRandom.current().nextInt((int) keys);
                    long version = ThreadLocalRandom.current().nextLong(1000);
                    WriteOutcome outcome = store.writeAndWait(SnapshotWrite.newer(TestSchemas.account(id, version, "w")));
                    if (outcome.failed()) {
                        throw new AssertionError(outcome.failure());
                    }
                    highest[id].accumulateAndGet(version, Math::max);
                }
                return null;
            }));
        }
        Future<?> reader = pool.submit(() -> {
            long[] seen = new long[(int) keys];
            java.util.Arrays.fill(seen, -1);
            go.await();
            while (!done.stream().allMatch(Future::isDone)) {
                int id = ThreadLocalRandom.current().nextInt((int) keys);
                long v = cache.redisSnapshot(TestSchemas.ACCOUNT, (long) id).map(Snapshot::version).orElse(-1L);
                if (v < seen[id]) {
                    backwards.incrementAndGet();
                }
                seen[id] = Math.max(seen[id], v);
            }
            return null;
        });
        go.countDown();
        for (Future<?> f : done) {
            f.get(2, TimeUnit.MINUTES);
        }
        reader.get(1, TimeUnit.MINUTES);
        pool.shutdown();
        for (int id = 0; id < keys; id++) {
            if (highest[id].get() >= 0) {
                assertEquals(highest[id].get(), storedVersion(id), "key " + id);
            }
        }
        assertEquals(0, backwards.get(), "a reader saw a version go backwards");
        System.out.printf("[race] %d versioned writes from %d threads on %d keys: final versions all the highest "
                + "written, 0 backwards reads%n", writers * writesEach, writers, keys);
    }
}
