package io.cachesync.hibernate;

import io.cachesync.core.CacheStatistics;
import io.cachesync.testsupport.DelayingProxy;
import io.cachesync.testsupport.LocalRedisServer;
import io.cachesync.testsupport.LogCapture;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import org.hibernate.SessionFactory;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static io.cachesync.hibernate.RedisOutageNeverFailsACommitTest.waitUntil;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A Redis that is there but does not answer (held by {@code CLIENT PAUSE}, or behind a link that delays every
 * reply past the timeout) keeps its connections open, so nothing fails fast by itself. The application's commits
 * and reads must still be bounded by the command timeout; and once the circuit breaker has seen enough calls go
 * unanswered, they stop waiting at all until a probe finds Redis answering again. Afterwards every queued key is
 * pushed and Redis agrees with the database.
 */
class SlowRedisNeverHoldsACommitPastTheTimeoutTest {

    private static final Duration TIMEOUT = Duration.ofMillis(200);
    private static final int FAILURES_TO_OPEN = 5;
    private static final int WRITERS = 2;
    private static final int ROWS = 40;

    /** What a fault run measured. */
    private record Figures(int commits, long longestPushMillis, long medianPushMillis, long longestReadMillis,
                           int reads, int wrongReads, long timedOutPushes, long fastFailedPushes) {
    }

    @Test
    void aPausedRedisCostsEachCommitAtMostTheTimeoutThenNothing() throws Exception {
        try (LocalRedisServer redis = LocalRedisServer.start();
             LogCapture logs = new LogCapture()) {
            SessionFactory sf = node(redis.uri());
            RedisClient client = RedisClient.create(redis.uri());
            try (StatefulRedisConnection<String, String> admin = client.connect()) {
                Figures f = underFault(sf, logs, () -> admin.sync().clientPause(3_000), Duration.ofMillis(2_500),
                        () -> { });
                report("CLIENT PAUSE 3 s", f);
            } finally {
                client.shutdown();
                sf.close();
            }
        }
    }

    @Test
    void aLinkThatDelaysEveryReplyCostsEachCommitAtMostTheTimeoutThenNothing() throws Exception {
        try (LocalRedisServer redis = LocalRedisServer.start();
             DelayingProxy proxy = new DelayingProxy(redis.port(), 0);
             LogCapture logs = new LogCapture()) {
            SessionFactory sf = node(proxy.uri());
            try {
                Figures f = underFault(sf, logs, () -> proxy.delayMillis(1_000), Duration.ofMillis(2_500),
                        () -> proxy.delayMillis(0));
                report("every reply delayed 1 s", f);
            } finally {
                sf.close();
            }
        }
    }

    private static SessionFactory node(String redisUri) {
        return TestNodes.node(TestNodes.newDatabase(), redisUri, true, s -> {
            s.put("cachesync.redis.timeout", TIMEOUT.toMillis() + "ms");
            s.put("cachesync.redis.breaker.failures", Integer.toString(FAILURES_TO_OPEN));
            s.put("cachesync.redis.breaker.probe-interval", "200ms");
            s.put("cachesync.repair.max-backoff", "300ms");
        });
    }

    private static Figures underFault(SessionFactory sf, LogCapture logs, Runnable fault, Duration load,
                                      Runnable heal) throws Exception {
        CacheSync sync = CacheSync.of(sf);
        waitUntil(sync::localTierServing, Duration.ofSeconds(10));
        for (long id = 0; id < ROWS; id++) {
            long n = id;
            sf.inTransaction(s -> s.persist(new Account(n, "owner" + n, BigDecimal.ZERO)));
        }
        ThreadLocal<long[]> pushStart = ThreadLocal.withInitial(() -> new long[1]);
        List<Long> pushMillis = Collections.synchronizedList(new ArrayList<>());
        sync.runtime().beforePush = () -> pushStart.get()[0] = System.nanoTime();
        sync.runtime().afterPush = () -> pushMillis.add((System.nanoTime() - pushStart.get()[0]) / 1_000_000);
        List<String> wrongReads = new CopyOnWriteArrayList<>();
        List<Long> readMillis = Collections.synchronizedList(new ArrayList<>());
        AtomicBoolean running = new AtomicBoolean(true);

        fault.run();
        ExecutorService pool = Executors.newFixedThreadPool(WRITERS + 1);
        List<Future<Integer>> writers = new ArrayList<>();
        for (int w = 0; w < WRITERS; w++) {
            int first = w * (ROWS / 2) / WRITERS; // the first half of the rows, split between the writers
            writers.add(pool.submit(() -> {
                int commits = 0;
                while (running.get()) {
                    long id = first + commits % (ROWS / 2 / WRITERS);
                    int n = commits;
                    sf.inTransaction(s -> s.find(Account.class, id).setBalance(BigDecimal.valueOf(n + 1L)));
                    commits++;
                }
                return commits;
            }));
        }
        Future<Integer> reader = pool.submit(() -> {
            // the second half is never written: each read must return exactly what was inserted
            int reads = 0;
            while (running.get()) {
                long id = ROWS / 2 + reads % (ROWS / 2);
                long start = System.nanoTime();
                Optional<Account> found = sync.find(Account.class, id);
                readMillis.add((System.nanoTime() - start) / 1_000_000);
                if (found.isEmpty() || found.get().getVersion() != 0 || !found.get().getOwner().equals("owner" + id)) {
                    wrongReads.add("Account#" + id + " read as " + found.map(a -> a.getVersion() + " "
                            + a.getOwner()).orElse("nothing"));
                }
                reads++;
                if (reads % (ROWS / 2) == 0) {
                    sync.clearLocalTier(); // make the reads ask Redis again, not only the local tier
                }
            }
            return reads;
        });
        Thread.sleep(load.toMillis());
        running.set(false);
        int commits = 0;
        for (Future<Integer> writer : writers) {
            commits += writer.get(1, TimeUnit.MINUTES);
        }
        int reads = reader.get(1, TimeUnit.MINUTES);
        pool.shutdown();
        CacheStatistics during = sync.statistics();
        heal.run();

        waitUntil(() -> !sync.statistics().circuitOpen() && sync.pendingRepairs() == 0, Duration.ofSeconds(30));
        sync.runtime().beforePush = null;
        sync.runtime().afterPush = null;
        CacheAgreesWithDatabase.assertAgrees(sf, true);

        List<Long> sorted = new ArrayList<>(pushMillis);
        Collections.sort(sorted);
        // pushes that waited for an answer (a fast failure takes microseconds; half the timeout tells them apart)
        long timedOut = sorted.stream().filter(ms -> ms >= TIMEOUT.toMillis() / 2).count();
        long fastFailed = during.circuitRejected();
        Figures figures = new Figures(commits, sorted.get(sorted.size() - 1), sorted.get(sorted.size() / 2),
                Collections.max(readMillis), reads, wrongReads.size(), timedOut, fastFailed);

        assertEquals(commits, sorted.size(), "every commit returned");
        assertTrue(wrongReads.isEmpty(), String.join("\n", wrongReads));
        assertTrue(during.circuitOpenings() >= 1, "the breaker opened: " + during);
        assertTrue(fastFailed > 0, "calls failed fast while the breaker was open");
        assertTrue(logs.count("WARN", "stopped waiting on Redis") >= 1, "the breaker says so when it opens");
        assertTrue(logs.count("INFO", "answers again") >= 1, "and when it closes");
        // Only the calls that tripped the breaker (one per writer and reader in flight, give or take) waited for
        // the timeout; every later one failed fast. The bound allows a second trip after a probe that passed
        // between two slow replies.
        assertTrue(timedOut <= 2L * (FAILURES_TO_OPEN + WRITERS + 1), timedOut + " pushes waited out the timeout");
        // A timing is a benchmark: these bounds (timeout + 1 s) only catch a call that waited several timeouts
        // or on an unbounded future; they are generous because the machine is shared and loaded.
        assertTrue(figures.longestPushMillis() < TIMEOUT.toMillis() + 1_000, figures.toString());
        assertTrue(figures.longestReadMillis() < 3 * TIMEOUT.toMillis() + 1_000, figures.toString());
        assertFalse(sync.statistics().circuitOpen());
        return figures;
    }

    private static void report(String fault, Figures f) {
        System.out.printf("[slow-redis] %s: %d commits, all committed; push wait median %d ms, longest %d ms "
                        + "(timeout %d ms); %d pushes waited out the timeout, %d failed fast (breaker open); %d reads, "
                        + "longest %d ms, %d wrong%n", fault, f.commits(), f.medianPushMillis(), f.longestPushMillis(),
                TIMEOUT.toMillis(), f.timedOutPushes(), f.fastFailedPushes(), f.reads(), f.longestReadMillis(),
                f.wrongReads());
    }
}
