package io.cachesync.hibernate;

import io.cachesync.testsupport.LocalRedisServer;
import io.cachesync.testsupport.LogCapture;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import org.hibernate.SessionFactory;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An ACL user without {@code +info}: the monitor cannot read the run_id, says so in one WARN, and asks once (one
 * ACL-log entry), not once a second; everything else works.
 */
class MonitorWithoutInfoPermissionSaysSoOnceTest {

    @Test
    void oneWarningAndOneDenialThenNoMoreTries() throws Exception {
        try (LocalRedisServer redis = LocalRedisServer.start("--requirepass", "admin-password");
             LogCapture logs = new LogCapture()) {
            String adminUri = "redis://:admin-password@127.0.0.1:" + redis.port();
            RedisClient admin = RedisClient.create(adminUri);
            try (StatefulRedisConnection<String, String> connection = admin.connect()) {
                String rules = AuthenticatedRedisWorksEndToEndTest.ACL_RULES.replace(" +info", "");
                connection.sync().dispatch(io.lettuce.core.protocol.CommandType.ACL,
                        new io.lettuce.core.output.StatusOutput<>(io.lettuce.core.codec.StringCodec.UTF8),
                        new io.lettuce.core.protocol.CommandArgs<>(io.lettuce.core.codec.StringCodec.UTF8)
                                .add("SETUSER").add("app").add("reset").addValues(List.of(rules.split(" "))));
                connection.sync().aclLogReset();
                String uri = "redis://app:app-S3cret-pw@127.0.0.1:" // the password in ACL_RULES
                        + redis.port();
                try (SessionFactory sf = TestNodes.node(TestNodes.newDatabase(), uri, true,
                        s -> s.put("cachesync.auto-reconcile.check-interval", "100ms"))) {
                    sf.inTransaction(s -> s.persist(new Account(1, "ann", BigDecimal.ONE)));
                    Thread.sleep(1_000); // ten intervals
                    assertEquals("ann", CacheSync.of(sf).find(Account.class, 1L).orElseThrow().getOwner());
                    CacheAgreesWithDatabase.assertAgrees(sf, true);
                }
                assertEquals(1, logs.count("WARN", "the ACL denies INFO"), logs.text());
                List<Map<String, Object>> denials = connection.sync().aclLog();
                assertEquals(1, denials.size(), denials.toString());
                assertEquals("info", denials.get(0).get("object"));
                assertEquals(1L, denials.get(0).get("count"), "asked once, not once per interval");
            } finally {
                admin.shutdown();
            }
        }
    }
}
