package io.cachesync.hibernate;

import io.cachesync.testsupport.LocalRedisServer;
import io.cachesync.testsupport.RedisExtension;
import io.cachesync.testsupport.TestRedis;
import org.hibernate.SessionFactory;
import org.hibernate.resource.jdbc.spi.StatementInspector;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The write path, two nodes racing, the Reconciler (and its use of the id index) and a Redis outage, against a
 * real PostgreSQL (when one answers), on a schema of the test's own that is dropped afterwards.
 */
@ExtendWith(RedisExtension.class)
class PostgresAcceptanceTest {

    private static LocalPostgres pg;

    @BeforeAll
    static void open() {
        pg = LocalPostgres.open();
    }

    @AfterAll
    static void close() throws Exception {
        if (pg != null) {
            pg.close();
        }
    }

    private static SessionFactory node(String redisUri, boolean createSchema) {
        Assumptions.assumeTrue(pg != null, "PostgreSQL is not reachable");
        return TestNodes.node(pg.settings(redisUri, createSchema));
    }

    private static SessionFactory node(String redisUri, boolean createSchema, Map<String, Object> extra) {
        Assumptions.assumeTrue(pg != null, "PostgreSQL is not reachable");
        Map<String, Object> settings = pg.settings(redisUri, createSchema);
        settings.putAll(extra);
        return TestNodes.node(settings);
    }

    @Test
    void committedChangesRollbacksAndDeletesOnPostgres(TestRedis redis) {
        try (SessionFactory sf = node(redis.uri(), true)) {
            CacheSync sync = CacheSync.of(sf);
            sf.inTransaction(s -> s.persist(new Account(1, "ann", new BigDecimal("10.50"))));
            sf.inTransaction(s -> s.find(Account.class, 1L).setBalance(new BigDecimal("11.25")));
            try (var session = sf.openSession()) {
                session.beginTransaction();
                session.find(Account.class, 1L).setOwner("rolled back");
                session.flush();
                session.getTransaction().rollback();
            }
            sf.inTransaction(s -> s.persist(new Account(2, "bob", BigDecimal.ONE)));
            sf.inTransaction(s -> s.remove(s.find(Account.class, 2L)));
            assertEquals(1, sync.snapshot(Account.class, 1L).orElseThrow().version());
            assertEquals("ann", sync.find(Account.class, 1L).orElseThrow().getOwner());
            assertTrue(sync.snapshot(Account.class, 2L).orElseThrow().tombstone());
            CacheAgreesWithDatabase.assertAgrees(sf, true);
        }
    }

    @Test
    void twoNodesRacingOnPostgresConvergeAndTheReconcilerFindsNothing(TestRedis redis) throws Exception {
        try (SessionFactory a = node(redis.uri(), true); SessionFactory b = node(redis.uri(), false)) {
            for (long id = 0; id < 30; id++) {
                long n = id;
                a.inTransaction(s -> s.persist(new Account(n, "owner" + n, BigDecimal.ZERO)));
            }
            ExecutorService pool = Executors.newFixedThreadPool(4);
            Future<?>[] writers = new Future<?>[4];
            for (int w = 0; w < 4; w++) {
                SessionFactory node = w % 2 == 0 ? a : b;
                CacheSync reader = CacheSync.of(w % 2 == 0 ? b : a);
                writers[w] = pool.submit(() -> {
                    for (int op = 0; op < 300; op++) {
                        long id = ThreadLocalRandom.current().nextLong(30);
                        try {
                            node.inTransaction(s -> s.find(Account.class, id)
                                    .setBalance(BigDecimal.valueOf(ThreadLocalRandom.current().nextInt(10_000), 2)));
                        } catch (RuntimeException conflict) {
                            // optimistic-lock conflicts roll back; nothing of them may reach the cache
                        }
                        reader.find(Account.class, id);
                    }
                    return null;
                });
            }
            for (Future<?> writer : writers) {
                writer.get(2, TimeUnit.MINUTES);
            }
            pool.shutdown();
            RedisOutageNeverFailsACommitTest.waitUntil(
                    () -> CacheSync.of(a).pendingRepairs() + CacheSync.of(b).pendingRepairs() == 0,
                    Duration.ofSeconds(30));
            CacheAgreesWithDatabase.assertAgrees(a, true);
            var report = Reconciler.of(a).checkOnly(true).run();
            assertEquals(0, report.inconsistent() + report.missing() + report.orphaned(), report.toString());
        }
    }

    @Test
    void theReconcilerRepairsDriftOnPostgres(TestRedis redis) {
        try (SessionFactory sf = node(redis.uri(), true)) {
            CacheSync sync = CacheSync.of(sf);
            for (long id = 1; id <= 50; id++) {
                long n = id;
                sf.inTransaction(s -> s.persist(new Account(n, "owner" + n, BigDecimal.ONE)));
            }
            sf.inTransaction(s -> s.createNativeMutationQuery(
                    "update account set owner = 'sql', version = version + 1 where id = 7").executeUpdate());
            redis.commands().del(sync.key(Account.class, 8L));
            var check = Reconciler.of(sf).model(Account.class).batchSize(7).checkOnly(true).run();
            assertEquals(1, check.stale());
            assertEquals(1, check.missing());
            var repair = Reconciler.of(sf).model(Account.class).batchSize(7).run();
            assertEquals(2, repair.repaired());
            CacheAgreesWithDatabase.assertAgrees(sf, true);
        }
    }

    @Test
    void commitsDuringARedisOutageOnPostgresSucceedAndAreRepairedAfter() throws Exception {
        try (LocalRedisServer redis = LocalRedisServer.start();
             SessionFactory sf = node(redis.uri(), true)) {
            CacheSync sync = CacheSync.of(sf);
            for (long id = 1; id <= 20; id++) {
                long n = id;
                sf.inTransaction(s -> s.persist(new Account(n, "owner" + n, BigDecimal.ONE)));
            }
            redis.kill();
            for (long id = 1; id <= 20; id++) {
                long n = id;
                sf.inTransaction(s -> s.find(Account.class, n).setOwner("during the outage"));
            }
            sf.inTransaction(s -> s.remove(s.find(Account.class, 20L)));
            assertEquals("during the outage", sync.find(Account.class, 3L).orElseThrow().getOwner(),
                    "reads go to PostgreSQL while Redis is down");
            assertTrue(sync.pendingRepairs() > 0, "the failed pushes wait for Redis");
            redis.restart(); // empty: what the outage missed comes from the repair queue, the rest from reads
            RedisOutageNeverFailsACommitTest.waitUntil(() -> sync.pendingRepairs() == 0, Duration.ofSeconds(30));
            for (long id = 1; id <= 19; id++) {
                assertEquals("during the outage", sync.snapshot(Account.class, id).orElseThrow().state().get("owner"));
            }
            assertTrue(sync.snapshot(Account.class, 20L).orElseThrow().tombstone());
            CacheAgreesWithDatabase.assertAgrees(sf, true);
        }
    }

    /** The keyset page ({@code where id > ? order by id}, limited) is answered by the primary key's index. */
    @Test
    void theReconcilersPagesUsePostgresIndexOnTheId(TestRedis redis) throws Exception {
        List<String> statements = new CopyOnWriteArrayList<>();
        StatementInspector inspector = sql -> {
            statements.add(sql);
            return sql;
        };
        try (SessionFactory sf = node(redis.uri(), true,
                Map.of("hibernate.session_factory.statement_inspector", inspector))) {
            sf.inTransaction(s -> s.createNativeMutationQuery("insert into account (id, owner, balance, status, "
                    + "version, last_updated) select g, 'owner' || g, 1, 'OPEN', 0, now() "
                    + "from generate_series(1, 50000) g").executeUpdate());
            sf.inTransaction(s -> s.createNativeMutationQuery("analyze account").executeUpdate());
            statements.clear();
            var report = Reconciler.of(sf).model(Account.class).batchSize(1000).maxInstances(3000).checkOnly(true)
                    .run();
            assertTrue(report.missing() > 0, report.toString());
            String nextPage = statements.stream().filter(sql -> sql.contains(">") && sql.contains("order by"))
                    .findFirst().orElseThrow(() -> new AssertionError("no keyset page among " + statements));
            StringBuilder plan = new StringBuilder();
            try (Connection c = DriverManager.getConnection(pg.jdbcUrl(), pg.user(), pg.password());
                 PreparedStatement explain = c.prepareStatement("explain " + nextPage)) {
                explain.setLong(1, 25_000);
                explain.setInt(2, 1000);
                try (ResultSet rows = explain.executeQuery()) {
                    while (rows.next()) {
                        plan.append(rows.getString(1)).append('\n');
                    }
                }
            }
            System.out.println("[postgres] " + nextPage + "\n" + plan);
            assertTrue(plan.toString().contains("Index Scan using account_pkey"), plan.toString());
            assertTrue(!plan.toString().contains("Seq Scan") && !plan.toString().contains("Sort"), plan.toString());
        }
    }
}
