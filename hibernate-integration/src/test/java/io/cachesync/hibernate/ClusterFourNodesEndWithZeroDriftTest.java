package io.cachesync.hibernate;

import io.cachesync.core.Snapshot;
import org.hibernate.SessionFactory;
import org.junit.jupiter.api.Test;

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
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static io.cachesync.hibernate.RedisOutageNeverFailsACommitTest.waitUntil;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Four application nodes (four SessionFactories over one database) on one Redis Cluster, two workers each,
 * inserting, updating, deleting and reading random rows. Afterwards: Redis agrees with the database both ways, a
 * check-only Reconciler finds nothing, every local tier agrees with the database, and no node ever served a
 * version older than one it had already served, nor a row after serving its deletion.
 * {@code -Dcachesync.cluster.race.seconds=...} (default 8), {@code -Dcachesync.cluster.race.seed=...}.
 */
class ClusterFourNodesEndWithZeroDriftTest extends ClusterTestBase {

    private static final int NODES = 4;
    private static final int WORKERS_PER_NODE = 2;
    private static final int INITIAL_ROWS = 60;

    @Test
    void fourNodesWritingAndReadingEndWithZeroDriftAndNoVersionGoingBackwards() throws Exception {
        long seed = Long.getLong("cachesync.cluster.race.seed", System.nanoTime());
        long seconds = Long.getLong("cachesync.cluster.race.seconds", 8);
        System.out.println("[cluster race] seed " + seed + ", " + seconds + " s, " + NODES + " nodes");
        String db = TestNodes.newDatabase();
        List<SessionFactory> nodes = new ArrayList<>();
        try {
            for (int n = 0; n < NODES; n++) {
                nodes.add(TestNodes.node(db, redis.uri(), n == 0, s -> {
                    s.put("cachesync.repair.max-backoff", "300ms");
                    s.put("cachesync.redis.timeout", "1s"); // an MGET on a machine shared with other builds
                }));
            }
            List<CacheSync> syncs = nodes.stream().map(CacheSync::of).toList();
            waitUntil(() -> syncs.stream().allMatch(CacheSync::localTierServing), Duration.ofSeconds(10));
            for (long id = 0; id < INITIAL_ROWS; id++) {
                long n = id;
                nodes.get(0).inTransaction(s -> s.persist(new Account(n, "owner" + n, BigDecimal.ZERO)));
            }

            RandomisedRaceEndsWithZeroDriftTest.Counts counts = new RandomisedRaceEndsWithZeroDriftTest.Counts();
            AtomicLong nextId = new AtomicLong(INITIAL_ROWS);
            List<String> violations = new CopyOnWriteArrayList<>();
            List<ConcurrentHashMap<Long, Long>> served = new ArrayList<>();
            for (int n = 0; n < NODES; n++) {
                served.add(new ConcurrentHashMap<>());
            }
            AtomicBoolean running = new AtomicBoolean(true);
            CountDownLatch go = new CountDownLatch(1);
            ExecutorService pool = Executors.newFixedThreadPool(NODES * WORKERS_PER_NODE);
            List<Future<?>> tasks = new ArrayList<>();
            for (int w = 0; w < NODES * WORKERS_PER_NODE; w++) {
                int node = w % NODES;
                Random random = new Random(seed + w);
                tasks.add(pool.submit(() -> {
                    go.await();
                    while (running.get()) {
                        RandomisedRaceEndsWithZeroDriftTest.work(random, nodes.get(node), syncs.get(node),
                                served.get(node), node, nextId, counts, violations);
                    }
                    return null;
                }));
            }
            go.countDown();
            Thread.sleep(TimeUnit.SECONDS.toMillis(seconds));
            running.set(false);
            for (Future<?> task : tasks) {
                task.get(1, TimeUnit.MINUTES);
            }
            pool.shutdown();

            waitUntil(() -> syncs.stream().mapToInt(CacheSync::pendingRepairs).sum() == 0, Duration.ofSeconds(30));
            ReconciliationReport check = Reconciler.of(nodes.get(3)).checkOnly(true).run();
            System.out.printf("[cluster race] %d attempts: %d inserts, %d updates, %d deletes committed, %d "
                            + "conflicts, %d reads (%d found), %d violations; final check: %d consistent, %d drifted; "
                            + "keys per master %s%n", counts.attempts.sum(), counts.inserts.sum(), counts.updates.sum(),
                    counts.deletes.sum(), counts.conflicts.sum(), counts.reads.sum(), counts.readsFound.sum(),
                    violations.size(), check.consistent(), check.inconsistent() + check.missing() + check.orphaned(),
                    redis.cluster.keysPerMaster());

            assertTrue(violations.isEmpty(), String.join("\n", violations.subList(0, Math.min(20, violations.size()))));
            assertTrue(counts.committed() > 0 && counts.reads.sum() > 0);
            assertEquals(0, check.inconsistent() + check.missing() + check.orphaned(), check.toString());
            CacheAgreesWithDatabase.assertAgrees(nodes.get(1), true);
            waitUntil(() -> localTiersAgree(syncs, nextId.get()).isEmpty(), Duration.ofSeconds(5));
        } finally {
            for (int n = nodes.size() - 1; n >= 0; n--) {
                nodes.get(n).close();
            }
        }
    }

    /** Every entry any node's local tier would serve matches the database. */
    private static List<String> localTiersAgree(List<CacheSync> syncs, long maxId) {
        List<String> problems = new ArrayList<>();
        SyncedEntity entity = syncs.get(0).runtime().entity(Account.class);
        for (long id = 0; id < maxId; id++) {
            Optional<Snapshot> row = syncs.get(0).runtime().load(entity, id);
            for (int n = 0; n < syncs.size(); n++) {
                Optional<Snapshot> local = syncs.get(n).cache().localSnapshot(entity.schema(), id);
                if (local.isPresent() && !(row.isPresent() ? local.get().sameAs(row.get()) : local.get().tombstone())) {
                    problems.add("node " + n + " local Account#" + id + " " + local.get() + " vs database " + row);
                }
            }
        }
        return problems;
    }
}
