package io.cachesync.hibernate;

import io.cachesync.core.Snapshot;
import io.cachesync.testsupport.RedisExtension;
import io.cachesync.testsupport.TestRedis;
import jakarta.persistence.OptimisticLockException;
import org.hibernate.SessionFactory;
import org.hibernate.StaleStateException;
import io.cachesync.core.CacheSyncSettings;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The read path under real interleaving: 8 readers (4 per node) call {@code find} while 4 writers (2 per node)
 * update, delete and insert random rows, with random delays injected between each database commit and its push.
 * No node ever serves a version older than one it has served before, nor a deleted row after serving its
 * deletion; after quiescence Redis and both local tiers agree with the database on every key. Run in both push
 * modes: in async mode the pushes of many transactions share a round trip and land later.
 */
@ExtendWith(RedisExtension.class)
class ConcurrentReadersNeverSeeTimeGoBackwardsTest {

    private static final long DELETED = Long.MAX_VALUE;
    private static final int INITIAL_ROWS = 40;

    @ParameterizedTest
    @EnumSource(CacheSyncSettings.PushMode.class)
    void readsStayMonotonicAndEveryTierConvergesOnTheDatabase(CacheSyncSettings.PushMode mode, TestRedis redis)
            throws Exception {
        long seed = Long.getLong("cachesync.race.seed", System.nanoTime());
        int writesPerWriter = Integer.getInteger("cachesync.race.writes", 600);
        System.out.println("[race] " + mode + " push, seed " + seed + " (rerun with -Dcachesync.race.seed=" + seed
                + ")");
        try (TwoNodes nodes = new TwoNodes(redis.uri(),
                s -> s.put(CacheSyncSettings.PUSH_MODE, mode.name().toLowerCase())).ready()) {
            for (long id = 0; id < INITIAL_ROWS; id++) {
                long n = id;
                nodes.a.inTransaction(s -> s.persist(new Account(n, "owner" + n, BigDecimal.ZERO)));
            }
            Runnable delay = () -> {
                int r = ThreadLocalRandom.current().nextInt(10);
                if (r < 4) {
                    sleepMicros(ThreadLocalRandom.current().nextInt(r == 0 ? 5_000 : 500));
                }
            };
            nodes.syncA.runtime().beforePush = delay;
            nodes.syncB.runtime().beforePush = delay;

            AtomicLong nextId = new AtomicLong(INITIAL_ROWS);
            AtomicLong updates = new AtomicLong();
            AtomicLong deletes = new AtomicLong();
            AtomicLong inserts = new AtomicLong();
            AtomicLong conflicts = new AtomicLong();
            AtomicLong reads = new AtomicLong();
            AtomicLong hits = new AtomicLong();
            List<String> violations = new java.util.concurrent.CopyOnWriteArrayList<>();
            List<ConcurrentHashMap<Long, Long>> servedByNode = List.of(new ConcurrentHashMap<>(), new ConcurrentHashMap<>());
            AtomicBoolean writing = new AtomicBoolean(true);
            CountDownLatch go = new CountDownLatch(1);
            ExecutorService pool = Executors.newFixedThreadPool(12);
            List<Future<?>> writers = new ArrayList<>();
            for (int w = 0; w < 4; w++) {
                SessionFactory node = w % 2 == 0 ? nodes.a : nodes.b;
                Random random = new Random(seed + w);
                writers.add(pool.submit(() -> {
                    go.await();
                    for (int op = 0; op < writesPerWriter; op++) {
                        long id = random.nextInt((int) nextId.get());
                        int kind = random.nextInt(100);
                        try {
                            if (kind < 80) {
                                BigDecimal balance = BigDecimal.valueOf(random.nextInt(1_000_000), 2);
                                node.inTransaction(s -> {
                                    Account a = s.find(Account.class, id);
                                    if (a != null) {
                                        a.setBalance(balance);
                                    }
                                });
                                updates.incrementAndGet();
                            } else if (kind < 90) {
                                node.inTransaction(s -> {
                                    Account a = s.find(Account.class, id);
                                    if (a != null) {
                                        s.remove(a);
                                    }
                                });
                                deletes.incrementAndGet();
                            } else {
                                long fresh = nextId.getAndIncrement();
                                node.inTransaction(s -> s.persist(new Account(fresh, "new" + fresh, BigDecimal.ONE)));
                                inserts.incrementAndGet();
                            }
                        } catch (OptimisticLockException | StaleStateException e) {
                            conflicts.incrementAndGet();
                        } catch (RuntimeException e) {
                            if (e.getCause() instanceof StaleStateException
                                    || e instanceof jakarta.persistence.PersistenceException) {
                                conflicts.incrementAndGet();
                            } else {
                                throw e;
                            }
                        }
                    }
                    return null;
                }));
            }
            List<Future<?>> readers = new ArrayList<>();
            for (int r = 0; r < 8; r++) {
                int nodeIndex = r % 2;
                CacheSync sync = nodeIndex == 0 ? nodes.syncA : nodes.syncB;
                ConcurrentHashMap<Long, Long> served = servedByNode.get(nodeIndex);
                readers.add(pool.submit(() -> {
                    go.await();
                    while (writing.get()) {
                        long id = ThreadLocalRandom.current().nextLong(nextId.get());
                        long before = served.getOrDefault(id, -1L);
                        Optional<Account> found = sync.find(Account.class, id);
                        reads.incrementAndGet();
                        if (found.isPresent()) {
                            hits.incrementAndGet();
                            long version = found.get().getVersion();
                            if (before == DELETED) {
                                violations.add("node " + nodeIndex + " served Account#" + id + " v" + version
                                        + " after serving its deletion");
                            } else if (version < before) {
                                violations.add("node " + nodeIndex + " served Account#" + id + " v" + version
                                        + " after v" + before);
                            }
                            served.merge(id, version, Math::max);
                        } else if (before >= 0) {
                            served.put(id, DELETED);
                        }
                    }
                    return null;
                }));
            }
            long start = System.nanoTime();
            go.countDown();
            for (Future<?> writer : writers) {
                writer.get(5, TimeUnit.MINUTES);
            }
            writing.set(false);
            for (Future<?> reader : readers) {
                reader.get(1, TimeUnit.MINUTES);
            }
            pool.shutdown();
            long millis = (System.nanoTime() - start) / 1_000_000;
            nodes.syncA.runtime().beforePush = null;
            nodes.syncB.runtime().beforePush = null;

            System.out.printf("[race] %d ms: %d updates, %d deletes, %d inserts (%d optimistic-lock conflicts rolled "
                            + "back), %d reads (%d found) on two nodes; %d violations%n", millis, updates.get(),
                    deletes.get(), inserts.get(), conflicts.get(), reads.get(), hits.get(), violations.size());
            assertTrue(violations.isEmpty(), String.join("\n", violations.subList(0, Math.min(20, violations.size()))));
            // a push that timed out under load is retried from the repair queue: quiescence includes those
            RedisOutageNeverFailsACommitTest.waitUntil(() -> nodes.syncA.asyncPushBacklog()
                    + nodes.syncB.asyncPushBacklog() + nodes.syncA.pendingRepairs() + nodes.syncB.pendingRepairs() == 0,
                    Duration.ofSeconds(30));
            CacheAgreesWithDatabase.assertAgrees(nodes.a, true);
            RedisOutageNeverFailsACommitTest.waitUntil(() -> localTiersAgree(nodes, nextId.get()).isEmpty(),
                    Duration.ofSeconds(5));
        }
    }

    /** Every entry a node's local tier would serve matches the database. */
    static List<String> localTiersAgree(TwoNodes nodes, long maxId) {
        List<String> problems = new ArrayList<>();
        SyncedEntity entity = nodes.syncA.runtime().entity(Account.class);
        for (long id = 0; id < maxId; id++) {
            Optional<Snapshot> row = nodes.syncA.runtime().load(entity, id);
            for (CacheSync sync : List.of(nodes.syncA, nodes.syncB)) {
                Optional<Snapshot> local = sync.cache().localSnapshot(entity.schema(), id);
                if (local.isEmpty()) {
                    continue;
                }
                boolean agrees = row.isPresent() ? local.get().sameAs(row.get()) : local.get().tombstone();
                if (!agrees) {
                    problems.add("local Account#" + id + " " + local.get() + " vs database " + row);
                }
            }
        }
        return problems;
    }

    private static void sleepMicros(long micros) {
        try {
            TimeUnit.MICROSECONDS.sleep(micros);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
