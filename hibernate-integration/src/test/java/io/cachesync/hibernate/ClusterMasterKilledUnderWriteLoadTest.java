package io.cachesync.hibernate;

import io.cachesync.testsupport.RedisProcess;
import org.hibernate.SessionFactory;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
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
 * A Redis Cluster master dies while four threads commit, and its replica takes over. Redis replicates
 * asynchronously, so writes the master acknowledged but had not yet sent to its replica are lost: the test makes
 * that loss certain (it cuts the replication link before a batch of inserts, then kills the master), so that it
 * can say exactly which keys must go missing. Every transaction commits; pushes that hit the dead master are
 * queued and land on the new one once Lettuce re-reads the topology; a Reconciler check then reports exactly the
 * lost inserts as missing (and lost updates as stale), a repair fixes them, and a second check finds nothing.
 */
class ClusterMasterKilledUnderWriteLoadTest extends ClusterTestBase {

    private static final int ROWS = 200;
    private static final int WRITERS = 4;

    @Test
    void aReplicaTakesOverEveryCommitSucceedsAndTheReconcilerRepairsWhatTheFailoverLost() throws Exception {
        try (SessionFactory sf = TestNodes.node(TestNodes.newDatabase(), redis.uri(), true,
                s -> {
                    s.put("cachesync.repair.max-backoff", "200ms");
                    // a SCAN or MGET on a machine shared with other builds can take longer than the 200 ms default
                    s.put("cachesync.redis.timeout", "1s");
                    // this test reads the manual Reconciler's report of the loss; the automatic run that a master's
                    // new run_id starts is ClusterFailoverIsReconciledByItselfTest's
                    s.put(io.cachesync.core.monitor.MonitorSettings.AUTO_RECONCILE, "false");
                })) {
            CacheSync sync = CacheSync.of(sf);
            sf.inTransaction(s -> {
                for (long id = 0; id < ROWS; id++) {
                    s.persist(new Account(id, "owner" + id, BigDecimal.ZERO));
                }
            });
            waitUntil(() -> sync.pendingRepairs() == 0 && sync.localTierServing(), Duration.ofSeconds(10));

            RedisProcess victim = redis.cluster.masters().get(0);
            RedisProcess heir = redis.cluster.replicasOf(victim).get(0);
            List<long[]> victimSlots = redis.cluster.slotRanges(victim);

            AtomicBoolean running = new AtomicBoolean(true);
            AtomicLong commits = new AtomicLong();
            List<Throwable> failures = new CopyOnWriteArrayList<>();
            ExecutorService pool = Executors.newFixedThreadPool(WRITERS);
            List<Future<?>> writers = new ArrayList<>();
            for (int w = 0; w < WRITERS; w++) {
                int writer = w;
                writers.add(pool.submit(() -> {
                    // each writer owns the ids congruent to it: no optimistic-lock conflict, so every
                    // transaction must commit
                    while (running.get()) {
                        long id = ThreadLocalRandom.current().nextInt(ROWS / WRITERS) * WRITERS + writer;
                        try {
                            sf.inTransaction(s -> s.find(Account.class, id)
                                    .setBalance(BigDecimal.valueOf(ThreadLocalRandom.current().nextInt(1_000_000), 2)));
                            commits.incrementAndGet();
                        } catch (RuntimeException e) {
                            failures.add(e);
                        }
                    }
                }));
            }
            Thread.sleep(1_000);

            // the loss window: the replica stops reading, the master drops its replication link, and every
            // insert the master acknowledges from now on exists only on the master
            heir.pause();
            victim.cli("CLIENT", "KILL", "TYPE", "replica");
            Set<Long> lost = new TreeSet<>();
            for (long id = 10_000; id < 10_060; id++) {
                long n = id;
                sf.inTransaction(s -> s.persist(new Account(n, "inserted before the failover", BigDecimal.ONE)));
                int slot = io.lettuce.core.cluster.SlotHash.getSlot(sync.key(Account.class, id));
                if (victimSlots.stream().anyMatch(r -> slot >= r[0] && slot <= r[1])) {
                    lost.add(id);
                }
            }
            assertEquals(0, sync.pendingRepairs(), "the victim acknowledged every insert");
            long killedAt = System.nanoTime();
            victim.kill();
            heir.resume();

            waitUntil(() -> {
                try {
                    return heir.cli("ROLE").startsWith("master");
                } catch (java.io.IOException e) {
                    return false;
                }
            }, Duration.ofSeconds(30)); // the replica took over
            long failoverMillis = (System.nanoTime() - killedAt) / 1_000_000;
            redis.cluster.awaitHealthy(3, TimeUnit.SECONDS.toMillis(30));
            long commitsAtFailover = commits.get();
            Thread.sleep(1_000); // the load goes on against the new topology
            running.set(false);
            for (Future<?> writer : writers) {
                writer.get(1, TimeUnit.MINUTES);
            }
            pool.shutdown();
            assertTrue(failures.isEmpty(), "every transaction commits: " + failures);
            assertTrue(commits.get() > commitsAtFailover, "commits went on after the failover");

            long drained = System.nanoTime();
            waitUntil(() -> sync.pendingRepairs() == 0, Duration.ofSeconds(30));
            waitUntil(sync::localTierServing, Duration.ofSeconds(10));
            long drainMillis = (System.nanoTime() - drained) / 1_000_000;

            List<String> lines = new ArrayList<>();
            ReconciliationReport check = Reconciler.of(sf).checkOnly(true).onDiscrepancy(lines::add).run();
            System.out.printf("[cluster failover] %d commits by %d threads, 0 failed; replica %d took over from %d "
                            + "%d ms after the kill; repair queue drained %d ms after that; %d inserts lost with "
                            + "the master; check: %d missing, %d stale, %d orphaned%n", commits.get(), WRITERS,
                    heir.port(), victim.port(), failoverMillis, drainMillis, lost.size(), check.missing(),
                    check.stale(), check.orphaned());
            assertTrue(!lost.isEmpty(), "some inserts landed on the killed master");
            assertEquals(lost.size(), check.missing(), String.join("\n", lines));
            for (long id : lost) {
                assertTrue(lines.stream().anyMatch(l -> l.startsWith("Account#" + id + ": missing")),
                        "Account#" + id + " reported missing:\n" + String.join("\n", lines));
            }
            assertEquals(0, check.orphaned(), check.toString());

            ReconciliationReport repair = Reconciler.of(sf).run();
            assertEquals(check.missing() + check.stale(), repair.repaired(), repair.toString());
            ReconciliationReport after = Reconciler.of(sf).checkOnly(true).run();
            assertEquals(0, after.inconsistent() + after.missing() + after.orphaned(), after.toString());
            CacheAgreesWithDatabase.assertAgrees(sf, true);
        }
    }
}
