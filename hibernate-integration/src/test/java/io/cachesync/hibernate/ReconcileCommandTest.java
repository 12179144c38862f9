package io.cachesync.hibernate;

import io.cachesync.testsupport.LocalRedisServer;
import io.cachesync.testsupport.RedisExtension;
import io.cachesync.testsupport.TestRedis;
import org.hibernate.SessionFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The reconcile command line: every option, and exit codes 0 (consistent or repaired), 1 (drift left), 2 (error). */
@ExtendWith(RedisExtension.class)
class ReconcileCommandTest {

    private SessionFactory sf;
    private String jdbcUrl;
    private TestRedis redis;
    private DriftInjection drift;

    /** What one run printed, and its exit code. */
    private record Run(int exit, String out, String err) {
        @Override
        public String toString() {
            return "exit " + exit + "\n--- stdout\n" + out + "--- stderr\n" + err;
        }
    }

    @BeforeEach
    void start(TestRedis redis) {
        this.redis = redis;
        jdbcUrl = TestNodes.newDatabase();
        sf = TestNodes.node(jdbcUrl, redis.uri(), true);
        drift = new DriftInjection(sf, redis);
        sf.inTransaction(s -> {
            for (long id = 1; id <= 12; id++) {
                s.persist(new Account(id, "owner" + id, BigDecimal.TEN));
            }
            s.persist(new Profile("p1", "one", s.getReference(Account.class, 1L)));
        });
    }

    @AfterEach
    void stop() {
        sf.close();
    }

    private static Run runAgainst(SessionFactory factory, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = ReconcileCommand.execute(factory, new PrintWriter(out), new PrintWriter(err), args);
        return new Run(exit, out.toString(), err.toString());
    }

    private Run run(String... args) {
        return runAgainst(sf, args);
    }

    private static Run standalone(String... args) {
        return runAgainst(null, args);
    }

    private void injectStaleAndCacheAhead() {
        drift.sql("update account set owner = 'by sql', version = version + 1 where id = 2");
        drift.delete(Account.class, 3L);
        drift.plantSnapshot(Account.class, 4L, 9, Instant.now(),
                Map.of("balance", BigDecimal.ONE, "owner", "future", "status", Account.Status.OPEN));
    }

    @Test
    void aConsistentCacheExitsZeroWithATable() {
        Run run = run();
        assertEquals(0, run.exit(), run.toString());
        assertTrue(run.out().contains("cachesync reconcile: repair, 2 models, batch size 500"), run.toString());
        assertTrue(run.out().matches("(?s).*\\nAccount\\s+12\\s+12\\s+0\\s+0\\s+0\\s+0\\s+0\\s+0\\n.*"), run.toString());
        assertTrue(run.out().matches("(?s).*\\ntotal\\s+13\\s+13\\s.*"), run.toString());
        assertTrue(run.out().contains("all consistent"), run.toString());
        assertEquals("", run.err());
    }

    @Test
    void checkOnlyExitsOneOnDriftAndChangesNothing() {
        injectStaleAndCacheAhead();
        Map<String, String> before = drift.dumpEveryKey();
        Run run = run("--check-only", "--verbose");
        System.out.print("[reconcile --check-only --verbose]\n" + run.out());
        assertEquals(1, run.exit(), run.toString());
        assertTrue(run.out().contains("drift in 3 keys"), run.toString());
        assertTrue(run.out().contains("nothing was changed (check-only)"), run.toString());
        assertEquals(before, drift.dumpEveryKey());
    }

    @Test
    void aRepairExitsOneWhileCacheAheadKeysAreLeftAndZeroOnceForced() {
        injectStaleAndCacheAhead();
        Run repair = run();
        assertEquals(1, repair.exit(), repair.toString());
        assertTrue(repair.out().contains("repaired 2; 1 cache-ahead keys left alone: rerun with --force"),
                repair.toString());
        Run forced = run("--force");
        assertEquals(0, forced.exit(), forced.toString());
        assertTrue(forced.out().contains("cachesync reconcile: repair (forced)"), forced.toString());
        Run check = run("--check-only");
        assertEquals(0, check.exit(), check.toString());
        CacheAgreesWithDatabase.assertAgrees(sf, true);
    }

    @Test
    void modelSelectsEntitiesByNameOrClassRepeatedOrCommaSeparated() {
        Run one = run("--model", "Account");
        assertEquals(0, one.exit(), one.toString());
        assertTrue(one.out().contains("1 model,") && one.out().contains("\nAccount ") && !one.out().contains("\nProfile"),
                one.toString());
        Run byClass = run("--model", Profile.class.getName());
        assertTrue(byClass.out().contains("\nProfile ") && !byClass.out().contains("\nAccount "), byClass.toString());
        Run comma = run("--model", "Profile,Account");
        assertTrue(comma.out().contains("2 models") && comma.out().indexOf("\nProfile") < comma.out().indexOf("\nAccount"),
                comma.toString());
        Run repeated = run("--model", "Account", "--model", "Profile");
        assertTrue(repeated.out().contains("2 models"), repeated.toString());
    }

    @Test
    void batchSizeAndMaxInstancesBoundTheWork() {
        for (long id = 1; id <= 12; id++) {
            drift.delete(Account.class, id);
        }
        Run run = run("--model", "Account", "--batch-size", "5", "--max-instances", "7");
        assertTrue(run.out().contains("batch size 5"), run.toString());
        assertTrue(run.out().matches("(?s).*\\nAccount \\*\\s+7\\s+0\\s+0\\s+7\\s.*"), run.toString());
        assertTrue(run.out().contains("stopped at --max-instances"), run.toString());
        assertEquals(0, run.exit(), run.toString());
        assertEquals(5, Reconciler.of(sf).check(Account.class).missing());
    }

    @Test
    void verbosePrintsEachDiscrepancyAndQuietDoesNot() {
        injectStaleAndCacheAhead();
        Run quiet = run("--check-only");
        assertFalse(quiet.out().contains("Account#"), quiet.toString());
        Run verbose = run("--check-only", "--verbose");
        assertTrue(verbose.out().contains("  Account#2: stale (database v1 at "), verbose.toString());
        assertTrue(verbose.out().contains("  Account#3: missing (database v0 at "), verbose.toString());
        assertTrue(verbose.out().contains("  Account#4: cache-ahead (database v0 at "), verbose.toString());
        assertTrue(verbose.out().contains("; Redis v9 at "), verbose.toString());
    }

    @Test
    void badArgumentsExitTwoWithAOneLineMessage() {
        assertError(run("--batch-size", "0"), "reconcile: --batch-size must be between 1 and 20000, was 0");
        assertError(run("--batch-size", "many"), "reconcile: Invalid value for option '--batch-size': 'many' is not an int");
        assertError(run("--max-instances", "0"), "reconcile: --max-instances must be at least 1, was 0");
        assertError(run("--check-only", "--force"), "reconcile: --check-only and --force cannot be combined");
        assertError(run("--frobnicate"), "reconcile: Unknown option: '--frobnicate'");
        assertError(run("--model", "Nope"), "reconcile: error: unknown model 'Nope': the entities synced by cachesync "
                + "are Account, Profile");
        assertError(run("--model", "Note"), "reconcile: error: unknown model 'Note'");
        assertError(run("--config", "x.properties"), "reconcile: --config is for standalone runs");
        assertError(standalone(), "reconcile: --config <hibernate.properties> is required");
    }

    @Test
    void redisOrCachesyncMissingExitsTwo() throws Exception {
        SessionFactory noRedis = TestNodes.node(TestNodes.newDatabase(),
                "redis://app:secret@127.0.0.1:" + LocalRedisServer.unusedPort(), true);
        try {
            Run run = runAgainst(noRedis);
            assertError(run, "reconcile: error: Redis at redis://app:***@127.0.0.1:");
            assertTrue(run.err().contains("is not connected; nothing was reconciled"), run.toString());
            assertFalse(run.err().contains("secret") || run.out().contains("secret"), run.toString());
        } finally {
            noRedis.close();
        }
        SessionFactory plain = TestNodes.node(TestNodes.newDatabase(), null, true);
        try {
            assertError(runAgainst(plain), "reconcile: error: cachesync is not switched on for this SessionFactory");
        } finally {
            plain.close();
        }
    }

    @Test
    void helpListsEveryOptionAndTheExitCodes() {
        Run run = run("--help");
        assertEquals(0, run.exit());
        for (String option : new String[]{"--model", "--force", "--batch-size", "--max-instances", "--check-only",
                "--verbose", "--config", "Exit codes:"}) {
            assertTrue(run.out().contains(option), option + " is not in\n" + run.out());
        }
    }

    @Test
    void standaloneRunsFromAPropertiesFileThatNamesTheEntities(@TempDir Path dir) throws Exception {
        injectStaleAndCacheAhead();
        Path config = dir.resolve("hibernate.properties");
        Files.writeString(config, String.join("\n",
                "hibernate.connection.url=" + jdbcUrl,
                "hibernate.connection.username=sa",
                "hibernate.connection.password=",
                "hibernate.hbm2ddl.auto=create-drop", // ignored: a reconciliation never changes the schema
                "cachesync.redis.uri=" + redis.uri(),
                ReconcileCommand.ENTITIES_KEY + "=io.cachesync.hibernate.Account, io.cachesync.hibernate.Profile",
                ""));

        Run check = standalone("--config", config.toString(), "--check-only");
        assertEquals(1, check.exit(), check.toString());
        assertTrue(check.out().contains("drift in 3 keys"), check.toString());
        Run repair = standalone("--config", config.toString(), "--force");
        assertEquals(0, repair.exit(), repair.toString());
        long rows = sf.fromTransaction(s -> s.createSelectionQuery("select count(*) from Account", Long.class)
                .getSingleResult());
        assertEquals(12, rows, "the standalone run must not drop or recreate the schema");
        CacheAgreesWithDatabase.assertAgrees(sf, true);

        Path noEntities = dir.resolve("no-entities.properties");
        Files.writeString(noEntities, "hibernate.connection.url=" + jdbcUrl + "\ncachesync.redis.uri=" + redis.uri() + "\n");
        assertError(standalone("--config", noEntities.toString()),
                "does not name the entity classes: set cachesync.entities=com.acme.Account,com.acme.Profile");
        Path unknownClass = dir.resolve("unknown.properties");
        Files.writeString(unknownClass, "hibernate.connection.url=" + jdbcUrl + "\ncachesync.redis.uri=" + redis.uri()
                + "\ncachesync.entities=com.acme.Nope\n");
        assertError(standalone("--config", unknownClass.toString()),
                "entity class com.acme.Nope named in cachesync.entities is not on the class path");
        assertError(standalone("--config", dir.resolve("absent.properties").toString()), "cannot read --config file");
    }

    /** Exit 2, and one line on stderr that starts with "reconcile:" and holds {@code message}. */
    private static void assertError(Run run, String message) {
        assertEquals(2, run.exit(), run.toString());
        assertTrue(run.err().startsWith("reconcile:") && run.err().contains(message),
                "stderr should hold: " + message + "\n" + run);
        assertEquals(1, run.err().lines().filter(l -> l.startsWith("reconcile:")).count(), run.toString());
    }
}
