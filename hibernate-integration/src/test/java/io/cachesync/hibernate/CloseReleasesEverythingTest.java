package io.cachesync.hibernate;

import io.cachesync.testsupport.LocalRedisServer;
import io.cachesync.testsupport.LogCapture;
import io.cachesync.testsupport.RedisExtension;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.cachesync.testsupport.TestRedis;
import org.hibernate.SessionFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Closing the SessionFactory closes every Redis connection and thread that cachesync opened, even while threads
 * are committing and Redis is holding their pushes; the keys that never reached Redis are logged.
 */
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

    @Test
    void closingDuringAWriteLoadLeaksNothingAndLogsTheKeysNeverPushed() throws Exception {
        try (LocalRedisServer redis = LocalRedisServer.start(); LogCapture logs = new LogCapture()) {
            RedisClient admin = RedisClient.create(redis.uri());
            try (StatefulRedisConnection<String, String> adminConnection = admin.connect()) {
                Set<String> threadsBefore = cacheThreads(); // the test's own client has its threads by now
                long clientsBefore = adminConnection.sync().clientList().lines().count();
                SessionFactory sf = TestNodes.node(TestNodes.newDatabase(), redis.uri(), true, s -> {
                    s.put("cachesync.redis.timeout", "200ms");
                    s.put("cachesync.redis.breaker.failures", "1000000"); // keep sending: pushes pile up in Redis
                });
                CacheSync sync = CacheSync.of(sf);
                for (long id = 0; id < 40; id++) {
                    long n = id;
                    sf.inTransaction(s -> s.persist(new Account(n, "owner" + n, BigDecimal.ZERO)));
                }
                AtomicLong committed = new AtomicLong();
                AtomicLong refusedAfterClose = new AtomicLong();
                ExecutorService pool = Executors.newFixedThreadPool(4);
                List<Future<?>> writers = new ArrayList<>();
                for (int t = 0; t < 4; t++) {
                    long first = t * 10L;
                    writers.add(pool.submit(() -> {
                        for (int i = 1; ; i++) {
                            long id = first + i % 10;
                            BigDecimal balance = BigDecimal.valueOf(i);
                            try {
                                sf.inTransaction(s -> s.find(Account.class, id).setBalance(balance));
                                committed.incrementAndGet();
                                sync.find(Account.class, id);
                            } catch (IllegalStateException e) {
                                refusedAfterClose.incrementAndGet(); // Hibernate: the factory is closed
                                return null;
                            }
                        }
                    }));
                }
                Thread.sleep(300);
                // scripts wait while writes are paused, GET and CLIENT LIST do not: pushes pile up unanswered
                client(adminConnection, "PAUSE", "2000", "WRITE");
                Thread.sleep(600);
                int pendingAtClose = sync.pendingRepairs();
                sf.close();
                for (Future<?> writer : writers) {
                    writer.get(1, TimeUnit.MINUTES);
                }
                pool.shutdown();
                client(adminConnection, "UNPAUSE");

                RedisOutageNeverFailsACommitTest.waitUntil(
                        () -> adminConnection.sync().clientList().lines().count() == clientsBefore, Duration.ofSeconds(10));
                RedisOutageNeverFailsACommitTest.waitUntil(() -> threadsBefore.containsAll(cacheThreads()),
                        Duration.ofSeconds(10));
                Matcher closedWith = Pattern.compile("cachesync closed with (\\d+) keys never pushed to Redis \\((Account#\\d+ v\\d+)")
                        .matcher(logs.text());
                assertTrue(closedWith.find(), "the keys never pushed are logged at close:\n" + logs.text());
                long logged = Long.parseLong(closedWith.group(1));
                assertTrue(logged > 0, closedWith.group());
                // every push that failed is named: queued and listed at close, or logged on its own after it
                assertTrue(logs.count("WARN", "push failed for") + logs.count("WARN", "closed before")
                        + logs.count("WARN", "cachesync is closed;") >= 1, logs.text());
                System.out.printf("[close-under-load] %d commits by 4 threads, SessionFactory closed mid-load with "
                                + "Redis holding writes: %d keys pending just before close, %d logged as never pushed "
                                + "(e.g. %s); %d commits refused by the closed factory; no cachesync/lettuce thread "
                                + "and no Redis client left%n", committed.get(), pendingAtClose, logged,
                        closedWith.group(2), refusedAfterClose.get());
            } finally {
                admin.shutdown();
            }
        }
    }

    /** CLIENT subcommands that Lettuce's API does not have (PAUSE ... WRITE, UNPAUSE). */
    private static void client(StatefulRedisConnection<String, String> connection, String... args) {
        io.lettuce.core.codec.StringCodec utf8 = io.lettuce.core.codec.StringCodec.UTF8;
        connection.sync().dispatch(io.lettuce.core.protocol.CommandType.CLIENT,
                new io.lettuce.core.output.StatusOutput<>(utf8),
                new io.lettuce.core.protocol.CommandArgs<>(utf8).addValues(List.of(args)));
    }
}
