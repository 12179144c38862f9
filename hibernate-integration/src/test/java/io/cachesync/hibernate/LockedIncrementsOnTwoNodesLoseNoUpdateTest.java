package io.cachesync.hibernate;

import io.cachesync.core.RedisLock;
import io.cachesync.testsupport.RedisExtension;
import io.cachesync.testsupport.TestRedis;
import org.hibernate.SessionFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two nodes, eight threads, read-modify-write of one row's balance and of an in-memory counter under
 * {@code CacheSync.lock}: no increment is lost, no two holders are ever inside at once, no optimistic-lock
 * failure happens (it would mean two transactions overlapped), and the fencing tokens, in the order the holders
 * ran, strictly increase across both nodes.
 */
@ExtendWith(RedisExtension.class)
class LockedIncrementsOnTwoNodesLoseNoUpdateTest {

    private static final int THREADS_PER_NODE = 4;
    private static final int INCREMENTS_PER_THREAD = Integer.getInteger("cachesync.lock.increments", 300);

    /** Read and written in two steps with a yield between: an overlap of two holders loses an increment. */
    private volatile long unguardedCounter;

    @Test
    void everyIncrementLandsAndHoldersNeverOverlap(TestRedis redis) throws Exception {
        try (TwoNodes nodes = new TwoNodes(redis.uri(), s -> s.put("cachesync.lock.wait", "2m"))) {
            nodes.a.inTransaction(s -> s.persist(new Account(1, "ann", BigDecimal.ZERO)));
            AtomicInteger inside = new AtomicInteger();
            AtomicInteger mostInside = new AtomicInteger();
            List<Long> tokensInOrder = new ArrayList<>();
            ExecutorService pool = Executors.newFixedThreadPool(2 * THREADS_PER_NODE);
            List<Future<?>> workers = new ArrayList<>();
            long started = System.nanoTime();
            for (int t = 0; t < 2 * THREADS_PER_NODE; t++) {
                SessionFactory sf = t % 2 == 0 ? nodes.a : nodes.b;
                CacheSync sync = t % 2 == 0 ? nodes.syncA : nodes.syncB;
                workers.add(pool.submit(() -> {
                    for (int i = 0; i < INCREMENTS_PER_THREAD; i++) {
                        try (RedisLock lock = sync.lock(Account.class, 1L)) {
                            mostInside.accumulateAndGet(inside.incrementAndGet(), Math::max);
                            synchronized (tokensInOrder) {
                                tokensInOrder.add(lock.fencingToken());
                            }
                            sf.inTransaction(s -> {
                                Account account = s.find(Account.class, 1L);
                                account.setBalance(account.getBalance().add(BigDecimal.ONE));
                            });
                            long read = unguardedCounter;
                            Thread.yield();
                            unguardedCounter = read + 1;
                            assertTrue(lock.isHeld(), "held throughout a short critical section");
                            inside.decrementAndGet();
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> worker : workers) {
                worker.get(10, TimeUnit.MINUTES); // rethrows any OptimisticLockException or LockTimeoutException
            }
            pool.shutdown();
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
            int total = 2 * THREADS_PER_NODE * INCREMENTS_PER_THREAD;

            assertEquals(1, mostInside.get(), "never two holders inside at once");
            assertEquals(total, unguardedCounter, "no in-memory increment lost");
            BigDecimal balance = nodes.a.fromTransaction(s -> s.find(Account.class, 1L).getBalance());
            assertEquals(0, BigDecimal.valueOf(total).compareTo(balance), "no database increment lost: " + balance);
            assertEquals(total, tokensInOrder.size());
            for (int i = 1; i < tokensInOrder.size(); i++) {
                assertTrue(tokensInOrder.get(i) > tokensInOrder.get(i - 1),
                        "fencing tokens increase in holding order at " + i + ": " + tokensInOrder.get(i - 1) + " then "
                                + tokensInOrder.get(i));
            }
            assertEquals(0, redis.commands().exists("{cachesync:lock:Account:1}"), "released at the end");
            System.out.printf("[locks] %d increments by %d threads on 2 nodes in %d ms (%.0f lock cycles/s): "
                            + "balance %s, in-memory counter %d, at most %d holder inside, fencing tokens %d..%d "
                            + "strictly increasing%n", total, 2 * THREADS_PER_NODE, millis, total * 1000.0 / millis,
                    balance.toPlainString(), unguardedCounter, mostInside.get(), tokensInOrder.get(0),
                    tokensInOrder.get(total - 1));
        }
    }
}
