package io.cachesync.hibernate;

import io.cachesync.core.RedisLock;
import io.cachesync.testsupport.RedisExtension;
import io.cachesync.testsupport.TestRedis;
import org.hibernate.SessionFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The README's fencing recipe, run: a holder whose lease ran out (as after a long pause) writes after the next
 * holder did, and the database refuses it because its token is not greater than the last one it accepted. And
 * tokens keep increasing even when Redis loses the fence counter (a restart without persistence): a new counter
 * starts from the server's clock in microseconds, above any count a lost one reached.
 */
@ExtendWith(RedisExtension.class)
class FencingTokensLetTheDatabaseRefuseALateHolderTest {

    private static final String KEY = "{cachesync:lock:Account:5}";

    @Test
    void theDatabaseRefusesTheWriteOfAHolderWhoseLeaseRanOut(TestRedis redis) {
        try (TwoNodes nodes = new TwoNodes(redis.uri())) {
            nodes.a.inTransaction(s -> s.createNativeMutationQuery(
                    "create table fenced_balance (id bigint primary key, balance int, fence bigint)").executeUpdate());
            nodes.a.inTransaction(s -> s.createNativeMutationQuery(
                    "insert into fenced_balance values (5, 0, 0)").executeUpdate());

            RedisLock late = nodes.syncA.lock(Account.class, 5L);
            redis.commands().pexpire(KEY, 1); // its lease runs out while it is paused
            try (RedisLock next = nodes.syncB.tryLock(Account.class, 5L, Duration.ofSeconds(5)).orElseThrow()) {
                assertEquals(1, fencedWrite(nodes.b, 100, next.fencingToken()), "the current holder writes");
                assertEquals(0, fencedWrite(nodes.a, 666, late.fencingToken()), "the late holder is refused");
            }
            late.close();
            int balance = nodes.a.fromTransaction(s -> ((Number) s.createNativeQuery(
                    "select balance from fenced_balance where id = 5", Object.class).getSingleResult()).intValue());
            assertEquals(100, balance);
        }
    }

    @Test
    void tokensKeepIncreasingWhenRedisLosesTheFenceCounter(TestRedis redis) {
        try (TwoNodes nodes = new TwoNodes(redis.uri())) {
            long before;
            try (RedisLock lock = nodes.syncA.lock(Account.class, 5L)) {
                before = lock.fencingToken();
            }
            for (int i = 0; i < 50; i++) {
                try (RedisLock lock = (i % 2 == 0 ? nodes.syncA : nodes.syncB).lock(Account.class, 5L)) {
                    assertTrue(lock.fencingToken() > before);
                    before = lock.fencingToken();
                }
            }
            redis.commands().flushall(); // Redis restarted empty
            try (RedisLock lock = nodes.syncB.lock(Account.class, 5L)) {
                assertTrue(lock.fencingToken() > before, lock.fencingToken() + " after " + before);
            }
        }
    }

    /** {@code UPDATE ... WHERE fence < :token}: the write lands only with a token above the last accepted one. */
    private static int fencedWrite(SessionFactory sf, int balance, long token) {
        return sf.fromTransaction(s -> s.createNativeMutationQuery(
                        "update fenced_balance set balance = :balance, fence = :token where id = 5 and fence < :token")
                .setParameter("balance", balance).setParameter("token", token).executeUpdate());
    }
}
