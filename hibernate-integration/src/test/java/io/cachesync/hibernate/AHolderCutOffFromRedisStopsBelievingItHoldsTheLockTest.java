package io.cachesync.hibernate;

import io.cachesync.core.RedisLock;
import io.cachesync.core.RedisUnavailableException;
import io.cachesync.testsupport.LocalRedisServer;
import io.cachesync.testsupport.LogCapture;
import org.hibernate.SessionFactory;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A holder that can no longer renew (Redis killed) stops answering {@code isHeld()} with true once the lease it
 * last got runs out, not later, and says so at WARN; with Redis gone, lock and tryLock throw
 * {@link RedisUnavailableException} rather than pretend the lock is held elsewhere.
 */
class AHolderCutOffFromRedisStopsBelievingItHoldsTheLockTest {

    @Test
    void isHeldTurnsFalseWhenTheLeaseRunsOutWithoutARenewal() throws Exception {
        long lease = 1_200;
        try (LocalRedisServer redis = LocalRedisServer.start(); LogCapture logs = new LogCapture()) {
            SessionFactory sf = TestNodes.node(TestNodes.newDatabase(), redis.uri(), true, s -> {
                s.put("cachesync.lock.lease", lease + "ms");
                s.put("cachesync.lock.wait", "300ms");
            });
            try {
                CacheSync sync = CacheSync.of(sf);
                RedisLock lock = sync.lock(Account.class, 3L);
                Thread.sleep(lease / 2);
                assertTrue(lock.isHeld());
                redis.kill();
                long killedAt = System.nanoTime();
                RedisOutageNeverFailsACommitTest.waitUntil(() -> !lock.isHeld(), Duration.ofMillis(3 * lease));
                long after = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killedAt);
                assertTrue(after <= lease + 200, "believed held " + after + " ms after Redis went away");
                RedisOutageNeverFailsACommitTest.waitUntil(() -> logs.count("WARN", "cachesync lost lock Account#3") == 1,
                        Duration.ofMillis(2 * lease));
                assertTrue(logs.text().contains("its lease ran out before a renewal succeeded"), logs.text());

                assertThrows(RedisUnavailableException.class, () -> sync.lock(Account.class, 4L));
                assertThrows(RedisUnavailableException.class,
                        () -> sync.tryLock(Account.class, 4L, Duration.ofMillis(100)));
                lock.close(); // cannot reach Redis: a WARN, never an exception
                assertFalse(lock.isHeld());
                assertEquals(0, logs.count("ERROR", ""), logs.text());
                System.out.printf("[locks] Redis killed under a holder with a %d ms lease: isHeld() false %d ms "
                        + "later%n", lease, after);
            } finally {
                sf.close();
            }
        }
    }
}
