package io.cachesync.hibernate;

import io.cachesync.testsupport.RedisExtension;
import io.cachesync.testsupport.TestRedis;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.math.BigDecimal;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Invariant 4: node A's commit reaches node B's local tier through the invalidation channel. Node A reads its
 * own write at once; node B serves the old version only until the invalidation arrives. Prints the propagation
 * delay over 1,000 updates.
 */
@ExtendWith(RedisExtension.class)
class OtherNodesSeeACommitOnceTheInvalidationLandsTest {

    @Test
    void nodeBSeesEveryUpdateOfNodeAWithinMilliseconds(TestRedis redis) throws Exception {
        try (TwoNodes nodes = new TwoNodes(redis.uri()).ready()) {
            nodes.a.inTransaction(s -> s.persist(new Account(1, "ann", BigDecimal.ZERO)));
            int updates = 1000;
            long[] delays = new long[updates];
            long staleReads = 0;
            for (int i = 1; i <= updates; i++) {
                assertEquals(i - 1, nodes.syncB.find(Account.class, 1L).orElseThrow().getVersion());
                BigDecimal balance = BigDecimal.valueOf(i);
                nodes.a.inTransaction(s -> s.find(Account.class, 1L).setBalance(balance));
                long committed = System.nanoTime();
                assertEquals(i, nodes.syncA.find(Account.class, 1L).orElseThrow().getVersion(),
                        "the committing node reads its own write at once");
                long deadline = committed + 5_000_000_000L;
                Account seen;
                while ((seen = nodes.syncB.find(Account.class, 1L).orElseThrow()).getVersion() < i) {
                    staleReads++;
                    assertTrue(System.nanoTime() < deadline, "node B still serves v" + seen.getVersion());
                    Thread.onSpinWait();
                }
                delays[i - 1] = System.nanoTime() - committed;
                assertEquals(0, balance.compareTo(seen.getBalance()));
            }
            Arrays.sort(delays);
            System.out.printf("[propagation] %d updates on node A seen by node B: p50 %.3f ms, p99 %.3f ms, max %.3f ms "
                            + "(%d reads of the old version while the invalidation was in flight)%n", updates,
                    delays[updates / 2] / 1e6, delays[updates * 99 / 100] / 1e6, delays[updates - 1] / 1e6, staleReads);
            CacheAgreesWithDatabase.assertAgrees(nodes.a, true);
        }
    }

    @Test
    void aDeleteOnNodeAIsSeenByNodeB(TestRedis redis) throws Exception {
        try (TwoNodes nodes = new TwoNodes(redis.uri()).ready()) {
            nodes.a.inTransaction(s -> s.persist(new Account(2, "bob", BigDecimal.ONE)));
            assertTrue(nodes.syncB.find(Account.class, 2L).isPresent());
            nodes.a.inTransaction(s -> s.remove(s.find(Account.class, 2L)));
            RedisOutageNeverFailsACommitTest.waitUntil(() -> nodes.syncB.find(Account.class, 2L).isEmpty(),
                    java.time.Duration.ofSeconds(5));
            assertTrue(nodes.syncA.find(Account.class, 2L).isEmpty());
        }
    }
}
