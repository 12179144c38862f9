package io.cachesync.hibernate;

import io.cachesync.core.RedisLock;
import io.cachesync.testsupport.LogCapture;
import io.cachesync.testsupport.RedisExtension;
import io.cachesync.testsupport.TestRedis;
import org.hibernate.SessionFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Closing a SessionFactory that holds locks (their watchdogs running) and has a thread waiting for one releases
 * them in Redis at once (another node gets them without waiting for a lease), logs which they were, ends the wait,
 * and leaves no cachesync or Lettuce thread behind.
 */
@ExtendWith(RedisExtension.class)
class ClosingTheSessionFactoryReleasesItsLocksTest {

    private static Set<String> cacheThreads() {
        return Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive).map(Thread::getName)
                .filter(name -> name.startsWith("cachesync-") || name.startsWith("lettuce-"))
                .collect(Collectors.toSet());
    }

    @Test
    void heldLocksAreReleasedAndNoThreadIsLeft(TestRedis redis) throws Exception {
        Set<String> threadsBefore = cacheThreads();
        String db = TestNodes.newDatabase();
        // a patient Redis timeout: single attempts below must not fail for a loaded machine's slow answer
        SessionFactory closing = TestNodes.node(db, redis.uri(), true, s -> {
            s.put("cachesync.lock.lease", "2s");
            s.put("cachesync.redis.timeout", "500ms");
        });
        SessionFactory other = TestNodes.node(db, redis.uri(), false, s -> s.put("cachesync.redis.timeout", "500ms"));
        try (LogCapture logs = new LogCapture()) {
            CacheSync sync = CacheSync.of(closing);
            RedisLock one = sync.lock(Account.class, 1L);
            RedisLock two = sync.lock(Account.class, 2L);
            CompletableFuture<RedisLock> waiter = CompletableFuture.supplyAsync(
                    () -> sync.tryLock(Account.class, 1L, Duration.ofMinutes(1)).orElse(null));
            Thread.sleep(2_500); // past a lease: the watchdogs have renewed
            assertTrue(one.isHeld() && two.isHeld());

            closing.close();

            assertFalse(one.isHeld());
            assertFalse(two.isHeld());
            assertEquals(0, redis.commands().exists("{cachesync:lock:Account:1}", "{cachesync:lock:Account:2}"));
            try (RedisLock taken = CacheSync.of(other).tryLock(Account.class, 2L, Duration.ZERO).orElseThrow()) {
                assertTrue(taken.fencingToken() > two.fencingToken());
            }
            ExecutionException ended = assertThrows(ExecutionException.class, () -> waiter.get(5, TimeUnit.SECONDS));
            assertTrue(ended.getCause() instanceof IllegalStateException, ended.toString());
            assertEquals(1, logs.count("WARN", "cachesync closed while holding 2 lock(s)"), logs.text());
            one.close(); // after the close: a no-op, never an exception
        } finally {
            other.close();
        }
        RedisOutageNeverFailsACommitTest.waitUntil(() -> threadsBefore.containsAll(cacheThreads()),
                Duration.ofSeconds(10));
    }
}
