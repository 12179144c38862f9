package io.cachesync.hibernate;

import io.cachesync.core.LockInternals;
import io.cachesync.core.RedisLock;
import io.cachesync.testsupport.RedisExtension;
import io.cachesync.testsupport.TestRedis;
import org.hibernate.SessionFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The watchdog keeps a live holder's lock past its lease; a holder that dies for real (its JVM SIGKILLed, its
 * connection dropped with it) frees the lock when the lease Redis last granted runs out, not before; the next
 * holder, on another node, gets a larger fencing token. A holder whose connection is cut but which is alive keeps
 * its lock.
 */
@ExtendWith(RedisExtension.class)
class DeadLockHolderFreesTheLockOnlyAfterItsLeaseTest {

    private static final long LEASE_MILLIS = 3_000;
    private static final String KEY = "{cachesync:lock:Account:42}";

    @Test
    void aKilledHolderFreesTheLockWhenItsLeaseRunsOut(TestRedis redis) throws Exception {
        SessionFactory sf = TestNodes.node(TestNodes.newDatabase(), redis.uri(), true,
                s -> s.put("cachesync.redis.timeout", "1s")); // single attempts: patient on a loaded machine
        Process holder = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), LockHolderProcess.class.getName(), redis.uri(),
                Long.toString(LEASE_MILLIS), "42").redirectErrorStream(true).start();
        try {
            CacheSync sync = CacheSync.of(sf);
            long holderToken = awaitLocked(holder);

            // alive: its watchdog renews past the lease
            Thread.sleep(LEASE_MILLIS + LEASE_MILLIS / 2);
            assertEquals(Optional.empty(), sync.tryLock(Account.class, 42L, Duration.ZERO), "still held");
            long pttlBefore = redis.commands().pttl(KEY);
            assertTrue(pttlBefore > LEASE_MILLIS / 3, "renewed by the watchdog: " + pttlBefore + " ms left");

            holder.destroyForcibly(); // SIGKILL: no unlock, no more renewals, the socket closed by the kernel
            assertTrue(holder.waitFor(10, TimeUnit.SECONDS));
            long killedAt = System.nanoTime();
            long pttlAtKill = redis.commands().pttl(KEY);
            assertTrue(pttlAtKill > 0, "the lock outlives its holder until the lease runs out: " + pttlAtKill);
            assertEquals(Optional.empty(), sync.tryLock(Account.class, 42L, Duration.ZERO), "not freed at once");

            try (RedisLock lock = sync.tryLock(Account.class, 42L, Duration.ofMillis(3 * LEASE_MILLIS)).orElseThrow()) {
                long waited = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killedAt);
                assertTrue(waited >= pttlAtKill - 50, "acquired after " + waited + " ms, before the lease ran out ("
                        + pttlAtKill + " ms left at the kill)");
                assertTrue(waited <= LEASE_MILLIS + 1_500, "acquired " + waited + " ms after the kill");
                assertTrue(lock.fencingToken() > holderToken, lock.fencingToken() + " after " + holderToken);
                System.out.printf("[locks] holder killed with %d ms of its %d ms lease left; another node got the lock "
                                + "%d ms later, fencing token %d > %d%n", pttlAtKill, LEASE_MILLIS, waited,
                        lock.fencingToken(), holderToken);
            }
        } finally {
            holder.destroyForcibly();
            sf.close();
        }
    }

    @Test
    void aLiveHolderWhoseConnectionIsCutKeepsItsLock(TestRedis redis) throws Exception {
        SessionFactory a = TestNodes.node(TestNodes.newDatabase(), redis.uri(), true,
                s -> {
                    s.put("cachesync.lock.lease", LEASE_MILLIS + "ms");
                    s.put("cachesync.redis.timeout", "1s");
                });
        try (RedisLock lock = CacheSync.of(a).lock(Account.class, 42L)) {
            for (int cut = 0; cut < 3; cut++) {
                redis.commands().clientKill(io.lettuce.core.KillArgs.Builder.typeNormal().skipme());
                Thread.sleep(LEASE_MILLIS / 2);
            }
            Thread.sleep(LEASE_MILLIS);
            assertTrue(lock.isHeld(), "renewed over the new connection");
            assertEquals(LockInternals.owner(lock), redis.commands().get(KEY));
        } finally {
            a.close();
        }
    }

    private static long awaitLocked(Process holder) throws Exception {
        BufferedReader out = new BufferedReader(new InputStreamReader(holder.getInputStream(), StandardCharsets.UTF_8));
        CompletableFuture<Long> token = CompletableFuture.supplyAsync(() -> {
            try {
                StringBuilder seen = new StringBuilder();
                for (String line; (line = out.readLine()) != null; ) {
                    if (line.startsWith("LOCKED ")) {
                        return Long.parseLong(line.substring("LOCKED ".length()).trim());
                    }
                    seen.append(line).append('\n');
                }
                throw new IllegalStateException("the holder process ended without the lock:\n" + seen);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        long value = token.get(60, TimeUnit.SECONDS);
        // keep draining its output so that the process never blocks on a full pipe
        CompletableFuture.runAsync(() -> {
            try {
                while (out.readLine() != null) {
                    // discard
                }
            } catch (java.io.IOException e) {
                // the process died
            }
        });
        return value;
    }
}
