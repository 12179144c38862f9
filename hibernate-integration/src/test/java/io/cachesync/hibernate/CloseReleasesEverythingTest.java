package io.cachesync.hibernate;

import io.cachesync.testsupport.RedisExtension;
import io.cachesync.testsupport.TestRedis;
import org.hibernate.SessionFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.Set;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Closing the SessionFactory closes every Redis connection and thread that cachesync opened. */
@ExtendWith(RedisExtension.class)
class CloseReleasesEverythingTest {

    private static Set<String> cacheThreads() {
        return Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive).map(Thread::getName)
                .filter(name -> name.startsWith("cachesync-") || name.startsWith("lettuce-"))
                .collect(Collectors.toSet());
    }

    private static long clients(TestRedis redis) {
        return redis.commands().clientList().lines().count();
    }

    @Test
    void noThreadOrConnectionOutlivesTheSessionFactory(TestRedis redis) throws Exception {
        Set<String> threadsBefore = cacheThreads();
        long clientsBefore = clients(redis);

        SessionFactory sf = TestNodes.node(TestNodes.newDatabase(), redis.uri(), true);
        sf.inTransaction(s -> s.persist(new Account(1, "ann", BigDecimal.ONE)));
        CacheSync.of(sf).find(Account.class, 1L);
        assertEquals(clientsBefore + 2, clients(redis), "a command and a pub/sub connection while open");
        sf.close();

        RedisOutageNeverFailsACommitTest.waitUntil(() -> clients(redis) == clientsBefore, Duration.ofSeconds(5));
        RedisOutageNeverFailsACommitTest.waitUntil(() -> threadsBefore.containsAll(cacheThreads()),
                Duration.ofSeconds(10));
        assertThrows(IllegalStateException.class, () -> CacheSync.of(sf));
    }
}
