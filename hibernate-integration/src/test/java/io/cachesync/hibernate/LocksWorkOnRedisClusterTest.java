package io.cachesync.hibernate;

import io.cachesync.core.RedisLock;
import org.hibernate.SessionFactory;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Locks on a real Redis Cluster (three masters, three replicas, {@code redis-cluster://}): two nodes, four
 * threads, increments of rows whose lock keys sit on every master, under the lock; no update lost, fencing tokens
 * increasing per key in holding order, and every lock key and its fence counter on one master.
 */
class LocksWorkOnRedisClusterTest {

    @Test
    void lockedIncrementsOnEveryMasterLoseNothing() throws Exception {
        try (TestCluster redis = TestCluster.start();
             TwoNodes nodes = new TwoNodes(redis.uri(), s -> s.put("cachesync.lock.wait", "2m"))) {
            List<Long> ids = List.of(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L);
            for (long id : ids) {
                nodes.a.inTransaction(s -> s.persist(new Account(id, "owner" + id, BigDecimal.ZERO)));
            }
            Set<Integer> masters = new java.util.HashSet<>();
            for (long id : ids) {
                masters.add(redis.cluster.masterOf("{cachesync:lock:Account:" + id + "}").port());
            }
            assertEquals(3, masters.size(), "the ids' locks cover every master");

            int perThread = 60;
            Map<Long, List<Long>> tokens = new HashMap<>();
            ids.forEach(id -> tokens.put(id, new ArrayList<>()));
            ExecutorService pool = Executors.newFixedThreadPool(4);
            List<Future<?>> workers = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                SessionFactory sf = t % 2 == 0 ? nodes.a : nodes.b;
                CacheSync sync = t % 2 == 0 ? nodes.syncA : nodes.syncB;
                int first = t;
                workers.add(pool.submit(() -> {
                    for (int i = 0; i < perThread; i++) {
                        long id = ids.get((first + i) % ids.size());
                        try (RedisLock lock = sync.lock(Account.class, id)) {
                            List<Long> seen = tokens.get(id);
                            synchronized (seen) {
                                seen.add(lock.fencingToken());
                            }
                            sf.inTransaction(s -> {
                                Account account = s.find(Account.class, id);
                                account.setBalance(account.getBalance().add(BigDecimal.ONE));
                            });
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> worker : workers) {
                worker.get(5, TimeUnit.MINUTES);
            }
            pool.shutdown();
            long total = 0;
            for (long id : ids) {
                BigDecimal balance = nodes.a.fromTransaction(s -> s.find(Account.class, id).getBalance());
                List<Long> seen = tokens.get(id);
                assertEquals(0, BigDecimal.valueOf(seen.size()).compareTo(balance), "Account#" + id + ": " + balance);
                for (int i = 1; i < seen.size(); i++) {
                    assertTrue(seen.get(i) > seen.get(i - 1), "Account#" + id + " tokens " + seen);
                }
                assertEquals(redis.cluster.masterOf("{cachesync:lock:Account:" + id + "}").port(),
                        redis.cluster.masterOf("{cachesync:lock:Account:" + id + "}:fence").port());
                total += balance.longValue();
            }
            assertEquals(4L * perThread, total);
            try (RedisLock lock = nodes.syncB.tryLock(Account.class, 1L, Duration.ZERO).orElseThrow()) {
                assertTrue(lock.isHeld());
            }
            System.out.printf("[locks] Redis Cluster: %d locked increments by 4 threads on 2 nodes over %d rows on 3 "
                    + "masters; none lost, tokens increasing per key%n", total, ids.size());
        }
    }
}
