package io.cachesync.hibernate;

import io.cachesync.core.CacheSyncMetrics;
import io.cachesync.core.LockTimeoutException;
import io.cachesync.core.RedisLock;
import io.cachesync.testsupport.RedisExtension;
import io.cachesync.testsupport.TestRedis;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * While another node holds a lock, {@code tryLock(wait)} comes back empty once the wait is over (not much later),
 * and the blocking {@code lock} throws a {@link LockTimeoutException} that names the entity, the id and the wait
 * ({@code cachesync.lock.wait}). Both are counted.
 */
@ExtendWith(RedisExtension.class)
class LockWaitsEndOnTimeTest {

    @Test
    void tryLockGivesUpAfterItsWaitAndLockThrowsANamedException(TestRedis redis) {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (TwoNodes nodes = new TwoNodes(redis.uri(), s -> {
            s.put("cachesync.lock.wait", "300ms");
            // a loaded build machine can hold one Redis answer past the default 200 ms, which would make the
            // attempt a RedisUnavailableException (by design) instead of the contention this test is about
            s.put("cachesync.redis.timeout", "1s");
            s.put("cachesync.metrics.registry", registry);
        }); RedisLock held = nodes.syncA.lock(Account.class, 42L)) {
            for (long waitMillis : new long[]{0, 200, 700}) {
                long start = System.nanoTime();
                Optional<RedisLock> none = nodes.syncB.tryLock(Account.class, 42L, Duration.ofMillis(waitMillis));
                long took = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
                assertEquals(Optional.empty(), none);
                assertTrue(took >= waitMillis, "gave up after " + took + " ms of a " + waitMillis + " ms wait");
                assertTrue(took < waitMillis + 2_000, "gave up " + took + " ms into a " + waitMillis + " ms wait");
                System.out.printf("[locks] tryLock with a %d ms wait came back empty after %d ms%n", waitMillis, took);
            }
            long start = System.nanoTime();
            LockTimeoutException e = assertThrows(LockTimeoutException.class,
                    () -> nodes.syncB.lock(Account.class, 42L));
            long took = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertTrue(took >= 300 && took < 2_300, took + " ms");
            assertEquals("Account", e.entityName());
            assertEquals("42", e.id());
            assertTrue(e.waited().toMillis() >= 300, e.waited().toString());
            assertTrue(e.getMessage().startsWith("cachesync could not lock Account#42 within " + e.waited().toMillis()
                    + " ms"), e.getMessage());
            assertTrue(e.getMessage().contains("held by another owner"), e.getMessage());
            assertTrue(held.isHeld());
            assertEquals(4.0, registry.find(CacheSyncMetrics.LOCKS_TIMEOUTS).functionCounters().stream()
                    .mapToDouble(c -> c.count()).sum());
            assertEquals(1.0, registry.find(CacheSyncMetrics.LOCKS_ACQUIRED).functionCounters().stream()
                    .mapToDouble(c -> c.count()).sum());
            assertEquals(1.0, registry.find(CacheSyncMetrics.LOCKS_HELD).gauges().stream()
                    .mapToDouble(g -> g.value()).sum());
        }
    }
}
