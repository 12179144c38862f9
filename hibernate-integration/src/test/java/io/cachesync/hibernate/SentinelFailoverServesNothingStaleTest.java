package io.cachesync.hibernate;

import io.cachesync.testsupport.LocalRedisSentinels;
import io.cachesync.testsupport.RedisProcess;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static io.cachesync.hibernate.RedisOutageNeverFailsACommitTest.waitUntil;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A {@code redis-sentinel://} URI (Lettuce's form) over one master, one replica and three sentinels (a fresh set
 * for each test). While node A commits from two threads and node B reads, the master goes away:
 * <ul>
 * <li>killed (a crash): the sentinels promote the replica; every commit succeeds; Lettuce re-asks the sentinels on
 * reconnect and lands on the new master. The new master can hold older versions than B read (B read rows from the
 * database while Redis was away; A's newer pushes are still queued, or the dead master never replicated them): B
 * keeps the versions it served as floors across the clear, takes such a copy as a miss and serves the database's
 * row, so no read goes back in version (A reads too: its own writes);</li>
 * <li>{@code SENTINEL FAILOVER} (a planned switch, opt-in): the old master goes on taking writes until a sentinel
 * turns it into a replica, and drops them when it resyncs. Those writes are lost to Redis; the test counts and
 * prints reads that went back in version, and checks that commits never fail and that a Reconciler run repairs the
 * drift.</li>
 * </ul>
 * Either way, once quiet and reconciled, B serves every row at the database's version.
 */
class SentinelFailoverServesNothingStaleTest {

    private static final int ROWS = 100;
    private LocalRedisSentinels sentinels;

    @BeforeEach
    void start(org.junit.jupiter.api.TestInfo test) throws Exception {
        if (test.getTestMethod().orElseThrow().getName().startsWith("aManual")) {
            Assumptions.assumeTrue(Boolean.getBoolean("cachesync.sentinel.manual-failover"),
                    "-Dcachesync.sentinel.manual-failover=true runs it");
        }
        Assumptions.assumeTrue(RedisProcess.toolsAvailable(), "redis-server and redis-cli are needed on the PATH");
        long start = System.nanoTime();
        sentinels = LocalRedisSentinels.start();
        System.out.printf("[sentinel] master, replica and 3 sentinels up in %d ms: %s%n",
                (System.nanoTime() - start) / 1_000_000, sentinels.uri());
    }

    @AfterEach
    void stop() {
        if (sentinels != null) {
            sentinels.close();
        }
    }

    @Test
    void aKilledMasterIsReplacedCommitsGoOnAndTheReconcilerLeavesNothingStale() throws Exception {
        List<String> violations = failOverUnderLoad(true);
        assertEquals(List.of(), violations, "reads on A or B that went back in version while the master was replaced");
    }

    /** Opt-in ({@code -Dcachesync.sentinel.manual-failover=true}): the old master's conversion alone takes ~17 s. */
    @Test
    void aManualFailoverLosesWhatTheOldMasterTookAndTheReconcilerRepairsIt() throws Exception {
        Assumptions.assumeTrue(Boolean.getBoolean("cachesync.sentinel.manual-failover"),
                "-Dcachesync.sentinel.manual-failover=true runs it");
        List<String> violations = failOverUnderLoad(false);
        System.out.printf("[sentinel] reads that went back in version during the manual failover: %d%s%n",
                violations.size(), violations.isEmpty() ? "" : " (e.g. " + violations.get(0) + ")");
    }

    /** Fails the master over under load (killing it, or with SENTINEL FAILOVER); returns the backwards reads. */
    private List<String> failOverUnderLoad(boolean kill) throws Exception {
        int oldMaster = sentinels.masterPort();
        try (TwoNodes nodes = new TwoNodes(sentinels.uri(), s -> s.put("cachesync.repair.max-backoff", "200ms"))
                .ready()) {
            nodes.a.inTransaction(s -> {
                for (long id = 0; id < ROWS; id++) {
                    s.persist(new Account(id, "owner" + id, BigDecimal.ZERO));
                }
            });
            for (long id = 0; id < ROWS; id++) {
                nodes.syncB.find(Account.class, id).orElseThrow(); // B's local tier holds every row
            }

            AtomicBoolean running = new AtomicBoolean(true);
            AtomicLong commits = new AtomicLong();
            List<Throwable> failures = new CopyOnWriteArrayList<>();
            List<String> violations = new CopyOnWriteArrayList<>();
            ExecutorService pool = Executors.newFixedThreadPool(4);
            List<Future<?>> tasks = new ArrayList<>();
            for (int w = 0; w < 2; w++) {
                int writer = w;
                tasks.add(pool.submit(() -> {
                    while (running.get()) {
                        long id = ThreadLocalRandom.current().nextInt(ROWS / 2) * 2 + writer;
                        try {
                            nodes.a.inTransaction(s -> s.find(Account.class, id)
                                    .setBalance(BigDecimal.valueOf(ThreadLocalRandom.current().nextInt(1_000_000), 2)));
                            commits.incrementAndGet();
                        } catch (RuntimeException e) {
                            failures.add(e);
                        }
                    }
                }));
            }
            for (CacheSync reader : List.of(nodes.syncA, nodes.syncB)) {
                String name = reader == nodes.syncA ? "A (the writing node)" : "B";
                ConcurrentHashMap<Long, Long> served = new ConcurrentHashMap<>();
                tasks.add(pool.submit(() -> {
                    while (running.get()) {
                        long id = ThreadLocalRandom.current().nextInt(ROWS);
                        long before = served.getOrDefault(id, -1L);
                        long version = reader.find(Account.class, id).orElseThrow().getVersion();
                        if (version < before) {
                            violations.add(name + " served Account#" + id + " v" + version + " after v" + before);
                        }
                        served.merge(id, version, Math::max);
                    }
                }));
            }
            Thread.sleep(1_000);

            long failoverAt = System.nanoTime();
            if (kill) {
                sentinels.server(oldMaster).kill();
            } else {
                sentinels.sentinels().get(0).cli("SENTINEL", "FAILOVER", LocalRedisSentinels.MASTER_NAME);
            }
            waitUntil(() -> {
                try {
                    return sentinels.masterPort() != oldMaster;
                } catch (Exception e) {
                    return false;
                }
            }, Duration.ofSeconds(30));
            int newMaster = sentinels.masterPort();
            long promotedMillis = (System.nanoTime() - failoverAt) / 1_000_000;
            // until a sentinel converts it, the old master goes on taking writes that its conversion will drop
            sentinels.awaitReady(TimeUnit.SECONDS.toMillis(30));
            long convertedMillis = (System.nanoTime() - failoverAt) / 1_000_000;
            long commitsAtFailover = commits.get();
            Thread.sleep(1_000);
            running.set(false);
            for (Future<?> task : tasks) {
                task.get(1, TimeUnit.MINUTES);
            }
            pool.shutdown();
            assertTrue(failures.isEmpty(), "every transaction commits: " + failures);
            assertTrue(commits.get() > commitsAtFailover, "commits went on after the failover");

            waitUntil(() -> nodes.syncA.pendingRepairs() + nodes.syncB.pendingRepairs() == 0, Duration.ofSeconds(30));
            waitUntil(() -> nodes.syncA.localTierServing() && nodes.syncB.localTierServing(), Duration.ofSeconds(10));

            // Lettuce asked the sentinels again on reconnect: a new commit lands on the new master
            nodes.a.inTransaction(s -> s.find(Account.class, 0L).setOwner("after the failover"));
            waitUntil(() -> {
                try {
                    return sentinels.server(newMaster).cli("GET", nodes.syncA.key(Account.class, 0L))
                            .contains("after the failover");
                } catch (Exception e) {
                    return false;
                }
            }, Duration.ofSeconds(10));

            ReconciliationReport check = Reconciler.of(nodes.a).checkOnly(true).run();
            ReconciliationReport repair = Reconciler.of(nodes.a).run();
            ReconciliationReport after = Reconciler.of(nodes.a).checkOnly(true).run();
            System.out.printf("[sentinel] %s: %d commits, 0 failed; master %d -> %d: promoted after %d ms, %s "
                            + "after %d ms; %d reads went back in version; check after the failover: %d missing, %d "
                            + "stale; %d repaired; then %d drifted%n", kill ? "master killed" : "SENTINEL FAILOVER",
                    commits.get(), oldMaster, newMaster, promotedMillis,
                    kill ? "topology settled" : "old master converted to a replica", convertedMillis,
                    violations.size(), check.missing(), check.stale(), repair.repaired(),
                    after.inconsistent() + after.missing() + after.orphaned());
            assertEquals(0, after.inconsistent() + after.missing() + after.orphaned(), after.toString());
            CacheAgreesWithDatabase.assertAgrees(nodes.a, true);

            // nothing stale: every read on B, local tier or Redis, returns the database's version
            for (long id = 0; id < ROWS; id++) {
                long n = id;
                long inDatabase = nodes.a.fromTransaction(s -> s.find(Account.class, n).getVersion());
                assertEquals(inDatabase, nodes.syncB.find(Account.class, id).orElseThrow().getVersion(),
                        "Account#" + id);
            }
            return violations;
        }
    }
}
