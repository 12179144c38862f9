package io.cachesync.hibernate;

import io.cachesync.testsupport.RedisExtension;
import io.cachesync.testsupport.TestRedis;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import org.hibernate.SessionFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Invariant 7 under real concurrency: writer threads commit updates, another thread deletes and re-inserts rows,
 * a saboteur keeps making drift with SQL that bypasses Hibernate, and the Reconciler repairs (forced, in tiny
 * batches) the whole time. Every write Redis
 * accepts is announced, in order, on the invalidation channel; a test subscriber checks that no key's version
 * ever goes backwards, so no live commit's snapshot is ever overwritten by an older one. Afterwards nothing
 * has drifted: in particular no re-inserted row was taken for an orphan and buried under a tombstone.
 */
@ExtendWith(RedisExtension.class)
class ReconcilerNeverOverwritesALiveCommitTest {

    private static final int ROWS = 300;
    private static final int WRITERS = 3;
    private static final int COMMITS_PER_WRITER = 600;
    /** Rows deleted and inserted again and again while the Reconciler scans for orphans. */
    private static final long CHURN_FROM = 10_001;
    private static final int CHURN_ROWS = 40;
    /** At least; the saboteur goes on until the writers are done. */
    private static final int SABOTAGES = 400;

    @Test
    void writersCommittingWhileTheReconcilerRepairsAreNeverOverwrittenByAnOlderSnapshot(TestRedis redis)
            throws Exception {
        // a generous timeout: on a loaded machine a slow reply must not turn into queued repairs
        SessionFactory sf = TestNodes.node(TestNodes.newDatabase(), redis.uri(), true,
                s -> s.put("cachesync.redis.timeout", "3s"));
        StatefulRedisPubSubConnection<String, String> pubSub = redis.connectPubSub();
        ExecutorService pool = Executors.newFixedThreadPool(WRITERS + 3);
        try {
            Map<String, Long> newest = new ConcurrentHashMap<>();
            List<String> backwards = new CopyOnWriteArrayList<>();
            AtomicLong announced = new AtomicLong();
            pubSub.addListener(new RedisPubSubAdapter<>() {
                @Override
                public void message(String channel, String message) {
                    // "<version> <entity> <id>", the version prefixed "i" for an insert; delivered in write order
                    String[] parts = message.split(" ", 3);
                    long version = Long.parseLong(parts[0].startsWith("i") ? parts[0].substring(1) : parts[0]);
                    String key = parts[1] + ":" + parts[2];
                    Long before = newest.get(key);
                    if (parts[0].startsWith("i")) {
                        newest.put(key, version); // an insert may replace a tombstone: a new row, a new history
                    } else if (before != null && version < before) {
                        backwards.add(key + " went to v" + version + " after v" + before);
                    } else {
                        newest.put(key, version);
                    }
                    announced.incrementAndGet();
                }
            });
            pubSub.sync().subscribe("cachesync:invalidations");

            sf.inTransaction(s -> {
                for (long id = 1; id <= ROWS; id++) {
                    s.persist(new Account(id, "owner" + id, BigDecimal.ZERO));
                }
            });
            DriftInjection drift = new DriftInjection(sf, redis);
            for (long id = 1; id <= ROWS; id += 3) {
                drift.delete(Account.class, id);
                drift.plant(Account.class, id + 1, "corrupt");
            }

            CountDownLatch go = new CountDownLatch(1);
            AtomicBoolean writing = new AtomicBoolean(true);
            AtomicLong commits = new AtomicLong();
            AtomicLong conflicts = new AtomicLong();
            List<Future<?>> writers = new ArrayList<>();
            for (int w = 0; w < WRITERS; w++) {
                writers.add(pool.submit(() -> {
                    go.await();
                    ThreadLocalRandom random = ThreadLocalRandom.current();
                    for (int i = 0; i < COMMITS_PER_WRITER; i++) {
                        long id = 1 + random.nextInt(ROWS);
                        try {
                            sf.inTransaction(s -> s.find(Account.class, id).setBalance(BigDecimal.valueOf(random.nextInt(1000))));
                            commits.incrementAndGet();
                        } catch (RuntimeException e) {
                            conflicts.incrementAndGet(); // an optimistic-lock or lock-timeout loss: nothing committed
                        }
                    }
                    return null;
                }));
            }
            AtomicLong sabotages = new AtomicLong();
            Future<?> saboteur = pool.submit(() -> {
                go.await();
                ThreadLocalRandom random = ThreadLocalRandom.current();
                for (int i = 0; i < SABOTAGES || writing.get(); i++) {
                    sabotages.incrementAndGet();
                    long id = 1 + random.nextInt(ROWS);
                    try {
                        drift.sql(i % 2 == 0
                                ? "update account set owner = 'sql" + i + "', version = version + 1 where id = " + id
                                : "update account set owner = 'sneaky" + i + "' where id = " + id);
                    } catch (RuntimeException e) {
                        conflicts.incrementAndGet();
                    }
                }
                return null;
            });
            AtomicLong churns = new AtomicLong();
            Future<?> churner = pool.submit(() -> {
                go.await();
                ThreadLocalRandom random = ThreadLocalRandom.current();
                while (writing.get()) {
                    long id = CHURN_FROM + random.nextInt(CHURN_ROWS);
                    sf.inTransaction(s -> {
                        Account row = s.find(Account.class, id);
                        if (row == null) {
                            s.persist(new Account(id, "churn", BigDecimal.ONE));
                        } else {
                            s.remove(row);
                        }
                    });
                    churns.incrementAndGet();
                }
                return null;
            });
            AtomicLong runs = new AtomicLong();
            AtomicLong repaired = new AtomicLong();
            AtomicLong refused = new AtomicLong();
            Future<?> reconciler = pool.submit(() -> {
                go.await();
                while (writing.get()) {
                    ReconciliationReport report = Reconciler.of(sf).batchSize(5).force(true).run();
                    runs.incrementAndGet();
                    repaired.addAndGet(report.repaired());
                    refused.addAndGet(report.refused());
                }
                return null;
            });

            long start = System.nanoTime();
            go.countDown();
            for (Future<?> writer : writers) {
                writer.get(120, TimeUnit.SECONDS);
            }
            writing.set(false);
            saboteur.get(120, TimeUnit.SECONDS);
            churner.get(120, TimeUnit.SECONDS);
            reconciler.get(120, TimeUnit.SECONDS);
            long millis = (System.nanoTime() - start) / 1_000_000;

            ReconciliationReport last = Reconciler.of(sf).run(); // the saboteur's last changes
            ConsistencyStats after = Reconciler.of(sf).check(Account.class);
            System.out.printf("[race] %d commits (%d conflicts), %d deletes and re-inserts, %d sabotages, %d reconciler "
                            + "runs in %d ms: %d repairs accepted, %d overtaken by live commits; %d writes announced; "
                            + "final run repaired %d%n",
                    commits.get(), conflicts.get(), churns.get(), sabotages.get(), runs.get(), millis, repaired.get(),
                    refused.get(), announced.get(), last.repaired());

            assertEquals(List.of(), backwards, "a version went backwards in Redis");
            assertTrue(runs.get() >= 2, "the Reconciler ran " + runs.get() + " times while the writers committed");
            assertTrue(repaired.get() > 0, "the Reconciler repaired nothing while the writers committed");
            assertEquals(0, after.drift(), after.toString());
            long liveChurnRows = sf.fromTransaction(s -> s.createSelectionQuery(
                    "select count(*) from Account where id >= " + CHURN_FROM, Long.class).getSingleResult());
            assertTrue(after.consistent() >= ROWS + liveChurnRows, after.toString());
            CacheAgreesWithDatabase.assertAgrees(sf, true);
        } finally {
            pool.shutdownNow();
            pubSub.close();
            sf.close();
        }
    }
}
