package io.cachesync.hibernate;

import io.cachesync.core.LockInternals;
import io.cachesync.core.RedisLock;
import io.cachesync.testsupport.LogCapture;
import io.cachesync.testsupport.RedisExtension;
import io.cachesync.testsupport.TestRedis;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Release and renewal are compare-and-delete / compare-and-expire on the owner token: another node's release or
 * renewal is refused and leaves the lock as it was; a holder whose lease ran out and whose lock went to another
 * node finds, at its next renewal, that it lost it (a WARN, {@code isHeld()} false), and its late release leaves the
 * new owner's lock alone.
 */
@ExtendWith(RedisExtension.class)
class OnlyTheOwnerReleasesOrRenewsALockTest {

    private static final String KEY = "{cachesync:lock:Account:7}";

    @Test
    void anotherNodesReleaseOrRenewalIsRefused(TestRedis redis) throws Exception {
        try (TwoNodes nodes = new TwoNodes(redis.uri(), s -> s.put("cachesync.redis.timeout", "1s"));
             RedisLock lock = nodes.syncA.lock(Account.class, 7L)) {
            String owner = LockInternals.owner(lock);
            long pttl = redis.commands().pttl(KEY);
            assertEquals(0, LockInternals.releaseAs(nodes.syncB.cache(), KEY, "not-" + owner), "release refused");
            assertEquals(0, LockInternals.renewAs(nodes.syncB.cache(), KEY, "not-" + owner), "renewal refused");
            assertEquals(owner, redis.commands().get(KEY), "the owner's lock stays");
            assertTrue(redis.commands().pttl(KEY) <= pttl, "not extended by the refused renewal");
            assertTrue(lock.isHeld());
            assertEquals(java.util.Optional.empty(), nodes.syncB.tryLock(Account.class, 7L, Duration.ZERO));
        }
        assertEquals(0, redis.commands().exists(KEY), "the owner's own release worked");
    }

    @Test
    void aLockThatExpiredAndWasTakenIsNeitherRenewedNorReleasedByItsFormerHolder(TestRedis redis) throws Exception {
        long lease = 1_500;
        try (TwoNodes nodes = new TwoNodes(redis.uri(), s -> {
            s.put("cachesync.lock.lease", lease + "ms");
            s.put("cachesync.redis.timeout", "500ms"); // single attempts: patient on a loaded machine
        });
             LogCapture logs = new LogCapture()) {
            RedisLock first = nodes.syncA.lock(Account.class, 7L);
            // the lease runs out behind the holder's back, as after a pause longer than the lease
            redis.commands().pexpire(KEY, 1);
            RedisLock second = nodes.syncB.tryLock(Account.class, 7L, Duration.ofSeconds(5)).orElseThrow();
            assertTrue(second.fencingToken() > first.fencingToken());
            String secondOwner = LockInternals.owner(second);
            assertNotEquals(LockInternals.owner(first), secondOwner);

            // the former holder's renewal, as its watchdog sends it, is refused
            assertEquals(0, LockInternals.renewAs(nodes.syncA.cache(), KEY, LockInternals.owner(first)));
            // and the watchdog itself finds out at its next tick (every lease / 3)
            RedisOutageNeverFailsACommitTest.waitUntil(() -> !first.isHeld(), Duration.ofMillis(lease * 2));
            assertEquals(1, logs.count("WARN", "cachesync lost lock Account#7 (owner token "
                    + LockInternals.owner(first)), logs.text());
            long pttl = redis.commands().pttl(KEY);
            assertTrue(pttl <= lease, "the new owner's lease, not extended by the former holder: " + pttl);

            first.close(); // a late release: must leave the new owner's lock alone
            assertEquals(secondOwner, redis.commands().get(KEY));
            assertTrue(second.isHeld());
            assertFalse(first.isHeld());
            second.close();
            assertEquals(0, redis.commands().exists(KEY));
        }
    }
}
