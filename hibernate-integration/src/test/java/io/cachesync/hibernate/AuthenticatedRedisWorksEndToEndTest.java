package io.cachesync.hibernate;

import io.cachesync.testsupport.LocalRedisServer;
import io.cachesync.testsupport.LogCapture;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.api.StatefulRedisConnection;
import org.hibernate.SessionFactory;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static io.cachesync.hibernate.RedisOutageNeverFailsACommitTest.waitUntil;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * cachesync works end to end (commit, read, invalidation, reconcile) against a Redis that asks for a password,
 * against an ACL user confined to the {@code cachesync:*} keys and channel with the smallest command set it
 * needs, and over TLS ({@code rediss://}) with a private certificate authority; the password never reaches a log
 * line, including the breaker's and the reconnection's.
 */
class AuthenticatedRedisWorksEndToEndTest {

    private static final String ADMIN_PASSWORD = "adm1n-S3cret";
    private static final String APP_PASSWORD = "app-S3cret-pw";

    /**
     * The ACL rule cachesync needs, found by removing commands until the ACL log showed a denial: keys and channel
     * under the prefix; the versioned-write script (EVALSHA, and EVAL for a Redis that lost its script cache) and
     * the commands it calls, which Redis checks against the same user (TYPE, GET, SET, DEL, PUBLISH); reads (GET,
     * MGET); the Reconciler's SCAN; SUBSCRIBE for invalidations; PING for the circuit breaker's probe; INFO for the
     * monitor's run_id (a restart that lost the dataset). Lettuce's
     * handshake (HELLO with AUTH) needs nothing more.
     */
    static final String ACL_RULES = "on >" + APP_PASSWORD + " resetkeys ~cachesync:* resetchannels &cachesync:* "
            + "-@all +evalsha +eval +type +get +set +del +publish +mget +scan +subscribe +ping +info";

    @Test
    void aRedisWithAPasswordWorksEndToEnd() throws Exception {
        try (LocalRedisServer redis = LocalRedisServer.start("--requirepass", APP_PASSWORD)) {
            endToEnd("redis://:" + APP_PASSWORD + "@127.0.0.1:" + redis.port(), APP_PASSWORD, redis);
        }
    }

    @Test
    void anAclUserLimitedToTheCachesyncKeysWorksEndToEnd() throws Exception {
        try (LocalRedisServer redis = LocalRedisServer.start("--requirepass", ADMIN_PASSWORD)) {
            String adminUri = "redis://:" + ADMIN_PASSWORD + "@127.0.0.1:" + redis.port();
            createAppUser(adminUri);
            String uri = "redis://app:" + APP_PASSWORD + "@127.0.0.1:" + redis.port();
            // the user is made at runtime (a real deployment keeps it in an ACL file): re-made after the restart
            endToEnd(uri, APP_PASSWORD, redis, s -> { }, () -> assertNothingDenied(adminUri),
                    () -> createAppUser(adminUri));
            assertNothingDenied(adminUri);
            // and the rule does confine it: nothing outside the prefix
            RedisClient app = RedisClient.create(uri);
            try (StatefulRedisConnection<String, String> confined = app.connect()) {
                assertThrows(RedisCommandExecutionException.class, () -> confined.sync().get("session:42"));
                assertThrows(RedisCommandExecutionException.class, () -> confined.sync().flushall());
                assertThrows(RedisCommandExecutionException.class, () -> confined.sync().publish("other", "x"));
            } finally {
                app.shutdown();
            }
        }
    }

    @Test
    void tlsWithAPrivateCertificateAuthorityWorksEndToEnd() throws Exception {
        Path dir = Files.createTempDirectory("cachesync-tls");
        Assumptions.assumeTrue(certificates(dir), "skipped: openssl could not make test certificates (rediss:// is "
                + "supported by Lettuce; see RELIABILITY-NOTES.md for the settings)");
        Path ca = dir.resolve("ca.crt");
        LocalRedisServer tlsRedis;
        try {
            tlsRedis = LocalRedisServer.startTls(dir.resolve("server.crt"), dir.resolve("server.key"), ca,
                    "--requirepass", APP_PASSWORD);
        } catch (IOException e) {
            // a redis-server built without TLS refuses the tls-* options and exits at once
            Assumptions.abort("skipped: this redis-server cannot serve TLS (" + e.getMessage().lines().reduce(
                    (a, b) -> b).orElse("") + "); rediss:// is supported by Lettuce, see RELIABILITY-NOTES.md");
            return;
        }
        try (LocalRedisServer redis = tlsRedis) {
            String uri = "rediss://:" + APP_PASSWORD + "@127.0.0.1:" + redis.port();
            endToEnd(uri, APP_PASSWORD, redis, s -> s.put("cachesync.redis.tls.ca-file", ca.toString()), () -> { },
                    () -> { });
            // without the private CA, the server's certificate is not trusted: cachesync starts, reads the database
            try (LogCapture logs = new LogCapture();
                 SessionFactory untrusted = TestNodes.node(TestNodes.newDatabase(), uri, true,
                         s -> s.put("cachesync.redis.timeout", "200ms"))) {
                untrusted.inTransaction(s -> s.persist(new Account(1, "ann", BigDecimal.ONE)));
                assertEquals("ann", CacheSync.of(untrusted).find(Account.class, 1L).orElseThrow().getOwner());
                assertEquals(1, CacheSync.of(untrusted).pendingRepairs());
                assertTrue(logs.count("WARN", "cannot reach Redis") == 1, logs.text());
            }
        }
    }

    private static void assertNothingDenied(String adminUri) {
        RedisClient admin = RedisClient.create(adminUri);
        try (StatefulRedisConnection<String, String> connection = admin.connect()) {
            assertEquals(List.of(), connection.sync().aclLog(), "cachesync needed a command the rule denies");
        } finally {
            admin.shutdown();
        }
    }

    private static void createAppUser(String adminUri) {
        RedisClient admin = RedisClient.create(adminUri);
        try (StatefulRedisConnection<String, String> connection = admin.connect()) {
            connection.sync().dispatch(io.lettuce.core.protocol.CommandType.ACL,
                    new io.lettuce.core.output.StatusOutput<>(io.lettuce.core.codec.StringCodec.UTF8),
                    new io.lettuce.core.protocol.CommandArgs<>(io.lettuce.core.codec.StringCodec.UTF8)
                            .add("SETUSER").add("app").add("reset").addValues(List.of(ACL_RULES.split(" "))));
            connection.sync().aclLogReset();
        } finally {
            admin.shutdown();
        }
    }

    private static void endToEnd(String uri, String password, LocalRedisServer redis) throws Exception {
        endToEnd(uri, password, redis, s -> { }, () -> { }, () -> { });
    }

    /** {@code afterRestart} restores what a restarted Redis forgot (an ACL user made at runtime). */
    private static void endToEnd(String uri, String password, LocalRedisServer redis,
                                 java.util.function.Consumer<java.util.Map<String, Object>> tweak,
                                 Runnable beforeKill, Runnable afterRestart) throws Exception {
        try (LogCapture logs = new LogCapture();
             TwoNodes nodes = new TwoNodes(uri, s -> {
                 s.put("cachesync.redis.timeout", "300ms");
                 s.put("cachesync.redis.breaker.probe-interval", "100ms");
                 s.put("cachesync.repair.max-backoff", "300ms");
                 tweak.accept(s);
             }).ready()) {
            nodes.a.inTransaction(s -> s.persist(new Account(1, "ann", BigDecimal.ONE)));
            nodes.a.inTransaction(s -> s.persist(new Account(2, "bob", BigDecimal.TEN)));
            assertEquals("ann", nodes.syncB.find(Account.class, 1L).orElseThrow().getOwner());
            nodes.a.inTransaction(s -> s.find(Account.class, 1L).setOwner("ann b."));
            waitUntil(() -> nodes.syncB.find(Account.class, 1L).orElseThrow().getOwner().equals("ann b."),
                    Duration.ofSeconds(5)); // the invalidation crossed the channel
            nodes.a.inTransaction(s -> s.remove(s.find(Account.class, 2L)));
            assertTrue(nodes.syncB.find(Account.class, 2L).isEmpty());
            assertEquals(1, nodes.syncA.snapshot(Account.class, 1L).orElseThrow().version());
            assertEquals(0, nodes.syncA.statistics().pushesFailed(), "every push was accepted");

            // drift behind cachesync's back, then a repair run and a check through the same user
            nodes.a.inTransaction(s -> s.createMutationQuery("update Account set owner = 'sql', version = version + 1 "
                    + "where id = 1").executeUpdate());
            ReconciliationReport repair = Reconciler.of(nodes.a).run();
            assertEquals(1, repair.repaired(), repair.toString());
            ReconciliationReport check = Reconciler.of(nodes.b).checkOnly(true).run();
            assertEquals(0, check.inconsistent() + check.missing() + check.orphaned(), check.toString());
            CacheAgreesWithDatabase.assertAgrees(nodes.a, true);

            // the connection breaks and comes back: the reconnection (with the password) and its log lines too
            beforeKill.run();
            redis.kill();
            nodes.a.inTransaction(s -> s.find(Account.class, 1L).setOwner("while down"));
            redis.restart();
            afterRestart.run();
            waitUntil(() -> nodes.syncA.pendingRepairs() == 0, Duration.ofSeconds(20));
            assertEquals("while down", nodes.syncA.snapshot(Account.class, 1L).orElseThrow().state().get("owner"));

            assertTrue(logs.text().contains("***@127.0.0.1"), "the URI is logged masked: " + logs.text());
            assertFalse(logs.text().contains(password), "the password reached a log line:\n" + logs.text());
            System.out.printf("[auth] %s: commit, read, invalidation, repair, check and reconnection work; %d log "
                    + "lines, none with the password%n", uri.replace(password, "***"), logs.text().lines().count());
        }
    }

    /** Makes a CA and a server certificate for 127.0.0.1 in {@code dir}; false if openssl could not. */
    private static boolean certificates(Path dir) throws IOException, InterruptedException {
        Path extension = Files.writeString(dir.resolve("san.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
        List<List<String>> steps = List.of(
                List.of("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out",
                        "ca.crt", "-days", "1", "-subj", "/CN=cachesync test CA"),
                List.of("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out",
                        "server.csr", "-subj", "/CN=localhost"),
                List.of("openssl", "x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
                        "-CAcreateserial", "-out", "server.crt", "-days", "1", "-extfile", extension.toString()));
        for (List<String> step : steps) {
            if (!run(dir, step)) {
                return false;
            }
        }
        return true;
    }

    private static boolean run(Path dir, List<String> command) throws InterruptedException {
        try {
            Process process = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                    .redirectOutput(dir.resolve("openssl.log").toFile()).start();
            return process.waitFor(30, TimeUnit.SECONDS) && process.exitValue() == 0;
        } catch (IOException e) {
            return false;
        }
    }
}
