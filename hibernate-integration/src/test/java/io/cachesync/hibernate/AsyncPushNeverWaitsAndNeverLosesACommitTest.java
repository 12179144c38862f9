package io.cachesync.hibernate;

import io.cachesync.core.CacheSyncSettings;
import io.cachesync.testsupport.DelayingProxy;
import io.cachesync.testsupport.LocalRedisServer;
import org.hibernate.SessionFactory;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Async push mode: with every Redis reply held back 100 ms by a proxy, commits do not wait for Redis (they queue
 * while earlier pushes are in flight), their own node reads them at once, and closing the SessionFactory sends
 * everything still queued: afterwards Redis holds every row's final version.
 */
class AsyncPushNeverWaitsAndNeverLosesACommitTest {

    private static final long DELAY_MILLIS = 100;
    private static final int ROWS = 50;
    private static final int THREADS = 4;
    private static final int UPDATES_PER_THREAD = 150;

    @Test
    void commitsQueueBehindASlowRedisAndCloseSendsThemAll() throws Exception {
        try (LocalRedisServer redis = LocalRedisServer.start();
             DelayingProxy proxy = new DelayingProxy(redis.port(), 0)) {
            String db = TestNodes.newDatabase();
            SessionFactory sf = TestNodes.node(db, proxy.uri(), true, s -> {
                s.put(CacheSyncSettings.PUSH_MODE, "async");
                s.put(CacheSyncSettings.REDIS_TIMEOUT, "5s");
                s.put("hibernate.hbm2ddl.auto", "create"); // the checker below reads the tables after close
            });
            SessionFactory checker = null;
            try {
                CacheSync sync = CacheSync.of(sf);
                for (long id = 0; id < ROWS; id++) {
                    long n = id;
                    sf.inTransaction(s -> s.persist(new Account(n, "owner" + n, BigDecimal.ZERO)));
                }
                proxy.delayMillis(DELAY_MILLIS);

                ExecutorService pool = Executors.newFixedThreadPool(THREADS);
                List<Future<Integer>> workers = new ArrayList<>();
                long start = System.nanoTime();
                for (int t = 0; t < THREADS; t++) {
                    int thread = t;
                    workers.add(pool.submit(() -> {
                        int maxBacklog = 0;
                        for (int i = 0; i < UPDATES_PER_THREAD; i++) {
                            // each thread owns its rows: no optimistic-lock conflict, every update commits
                            long id = thread + THREADS * ThreadLocalRandom.current().nextLong(ROWS / THREADS);
                            BigDecimal balance = BigDecimal.valueOf(i);
                            sf.inTransaction(s -> s.find(Account.class, id).setBalance(balance));
                            Account seen = sync.find(Account.class, id).orElseThrow();
                            assertEquals(0, balance.compareTo(seen.getBalance()),
                                    "the committing node must read its own write at once");
                            maxBacklog = Math.max(maxBacklog, sync.asyncPushBacklog());
                        }
                        return maxBacklog;
                    }));
                }
                int maxBacklog = 0;
                for (Future<Integer> worker : workers) {
                    maxBacklog = Math.max(maxBacklog, worker.get(2, TimeUnit.MINUTES));
                }
                long elapsedMillis = (System.nanoTime() - start) / 1_000_000;
                pool.shutdown();
                int commits = THREADS * UPDATES_PER_THREAD;
                int backlogAtEnd = sync.asyncPushBacklog();
                System.out.printf("[async push] %d commits in %d ms with %d ms per Redis reply; backlog peaked at %d "
                        + "writes, %d at the last commit%n", commits, elapsedMillis, DELAY_MILLIS, maxBacklog,
                        backlogAtEnd);
                // a commit that waited for its push would cost >= one delay: 600 of them, >= 15 s on 4 threads
                assertTrue(elapsedMillis < commits * DELAY_MILLIS / THREADS / 3,
                        "commits took " + elapsedMillis + " ms: they waited for Redis");
                assertTrue(maxBacklog > 1, "pushes never queued: backlog peaked at " + maxBacklog);

                sf.close(); // sends whatever is still queued, through the slow proxy
                proxy.delayMillis(0);
                checker = TestNodes.node(db, redis.uri(), false);
                assertEquals(0, CacheSync.of(checker).pendingRepairs());
                CacheAgreesWithDatabase.assertAgrees(checker, true);
            } finally {
                sf.close();
                if (checker != null) {
                    checker.close();
                }
            }
        }
    }
}
