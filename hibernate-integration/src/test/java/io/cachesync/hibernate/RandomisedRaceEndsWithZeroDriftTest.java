package io.cachesync.hibernate;

import io.cachesync.core.CacheStatistics;
import io.cachesync.core.PostCommitDelays;
import io.cachesync.testsupport.RedisExtension;
import io.cachesync.testsupport.TestRedis;
import jakarta.persistence.PersistenceException;
import org.hibernate.SessionFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
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
import java.util.concurrent.atomic.LongAdder;

import static io.cachesync.hibernate.RedisOutageNeverFailsACommitTest.waitUntil;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The long randomised race: on two nodes (one pushing asynchronously, one synchronously), worker threads insert, update, delete and read random rows while a
 * Reconciler repairs and checks, with random delays injected at every step after a commit (before the local
 * tier, before the push, when its answer arrives, between a read's load and its fill) and a saboteur cutting the
 * pub/sub or command connections every few seconds. Afterwards: zero drift
 * (Redis against the database, both ways, and a check-only Reconciler), no node ever served a version older than
 * one it had served, and every operation is accounted for: each attempt committed, found nothing to do, or lost
 * an optimistic-lock race; each committed change produced exactly one push that Redis took, refused or failed.
 *
 * <p>Seeded: each worker draws its operations from {@code seed + worker}, so a seed replays the same operation
 * mix (thread timing differs from run to run). {@code -Dcachesync.race.seed=...}, {@code
 * -Dcachesync.race.seconds=...} (default 30; longer on demand).
 */
@ExtendWith(RedisExtension.class)
class RandomisedRaceEndsWithZeroDriftTest {

    static final long DELETED = Long.MAX_VALUE;
    private static final int INITIAL_ROWS = 60;
    private static final int WORKERS_PER_NODE = 3;

    /** What the workers did, counted once per attempt. */
    static final class Counts {
        final LongAdder inserts = new LongAdder();
        final LongAdder updates = new LongAdder();
        final LongAdder deletes = new LongAdder();
        final LongAdder nothingToDo = new LongAdder();
        final LongAdder conflicts = new LongAdder();
        final LongAdder reads = new LongAdder();
        final LongAdder readsFound = new LongAdder();
        final LongAdder attempts = new LongAdder();
        final LongAdder repairRuns = new LongAdder();
        final LongAdder checkRuns = new LongAdder();
        final LongAdder reconcilerRepairs = new LongAdder();
        final LongAdder reconcilerCut = new LongAdder();

        long committed() {
            return inserts.sum() + updates.sum() + deletes.sum();
        }
    }

    @Test
    void twoNodesUnderRandomDelaysEndWithZeroDriftAndNoVersionGoingBackwards(TestRedis redis) throws Exception {
        long seed = Long.getLong("cachesync.race.seed", System.nanoTime());
        long seconds = Long.getLong("cachesync.race.seconds", 30);
        System.out.println("[race] seed " + seed + ", " + seconds + " s (rerun with -Dcachesync.race.seed=" + seed
                + " -Dcachesync.race.seconds=" + seconds + ")");
        // node A pushes asynchronously, node B synchronously: both modes, and their interplay, under one race
        // A node keeps what it knows of a row only while the row's entry stays in its local tier (README,
        // Guarantees and limits): a fast run inserts more rows than the default 10,000 entries, and an evicted
        // tombstone lets a Redis copy that is still behind be served after the deletion. The bound is not what this
        // race is about, so the tier here holds every row.
        String everyRow = "1000000";
        try (TwoNodes nodes = new TwoNodes(redis.uri(), s -> {
            s.put("cachesync.repair.max-backoff", "300ms");
            s.put("cachesync.push.mode", "async");
            s.put("cachesync.local.maximum-size", everyRow);
        }, s -> {
            s.put("cachesync.repair.max-backoff", "300ms");
            s.put("cachesync.local.maximum-size", everyRow);
        }).ready()) {
            for (long id = 0; id < INITIAL_ROWS; id++) {
                long n = id;
                nodes.a.inTransaction(s -> s.persist(new Account(n, "owner" + n, BigDecimal.ZERO)));
            }
            waitUntil(() -> nodes.syncA.asyncPushBacklog() == 0, Duration.ofSeconds(10)); // A pushes in the background
            CacheStatistics startA = nodes.syncA.statistics();
            CacheStatistics startB = nodes.syncB.statistics();
            Runnable delay = () -> randomDelay(3_000);
            Runnable shortDelay = () -> randomDelay(1_000); // on Lettuce's I/O thread: every reply waits for it
            for (CacheSync sync : List.of(nodes.syncA, nodes.syncB)) {
                sync.runtime().beforePush = delay;
                PostCommitDelays.inject(sync.cache(), delay, shortDelay);
            }

            Counts counts = new Counts();
            AtomicLong nextId = new AtomicLong(INITIAL_ROWS);
            List<String> violations = new CopyOnWriteArrayList<>();
            List<ConcurrentHashMap<Long, Long>> served = List.of(new ConcurrentHashMap<>(), new ConcurrentHashMap<>());
            AtomicBoolean running = new AtomicBoolean(true);
            CountDownLatch go = new CountDownLatch(1);
            ExecutorService pool = Executors.newFixedThreadPool(2 * WORKERS_PER_NODE + 2);
            List<Future<?>> tasks = new ArrayList<>();
            for (int w = 0; w < 2 * WORKERS_PER_NODE; w++) {
                int node = w % 2;
                SessionFactory sf = node == 0 ? nodes.a : nodes.b;
                CacheSync sync = node == 0 ? nodes.syncA : nodes.syncB;
                Random random = new Random(seed + w);
                tasks.add(pool.submit(() -> {
                    go.await();
                    while (running.get()) {
                        work(random, sf, sync, served.get(node), node, nextId, counts, violations);
                    }
                    return null;
                }));
            }
            Random reconcilerRandom = new Random(seed - 1);
            tasks.add(pool.submit(() -> {
                go.await();
                while (running.get()) {
                    Thread.sleep(200 + reconcilerRandom.nextInt(600));
                    SessionFactory sf = reconcilerRandom.nextBoolean() ? nodes.a : nodes.b;
                    try {
                        if (reconcilerRandom.nextInt(3) == 0) {
                            Reconciler.of(sf).checkOnly(true).run(); // drift in flight is expected: no assertion
                            counts.checkRuns.increment();
                        } else {
                            counts.reconcilerRepairs.add(Reconciler.of(sf).run().repaired());
                            counts.repairRuns.increment();
                        }
                    } catch (io.cachesync.core.RedisUnavailableException e) {
                        counts.reconcilerCut.increment(); // the saboteur cut its connection: it stops, as documented
                    }
                }
                return null;
            }));
            // a saboteur cuts connections now and then: pub/sub ones (local tiers cleared and bypassed), command
            // ones (pushes in flight fail and are retried from the repair queue)
            Random saboteurRandom = new Random(seed - 2);
            AtomicLong cuts = new AtomicLong();
            tasks.add(pool.submit(() -> {
                go.await();
                while (running.get()) {
                    Thread.sleep(1_000 + saboteurRandom.nextInt(2_000));
                    io.lettuce.core.KillArgs kill = saboteurRandom.nextBoolean()
                            ? io.lettuce.core.KillArgs.Builder.typePubsub()
                            : io.lettuce.core.KillArgs.Builder.typeNormal().skipme();
                    // on every node: on a cluster the nodes' connections are spread over all of them
                    cuts.addAndGet(redis.killClients(kill));
                }
                return null;
            }));
            long start = System.nanoTime();
            go.countDown();
            Thread.sleep(TimeUnit.SECONDS.toMillis(seconds));
            running.set(false);
            for (Future<?> task : tasks) {
                task.get(2, TimeUnit.MINUTES);
            }
            pool.shutdown();
            long millis = (System.nanoTime() - start) / 1_000_000;
            for (CacheSync sync : List.of(nodes.syncA, nodes.syncB)) {
                sync.runtime().beforePush = null;
                PostCommitDelays.inject(sync.cache(), null, null);
            }

            // quiescence: connections back (a cut may have opened a breaker: it closes at its next probe), failed
            // pushes retried, every push's outcome handled
            waitUntil(() -> nodes.syncA.cache().store().available() && nodes.syncB.cache().store().available(),
                    Duration.ofSeconds(30));
            // on a Redis Cluster available() speaks for the cluster as a whole while each master's connection comes
            // back on its own: connections are back once a scan gets through to every master
            waitUntil(() -> answersOnEveryMaster(nodes.syncA) && answersOnEveryMaster(nodes.syncB),
                    Duration.ofSeconds(30));
            waitUntil(() -> nodes.syncA.asyncPushBacklog() + nodes.syncA.pendingRepairs()
                    + nodes.syncB.pendingRepairs() == 0, Duration.ofSeconds(30));
            try {
                waitUntil(() -> pushes(nodes.syncA, startA) + pushes(nodes.syncB, startB) == counts.committed(),
                        Duration.ofSeconds(10));
            } catch (AssertionError e) {
                throw new AssertionError("pushes handled: " + pushes(nodes.syncA, startA) + " on A (backlog "
                        + nodes.syncA.asyncPushBacklog() + "), " + pushes(nodes.syncB, startB) + " on B; committed: "
                        + counts.committed(), e);
            }
            CacheStatistics a = nodes.syncA.statistics();
            CacheStatistics b = nodes.syncB.statistics();
            ReconciliationReport check = Reconciler.of(nodes.b).checkOnly(true).run();

            System.out.printf("[race] %d ms, 2 nodes x %d workers: %d attempts = %d inserts + %d updates + %d deletes "
                            + "committed + %d with nothing to do + %d optimistic-lock conflicts rolled back + %d reads "
                            + "(%d found); pushes %d written, %d refused as stale, %d failed and retried; %d Reconciler "
                            + "repair runs (%d keys repaired) and %d check runs alongside (%d stopped by a cut); %d "
                            + "connections cut; %d "
                            + "violations; final check: %d consistent, %d drifted%n", millis, WORKERS_PER_NODE, counts.attempts.sum(),
                    counts.inserts.sum(), counts.updates.sum(), counts.deletes.sum(), counts.nothingToDo.sum(),
                    counts.conflicts.sum(), counts.reads.sum(), counts.readsFound.sum(),
                    a.pushesWritten() - startA.pushesWritten() + b.pushesWritten() - startB.pushesWritten(),
                    a.pushesRefused() - startA.pushesRefused() + b.pushesRefused() - startB.pushesRefused(),
                    a.pushesFailed() - startA.pushesFailed() + b.pushesFailed() - startB.pushesFailed(),
                    counts.repairRuns.sum(), counts.reconcilerRepairs.sum(), counts.checkRuns.sum(), counts.reconcilerCut.sum(), cuts.get(),
                    violations.size(),
                    check.consistent(), check.inconsistent() + check.missing() + check.orphaned());

            assertTrue(violations.isEmpty(), String.join("\n", violations.subList(0, Math.min(20, violations.size()))));
            assertEquals(counts.attempts.sum(), counts.committed() + counts.nothingToDo.sum() + counts.conflicts.sum()
                    + counts.reads.sum(), "every operation accounted for");
            assertEquals(counts.committed(), pushes(nodes.syncA, startA) + pushes(nodes.syncB, startB),
                    "every committed change pushed exactly once (written, refused or failed)");
            assertTrue(counts.committed() > 0 && counts.reads.sum() > 0 && counts.repairRuns.sum() > 0);
            assertEquals(0, check.inconsistent() + check.missing() + check.orphaned(), check.toString());
            CacheAgreesWithDatabase.assertAgrees(nodes.a, true);
            waitUntil(() -> ConcurrentReadersNeverSeeTimeGoBackwardsTest.localTiersAgree(nodes, nextId.get()).isEmpty(),
                    Duration.ofSeconds(5));
        }
    }

    static void work(Random random, SessionFactory sf, CacheSync sync, ConcurrentHashMap<Long, Long> served,
                             int node, AtomicLong nextId, Counts counts, List<String> violations) {
        counts.attempts.increment();
        int kind = random.nextInt(100);
        long id = (long) random.nextInt((int) nextId.get());
        try {
            if (kind < 35) {
                long before = served.getOrDefault(id, -1L);
                Optional<Account> found = sync.find(Account.class, id);
                counts.reads.increment();
                if (found.isPresent()) {
                    counts.readsFound.increment();
                    long version = found.get().getVersion();
                    if (before == DELETED) {
                        violations.add("node " + node + " served Account#" + id + " v" + version + " after its deletion");
                    } else if (version < before) {
                        violations.add("node " + node + " served Account#" + id + " v" + version + " after v" + before);
                    }
                    served.merge(id, version, (x, y) -> x == DELETED ? x : Math.max(x, y));
                } else if (before >= 0) {
                    served.put(id, DELETED);
                }
            } else if (kind < 80) {
                BigDecimal balance = BigDecimal.valueOf(random.nextInt(1_000_000), 2);
                String owner = "owner" + random.nextInt(1000);
                boolean changed = sf.fromTransaction(s -> {
                    Account a = s.find(Account.class, id);
                    if (a == null) {
                        return false;
                    }
                    a.setBalance(balance.equals(a.getBalance()) ? balance.add(BigDecimal.ONE) : balance);
                    a.setOwner(owner);
                    return true;
                });
                (changed ? counts.updates : counts.nothingToDo).increment();
            } else if (kind < 90) {
                boolean removed = sf.fromTransaction(s -> {
                    Account a = s.find(Account.class, id);
                    if (a == null) {
                        return false;
                    }
                    s.remove(a);
                    return true;
                });
                (removed ? counts.deletes : counts.nothingToDo).increment();
            } else {
                long fresh = nextId.getAndIncrement();
                sf.inTransaction(s -> s.persist(new Account(fresh, "new" + fresh, BigDecimal.ONE)));
                counts.inserts.increment();
            }
        } catch (PersistenceException e) {
            counts.conflicts.increment(); // another worker changed or deleted the row first: rolled back
        }
    }

    private static boolean answersOnEveryMaster(CacheSync sync) {
        try {
            sync.cache().store().scan("Account", 1000, key -> { });
            return true;
        } catch (io.cachesync.core.RedisUnavailableException e) {
            return false;
        }
    }

    private static long pushes(CacheSync sync, CacheStatistics start) {
        CacheStatistics now = sync.statistics();
        return now.pushesWritten() - start.pushesWritten() + now.pushesRefused() - start.pushesRefused()
                + now.pushesFailed() - start.pushesFailed();
    }

    /** 70 %: none; 25 %: up to a tenth of {@code maxMicros}; 5 %: up to {@code maxMicros}. */
    static void randomDelay(int maxMicros) {
        int r = ThreadLocalRandom.current().nextInt(100);
        if (r < 70) {
            return;
        }
        long micros = ThreadLocalRandom.current().nextInt(r < 95 ? maxMicros / 10 : maxMicros);
        try {
            TimeUnit.MICROSECONDS.sleep(micros);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
