package io.cachesync.hibernate;

import io.cachesync.core.CacheStatistics;
import io.cachesync.testsupport.LocalRedisServer;
import io.cachesync.testsupport.LogCapture;
import org.hibernate.SessionFactory;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAccumulator;

import static io.cachesync.hibernate.RedisOutageNeverFailsACommitTest.waitUntil;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Invariant 5 under load: 4 threads commit thousands of updates while Redis is killed (SIGKILL) in the middle and
 * started again a little later. Every transaction commits; no commit waits much past the command timeout; every
 * read in between returns exactly the version its thread just committed (from the database while Redis is away);
 * the keys that could not be pushed are retried once Redis is back; and a check-only Reconciler then finds zero
 * drift without any repair run.
 *
 * <p>Redis runs with {@code appendonly yes, appendfsync always} in its own directory and restarts on the same
 * port from its file, so that what was pushed before the kill survives and a zero-drift result proves the
 * retries, not read refills. (The restart-empty case is {@link LostInvalidationChannelServesNothingStaleTest}'s.)
 */
class RedisKilledUnderWriteLoadLosesNoCommitTest {

    private static final int THREADS = 4;
    private static final int ROWS_PER_THREAD = 25;
    private static final Duration TIMEOUT = Duration.ofMillis(200);

    @Test
    void everyCommitSucceedsReadsStayCorrectAndFailedPushesAreRetried() throws Exception {
        int commitsPerThread = Integer.getInteger("cachesync.outage.commits", 750);
        try (LocalRedisServer redis = LocalRedisServer.start("--appendonly", "yes", "--appendfsync", "always");
             LogCapture logs = new LogCapture()) {
            SessionFactory sf = TestNodes.node(TestNodes.newDatabase(), redis.uri(), true, s -> {
                s.put("cachesync.redis.timeout", TIMEOUT.toMillis() + "ms");
                s.put("cachesync.repair.max-backoff", "300ms");
            });
            try {
                CacheSync sync = CacheSync.of(sf);
                for (long id = 0; id < THREADS * ROWS_PER_THREAD; id++) {
                    long n = id;
                    sf.inTransaction(s -> s.persist(new Account(n, "owner" + n, BigDecimal.ZERO)));
                }
                // How long cachesync held each committing thread (from the commit to the push's return), apart from
                // the database work that a loaded machine makes slow whatever Redis does
                ThreadLocal<long[]> pushStart = ThreadLocal.withInitial(() -> new long[1]);
                LongAccumulator longestPushNanos = new LongAccumulator(Math::max, 0);
                sync.runtime().beforePush = () -> pushStart.get()[0] = System.nanoTime();
                sync.runtime().afterPush = () -> longestPushNanos.accumulate(System.nanoTime() - pushStart.get()[0]);
                AtomicLong committed = new AtomicLong();
                AtomicLong reads = new AtomicLong();
                LongAccumulator longestNanos = new LongAccumulator(Math::max, 0);
                List<String> wrongReads = new CopyOnWriteArrayList<>();
                CountDownLatch halfway = new CountDownLatch(THREADS);
                ExecutorService pool = Executors.newFixedThreadPool(THREADS);
                List<Future<?>> writers = new ArrayList<>();
                for (int t = 0; t < THREADS; t++) {
                    long firstId = (long) t * ROWS_PER_THREAD;
                    writers.add(pool.submit(() -> {
                        // each thread owns its rows: no optimistic-lock conflict, so every commit must succeed
                        for (int i = 0; i < commitsPerThread; i++) {
                            long id = firstId + i % ROWS_PER_THREAD;
                            BigDecimal balance = BigDecimal.valueOf(i);
                            long start = System.nanoTime();
                            long version = sf.fromTransaction(s -> {
                                Account a = s.find(Account.class, id);
                                a.setBalance(balance);
                                s.flush();
                                return a.getVersion();
                            });
                            longestNanos.accumulate(System.nanoTime() - start);
                            committed.incrementAndGet();
                            Optional<Account> read = sync.find(Account.class, id);
                            reads.incrementAndGet();
                            if (read.isEmpty() || read.get().getVersion() != version
                                    || read.get().getBalance().compareTo(balance) != 0) {
                                wrongReads.add("Account#" + id + ": committed v" + version + " balance " + balance
                                        + ", read " + read.map(a -> "v" + a.getVersion() + " " + a.getBalance())
                                        .orElse("nothing"));
                            }
                            if (i == commitsPerThread / 3) {
                                halfway.countDown();
                            }
                        }
                        return null;
                    }));
                }
                assertTrue(halfway.await(2, TimeUnit.MINUTES));
                redis.kill();
                long killedAt = committed.get();
                Thread.sleep(1_500); // commits go on against a dead Redis
                long duringOutage = committed.get() - killedAt;
                redis.restart(); // same port, same append-only file: what Redis held before the kill is back
                for (Future<?> writer : writers) {
                    writer.get(5, TimeUnit.MINUTES);
                }
                pool.shutdown();

                waitUntil(() -> sync.pendingRepairs() == 0, Duration.ofSeconds(30));
                CacheStatistics stats = sync.statistics();
                ReconciliationReport check = Reconciler.of(sf).checkOnly(true).run();
                long longestMillis = longestNanos.get() / 1_000_000;
                long longestPushMillis = longestPushNanos.get() / 1_000_000;
                System.out.printf("[outage-under-load] %d commits by %d threads (%d while Redis was dead), all "
                                + "committed; longest wait for cachesync in a commit %d ms, longest whole transaction "
                                + "%d ms (timeout %d ms); %d reads, %d wrong; %d pushes failed and were retried (%d "
                                + "repair log lines); breaker opened %d times; check-only Reconciler afterwards: %d "
                                + "consistent, %d inconsistent, %d missing, %d orphaned%n",
                        committed.get(), THREADS, duringOutage, longestPushMillis, longestMillis, TIMEOUT.toMillis(),
                        reads.get(),
                        wrongReads.size(), stats.pushesFailed(), logs.count("INFO", "cachesync repaired"),
                        stats.circuitOpenings(), check.consistent(), check.inconsistent(), check.missing(),
                        check.orphaned());

                assertEquals((long) THREADS * commitsPerThread, committed.get(), "every transaction committed");
                assertTrue(wrongReads.isEmpty(), String.join("\n", wrongReads.subList(0,
                        Math.min(20, wrongReads.size()))));
                assertTrue(duringOutage > 0, "the load ran while Redis was dead");
                assertTrue(stats.pushesFailed() > 0, "some pushes failed: the kill happened under load");
                // A timing is a benchmark; this bound only catches a commit that waited for Redis' reconnection or
                // for several timeouts in a row: timeout + 1 s, generous for a loaded 2-core machine. It bounds
                // cachesync's part of the commit: the whole transaction also waits for H2, which a loaded machine
                // can stall for as long all by itself (seen: 940 ms before the kill).
                assertTrue(longestPushMillis < TIMEOUT.toMillis() + 1_000, "longest push wait " + longestPushMillis
                        + " ms");
                assertEquals(0, check.inconsistent() + check.missing() + check.orphaned(), check.toString());
                assertEquals(0, check.repaired(), "a check repairs nothing");
                CacheAgreesWithDatabase.assertAgrees(sf, true);
            } finally {
                sf.close();
            }
        }
    }
}
