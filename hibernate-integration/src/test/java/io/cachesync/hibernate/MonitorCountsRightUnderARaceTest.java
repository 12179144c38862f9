package io.cachesync.hibernate;

import io.cachesync.core.PostCommitDelays;
import io.cachesync.core.monitor.DelayConsistency;
import io.cachesync.core.monitor.Inconsistency;
import io.cachesync.core.monitor.MonitorReport;
import io.cachesync.testsupport.LogCapture;
import io.cachesync.testsupport.RedisExtension;
import io.cachesync.testsupport.SnapshotMutator;
import io.cachesync.testsupport.TestRedis;
import jakarta.persistence.PersistenceException;
import org.hibernate.SessionFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The monitor under the two-node race (workers updating, deleting, inserting and reading random rows on both
 * nodes, random delays at every step after a commit), with every commit sampled:
 * <ul>
 *   <li>without faults, every sampled key is counted once at each delay and all are consistent at the later
 *   delay, as a full Reconciler check agrees at the end;</li>
 *   <li>with faults injected behind cachesync's back (keys deleted, bytes mutated by {@link SnapshotMutator},
 *   older snapshots planted), every inconsistency it reports is on a key that was faulted (no false alarm), and
 *   so is every drift the Reconciler finds at the end; and for faults injected at known keys after a quiet
 *   commit, it counts exactly those keys, the same ones a full Reconciler check finds.</li>
 * </ul>
 * {@code -Dcachesync.monitor.race.seconds=...} (default 8).
 */
@ExtendWith(RedisExtension.class)
class MonitorCountsRightUnderARaceTest {

    private static final Duration FIRST = Duration.ofMillis(300);
    private static final Duration LAST = Duration.ofMillis(1500);
    private static final int INITIAL_ROWS = 60;
    private static final int WORKERS_PER_NODE = 3;
    private static final Pattern ACCOUNT_ID = Pattern.compile("^Account#(\\d+):");

    /**
     * On a loaded machine a push can time out (then Redis lags until the retry lands): a real inconsistency, which
     * the monitor must report. The generous timeout makes it rare; the tests tell such keys from false alarms.
     */
    private static java.util.function.Consumer<Map<String, Object>> settings(boolean repair) {
        return MonitorTestSupport.monitor("300ms,1500ms", repair, false)
                .andThen(s -> s.put("cachesync.redis.timeout", "1s"));
    }

    @Test
    void withoutFaultsEverySampledKeyIsConsistentAtTheLaterDelay(TestRedis redis) throws Exception {
        try (TwoNodes nodes = new TwoNodes(redis.uri(), settings(true)).ready(); LogCapture logs = new LogCapture()) {
            Race race = new Race(nodes, 0);
            race.run(null);
            Set<Long> pushFailed = pushFailures(logs);
            for (int node = 0; node < 2; node++) {
                CacheSync sync = node == 0 ? nodes.syncA : nodes.syncB;
                MonitorReport report = sync.monitor();
                System.out.println("[monitor race, no faults] node " + node + ": " + report);
                assertEquals(race.commits[node].sum(), report.sampled(), "every committed key sampled once");
                assertEquals(0, report.dropped());
                assertEquals(0, report.pending());
                for (DelayConsistency d : report.overall()) {
                    assertEquals(report.sampled(), d.checked(), "every sample checked at " + d.delay());
                }
                if (pushFailed.isEmpty()) {
                    assertEquals(0, report.last().inconsistent(), report.recent().toString());
                    assertEquals(1.0, report.last().ratio());
                    assertEquals(Math.log10(report.sampled()), report.last().nines(), 1e-9);
                } else { // the machine was too loaded for Redis to answer in time: only those keys may lag
                    System.out.println("[monitor race, no faults] pushes failed (timeouts) for " + pushFailed);
                    for (Inconsistency i : report.recent()) {
                        assertTrue(pushFailed.contains((Long) i.id()), "a false alarm: " + i);
                    }
                }
                assertEquals(report.last(), report.model("Account", LAST));
            }
            ReconciliationReport check = Reconciler.of(nodes.a).checkOnly(true).run();
            assertEquals(0, check.inconsistent() + check.missing() + check.orphaned(), check.toString());
            CacheAgreesWithDatabase.assertAgrees(nodes.a, true);
        }
    }

    @Test
    void withFaultsItReportsOnlyFaultedKeysAndExactlyTheKnownOnes(TestRedis redis) throws Exception {
        try (TwoNodes nodes = new TwoNodes(redis.uri(), settings(false)).ready(); LogCapture logs = new LogCapture()) {
            Race race = new Race(nodes, 1);
            Set<Long> faulted = ConcurrentHashMap.newKeySet();
            race.run(random -> fault(random, nodes, redis, race, faulted));
            Set<Long> pushFailed = pushFailures(logs);
            System.out.println("[monitor race, faults] pushes failed (timeouts) for " + pushFailed);
            faulted.addAll(pushFailed); // a push that timed out left Redis behind until its retry: a fault too

            Set<Long> reported = new TreeSet<>();
            long inconsistentAtLast = 0;
            for (int node = 0; node < 2; node++) {
                CacheSync sync = node == 0 ? nodes.syncA : nodes.syncB;
                MonitorReport report = sync.monitor();
                System.out.println("[monitor race, faults] node " + node + ": " + report);
                assertEquals(race.commits[node].sum(), report.sampled(), "every committed key sampled once");
                assertEquals(0, report.dropped());
                for (DelayConsistency d : report.overall()) {
                    assertEquals(report.sampled(), d.checked(), "every sample checked at " + d.delay());
                }
                assertTrue(report.recent().size() < 1000, "the recent list holds every inconsistency");
                for (Inconsistency i : report.recent()) {
                    reported.add((Long) i.id());
                }
                long recentAtLast = report.recent().stream().filter(i -> i.delay().equals(LAST)).count();
                assertEquals(report.last().inconsistent(), recentAtLast);
                inconsistentAtLast += report.last().inconsistent();
            }
            Set<Long> falseAlarms = new TreeSet<>(reported);
            falseAlarms.removeAll(faulted);
            System.out.printf("[monitor race, faults] %d keys faulted, %d reported inconsistent (%d at %s), "
                    + "false alarms: %s%n", faulted.size(), reported.size(), inconsistentAtLast, LAST, falseAlarms);
            assertTrue(falseAlarms.isEmpty(), "inconsistencies on keys never faulted: " + falseAlarms);
            assertTrue(!reported.isEmpty(), "faults hit sampled keys within their windows");

            // a full Reconciler check at the end: every drift it finds is a fault too
            Set<Long> drifted = new TreeSet<>();
            ReconciliationReport check = Reconciler.of(nodes.a).checkOnly(true)
                    .onDiscrepancy(line -> drifted.add(accountId(line))).run();
            Set<Long> unexplained = new TreeSet<>(drifted);
            unexplained.removeAll(faulted);
            System.out.println("[monitor race, faults] Reconciler at the end: " + check);
            assertTrue(unexplained.isEmpty(), "drift on keys never faulted: " + unexplained);
            Reconciler.of(nodes.a).run();
            CacheAgreesWithDatabase.assertAgrees(nodes.a, true);

            // known faults after a quiet commit: counted exactly, the same keys as the Reconciler's
            MonitorReport before = nodes.syncA.monitor();
            List<Long> ids = nodes.a.fromTransaction(s -> s.createSelectionQuery("select id from Account order by id",
                    Long.class).setMaxResults(30).list());
            DriftInjection drift = new DriftInjection(nodes.a, redis);
            Set<Long> known = new TreeSet<>();
            for (int i = 0; i < ids.size(); i++) {
                long id = ids.get(i);
                Account row = nodes.a.fromTransaction(s -> {
                    Account a = s.find(Account.class, id);
                    a.setOwner("quiet" + id);
                    return a;
                });
                if (i % 3 != 0 || known.size() == 10) {
                    continue;
                }
                // at once after the commit returned (its push has landed): long before its first check
                known.add(id);
                if (known.size() <= 4) {
                    drift.delete(Account.class, id);
                } else if (known.size() <= 7) {
                    drift.plant(Account.class, id, "{\"version\":");
                } else {
                    drift.plantSnapshot(Account.class, id, row.getVersion() - 1, Instant.now(), Map.of("owner",
                            "older", "balance", row.getBalance(), "status", "OPEN"));
                }
            }
            MonitorTestSupport.waitUntilChecked(nodes.syncA, Duration.ofSeconds(20));
            MonitorReport after = nodes.syncA.monitor();
            for (Duration delay : List.of(FIRST, LAST)) {
                DelayConsistency d = MonitorRepairsTheDriftItFindsTest.minus(after.at(delay), before.at(delay));
                assertEquals(30, d.checked(), delay + ": " + after);
                assertEquals(10, d.inconsistent(), delay + ": " + after);
                assertEquals(4, d.missing());
                assertEquals(3, d.corrupt());
                assertEquals(3, d.stale());
            }
            Set<Long> foundAtLast = new TreeSet<>();
            after.recent().stream().skip(before.recent().size()).filter(i -> i.delay().equals(LAST))
                    .forEach(i -> foundAtLast.add((Long) i.id()));
            Set<Long> reconcilerFound = new TreeSet<>();
            ReconciliationReport last = Reconciler.of(nodes.b).checkOnly(true)
                    .onDiscrepancy(line -> reconcilerFound.add(accountId(line))).run();
            assertEquals(known, foundAtLast);
            assertEquals(known, reconcilerFound, last.toString());
            assertEquals(10, last.inconsistent() + last.missing() + last.orphaned());
            Reconciler.of(nodes.a).run();
            CacheAgreesWithDatabase.assertAgrees(nodes.a, true);
        }
    }

    private static final Pattern PUSH_FAILED = Pattern.compile("push failed for Account#(\\d+) ");

    /** Ids of the keys whose push failed during the run (Redis did not answer in time), from the WARN lines. */
    private static Set<Long> pushFailures(LogCapture logs) {
        Set<Long> ids = new TreeSet<>();
        Matcher m = PUSH_FAILED.matcher(logs.text());
        while (m.find()) {
            ids.add(Long.parseLong(m.group(1)));
        }
        return ids;
    }

    private static long accountId(String line) {
        Matcher m = ACCOUNT_ID.matcher(line);
        assertTrue(m.find(), line);
        return Long.parseLong(m.group(1));
    }

    /** One fault on a random key that holds a value: deleted, mutated, or replaced by an older version. */
    private static void fault(Random random, TwoNodes nodes, TestRedis redis, Race race, Set<Long> faulted) {
        long id = random.nextInt((int) race.nextId.get());
        String key = nodes.syncA.key(Account.class, id);
        String value = redis.commands().get(key);
        if (value == null) {
            return;
        }
        faulted.add(id); // before the fault: a check that sees it finds the id here
        int kind = random.nextInt(3);
        if (kind == 0) {
            redis.commands().del(key);
        } else if (kind == 1) {
            SnapshotMutator mutator = new SnapshotMutator(random, List.of(value.getBytes(StandardCharsets.UTF_8)));
            redis.commands().set(key, new String(mutator.mutate(0).bytes(), StandardCharsets.ISO_8859_1));
        } else {
            redis.commands().set(key, value.replaceFirst("\"version\":(\\d+)", "\"version\":0"));
        }
    }

    /** The two-node workload; every committed change is counted on the node that committed it. */
    private static final class Race {
        final TwoNodes nodes;
        final long seed;
        final AtomicLong nextId = new AtomicLong(INITIAL_ROWS);
        final LongAdder[] commits = {new LongAdder(), new LongAdder()};

        Race(TwoNodes nodes, long salt) {
            this.nodes = nodes;
            this.seed = Long.getLong("cachesync.race.seed", System.nanoTime()) + salt;
        }

        void run(java.util.function.Consumer<Random> saboteur) throws Exception {
            long seconds = Long.getLong("cachesync.monitor.race.seconds", 8);
            System.out.println("[monitor race] seed " + seed + ", " + seconds + " s");
            for (long id = 0; id < INITIAL_ROWS; id++) {
                long n = id;
                nodes.a.inTransaction(s -> s.persist(new Account(n, "owner" + n, BigDecimal.ZERO)));
                commits[0].increment();
            }
            Runnable delay = () -> RandomisedRaceEndsWithZeroDriftTest.randomDelay(3_000);
            Runnable shortDelay = () -> RandomisedRaceEndsWithZeroDriftTest.randomDelay(1_000);
            for (CacheSync sync : List.of(nodes.syncA, nodes.syncB)) {
                sync.runtime().beforePush = delay;
                PostCommitDelays.inject(sync.cache(), delay, shortDelay);
            }
            AtomicBoolean running = new AtomicBoolean(true);
            CountDownLatch go = new CountDownLatch(1);
            ExecutorService pool = Executors.newFixedThreadPool(2 * WORKERS_PER_NODE + 1);
            List<Future<?>> tasks = new ArrayList<>();
            for (int w = 0; w < 2 * WORKERS_PER_NODE; w++) {
                int node = w % 2;
                Random random = new Random(seed + w);
                tasks.add(pool.submit(() -> {
                    go.await();
                    while (running.get()) {
                        work(random, node);
                    }
                    return null;
                }));
            }
            if (saboteur != null) {
                Random random = new Random(seed - 1);
                tasks.add(pool.submit(() -> {
                    go.await();
                    while (running.get()) {
                        Thread.sleep(20 + random.nextInt(60));
                        saboteur.accept(random);
                    }
                    return null;
                }));
            }
            go.countDown();
            Thread.sleep(TimeUnit.SECONDS.toMillis(seconds));
            running.set(false);
            for (Future<?> task : tasks) {
                task.get(2, TimeUnit.MINUTES);
            }
            pool.shutdown();
            for (CacheSync sync : List.of(nodes.syncA, nodes.syncB)) {
                sync.runtime().beforePush = null;
                PostCommitDelays.inject(sync.cache(), null, null);
            }
            RedisOutageNeverFailsACommitTest.waitUntil(() -> nodes.syncA.pendingRepairs()
                    + nodes.syncB.pendingRepairs() == 0, Duration.ofSeconds(30));
            MonitorTestSupport.waitUntilChecked(nodes.syncA, Duration.ofSeconds(30));
            MonitorTestSupport.waitUntilChecked(nodes.syncB, Duration.ofSeconds(30));
        }

        private void work(Random random, int node) {
            SessionFactory sf = node == 0 ? nodes.a : nodes.b;
            CacheSync sync = node == 0 ? nodes.syncA : nodes.syncB;
            int kind = random.nextInt(100);
            long id = random.nextInt((int) nextId.get());
            try {
                if (kind < 30) {
                    sync.find(Account.class, id);
                } else if (kind < 80) {
                    BigDecimal balance = BigDecimal.valueOf(random.nextInt(1_000_000), 2);
                    boolean changed = sf.fromTransaction(s -> {
                        Account a = s.find(Account.class, id);
                        if (a == null) {
                            return false;
                        }
                        a.setBalance(balance.equals(a.getBalance()) ? balance.add(BigDecimal.ONE) : balance);
                        return true;
                    });
                    if (changed) {
                        commits[node].increment();
                    }
                } else if (kind < 90) {
                    boolean removed = sf.fromTransaction(s -> {
                        Account a = s.find(Account.class, id);
                        if (a == null) {
                            return false;
                        }
                        s.remove(a);
                        return true;
                    });
                    if (removed) {
                        commits[node].increment();
                    }
                } else {
                    long fresh = nextId.getAndIncrement();
                    sf.inTransaction(s -> s.persist(new Account(fresh, "new" + fresh, BigDecimal.ONE)));
                    commits[node].increment();
                }
            } catch (PersistenceException e) {
                // another worker changed or deleted the row first: rolled back, nothing committed
            }
        }
    }

    static Set<Long> set(long... ids) {
        Set<Long> out = new HashSet<>();
        for (long id : ids) {
            out.add(id);
        }
        return out;
    }
}
