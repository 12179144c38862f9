package io.cachesync.hibernate;

import io.cachesync.core.RedisLock;
import io.cachesync.testsupport.LocalRedisServer;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import org.hibernate.SessionFactory;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The README's ACL addition for locks is enough: an ACL user with cachesync's rule plus
 * {@link #LOCK_RULES} acquires, renews, waits for and releases locks, and the ACL log stays empty.
 */
class LocksWorkForAnAclUserTest {

    private static final String ADMIN_PASSWORD = "adm1n-S3cret";

    /** The lock keys (their hash tag starts with a brace) and the commands the three lock scripts call. */
    static final String LOCK_RULES = "~{cachesync:lock:* +exists +pttl +incr +pexpire +time";

    @Test
    void lockRenewWaitAndReleaseNeedNothingMore() throws Exception {
        try (LocalRedisServer redis = LocalRedisServer.start("--requirepass", ADMIN_PASSWORD)) {
            String adminUri = "redis://:" + ADMIN_PASSWORD + "@127.0.0.1:" + redis.port();
            RedisClient admin = RedisClient.create(adminUri);
            try (StatefulRedisConnection<String, String> connection = admin.connect()) {
                String rules = AuthenticatedRedisWorksEndToEndTest.ACL_RULES + " " + LOCK_RULES;
                connection.sync().dispatch(io.lettuce.core.protocol.CommandType.ACL,
                        new io.lettuce.core.output.StatusOutput<>(io.lettuce.core.codec.StringCodec.UTF8),
                        new io.lettuce.core.protocol.CommandArgs<>(io.lettuce.core.codec.StringCodec.UTF8)
                                .add("SETUSER").add("app").add("reset").addValues(List.of(rules.split(" "))));
                connection.sync().aclLogReset();
                String uri = "redis://app:" + rules.split(" ")[1].substring(1) + "@127.0.0.1:" + redis.port();
                SessionFactory sf = TestNodes.node(TestNodes.newDatabase(), uri, true,
                        s -> {
                            s.put("cachesync.lock.lease", "900ms");
                            s.put("cachesync.redis.timeout", "300ms");
                        });
                try {
                    CacheSync sync = CacheSync.of(sf);
                    try (RedisLock lock = sync.lock(Account.class, 1L)) {
                        assertTrue(sync.tryLock(Account.class, 1L, Duration.ofMillis(100)).isEmpty());
                        Thread.sleep(1_200); // renewed by the watchdog meanwhile
                        assertTrue(lock.isHeld());
                    }
                    try (RedisLock again = sync.tryLock(Account.class, 1L, Duration.ZERO).orElseThrow()) {
                        assertTrue(again.isHeld());
                    }
                } finally {
                    sf.close();
                }
                assertEquals(List.of(), connection.sync().aclLog(), "a lock script needed a command the rule denies");
            } finally {
                admin.shutdown();
            }
        }
    }
}
