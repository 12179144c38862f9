package io.cachesync.hibernate;

import io.cachesync.testsupport.LogCapture;
import io.cachesync.testsupport.RedisExtension;
import io.cachesync.testsupport.TestRedis;
import org.hibernate.SessionFactory;
import org.hibernate.stat.Statistics;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.math.BigDecimal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Rows are read in id order by keyset, batch by batch, each exactly once whatever the batch size; a batch costs a
 * fixed number of statements (no per-row loads); maxInstances bounds both passes.
 */
@ExtendWith(RedisExtension.class)
class ReconcilerReadsInKeysetBatchesTest {

    private static final int ROWS = 23;

    private SessionFactory sf;
    private TestRedis redis;

    @BeforeEach
    void start(TestRedis redis) {
        this.redis = redis;
        sf = TestNodes.node(TestNodes.newDatabase(), redis.uri(), true,
                s -> s.put("hibernate.generate_statistics", "true"));
        sf.inTransaction(s -> {
            for (int i = ROWS - 1; i >= 0; i--) { // ids with gaps, inserted out of order
                s.persist(new Account(5 + 7L * i, "owner" + i, BigDecimal.valueOf(i)));
            }
            for (int i = 0; i < 6; i++) {
                s.persist(new Profile("profile-" + (char) ('f' - i), "nick" + i, s.getReference(Account.class, 5L)));
            }
        });
    }

    @AfterEach
    void stop() {
        sf.close();
    }

    private void deleteEveryKey() {
        for (String key : redis.commands().keys("cachesync:*:*")) {
            redis.commands().del(key);
        }
    }

    @ParameterizedTest(name = "batch size {0}")
    @ValueSource(ints = {1, 2, 5, 7, 22, 23, 24, 500})
    void everyRowIsReadAndRepairedExactlyOnceWhateverTheBatchSize(int batchSize) {
        deleteEveryKey();
        ReconciliationReport report = Reconciler.of(sf).batchSize(batchSize).run();

        assertEquals(ROWS, report.model("Account").orElseThrow().rowsRead());
        assertEquals(ROWS, report.model("Account").orElseThrow().missing());
        assertEquals(6, report.model("Profile").orElseThrow().rowsRead());
        assertEquals(ROWS + 6, report.repaired());
        assertTrue(report.complete());
        CacheAgreesWithDatabase.assertAgrees(sf, true);
    }

    @ParameterizedTest(name = "batch size {0}")
    @ValueSource(ints = {1, 4, 23, 500})
    void aCheckCostsOneStatementPerBatchAndNonePerRow(int batchSize) {
        Statistics statistics = sf.getStatistics();
        statistics.clear();

        ConsistencyStats stats = Reconciler.of(sf).batchSize(batchSize).check(Account.class);

        assertEquals(ROWS, stats.consistent());
        long pages = ROWS / batchSize + 1;                      // the last page is short, or empty
        // every scanned key belongs to a row the walk has just seen: the orphan scan asks the database nothing
        assertEquals(1 + pages, statistics.getPrepareStatementCount(), "count + pages, no orphan lookups");
        assertEquals(0, statistics.getEntityLoadCount(), "no entity is loaded, no association initialized");

        statistics.clear();
        assertEquals(6, Reconciler.of(sf).batchSize(batchSize).check(Profile.class).consistent());
        assertEquals(0, statistics.getEntityLoadCount(), "the to-one account is read as its key, never loaded");
    }

    @Test
    void maxInstancesStopsTheWalkAndLeavesTheOverflowMarkOfAnIncompleteRun() {
        deleteEveryKey();
        CacheSync sync = CacheSync.of(sf);

        ReconciliationReport report = Reconciler.of(sf).model("Account").batchSize(4).maxInstances(10).run();

        ModelReport account = report.model("Account").orElseThrow();
        assertEquals(10, account.rowsRead());
        assertEquals(10, account.repaired());
        assertFalse(account.complete());
        assertFalse(report.complete());
        for (int i = 0; i < ROWS; i++) {
            assertEquals(i < 10, sync.snapshot(Account.class, 5 + 7L * i).isPresent(), "Account#" + (5 + 7L * i));
        }
    }

    @Test
    void progressIsLoggedWithDoneTotalAndRateAndTheRunEndsWithOneSummaryLine() {
        try (LogCapture logs = new LogCapture()) {
            Reconciler.of(sf).model(Account.class).batchSize(10).progressEvery(java.time.Duration.ZERO).checkOnly(true)
                    .run();
            assertEquals(1, logs.count("INFO", "cachesync reconcile Account: 10 / 23 rows (43%), "), logs.text());
            assertEquals(1, logs.count("INFO", "cachesync reconcile Account: 23 / 23 rows (100%), "), logs.text());
            assertEquals(3 + 1, logs.count("INFO", " rows/s"), logs.text()); // after 10, 20 and 23 rows; the summary
            assertEquals(1, logs.count("INFO", "cachesync reconcile (check-only) done in "), logs.text());
            assertEquals(1, logs.count("INFO", "Account: 23 rows, 23 consistent, 0 stale, 0 missing, 0 orphaned"),
                    logs.text());
        }
    }

    @Test
    void maxInstancesAlsoBoundsTheOrphanScan() {
        DriftInjection drift = new DriftInjection(sf, redis);
        for (long id = 1000; id < 1030; id++) {
            drift.plantSnapshot(Account.class, id, 0, java.time.Instant.now(),
                    java.util.Map.of("balance", BigDecimal.ONE, "owner", "ghost", "status", Account.Status.OPEN));
        }
        ModelReport account = Reconciler.of(sf).model(Account.class).maxInstances(12).checkOnly(true).run()
                .model("Account").orElseThrow();
        assertEquals(12, account.rowsRead());
        assertEquals(12, account.keysScanned());
        assertTrue(account.orphaned() <= 12, account.toString());
        assertFalse(account.complete());

        ModelReport full = Reconciler.of(sf).model(Account.class).checkOnly(true).run().model("Account").orElseThrow();
        assertEquals(30, full.orphaned());
        assertEquals(ROWS + 30, full.keysScanned());
        assertTrue(full.complete());
    }
}
