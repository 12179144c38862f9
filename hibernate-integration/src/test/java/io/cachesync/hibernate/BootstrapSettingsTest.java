package io.cachesync.hibernate;

import io.cachesync.core.CacheSyncSettings;
import io.cachesync.core.InvalidSettingException;
import io.cachesync.testsupport.LogCapture;
import io.cachesync.testsupport.RedisExtension;
import io.cachesync.testsupport.TestRedis;
import org.hibernate.SessionFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.math.BigDecimal;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@ExtendWith(RedisExtension.class)
class BootstrapSettingsTest {

    @Test
    void withoutTheRedisUriHibernateBehavesAsBefore(TestRedis redis) {
        try (SessionFactory sf = TestNodes.node(TestNodes.newDatabase(), null, true)) {
            sf.inTransaction(s -> s.persist(new Account(1, "ann", BigDecimal.ONE)));
            assertThrows(IllegalStateException.class, () -> CacheSync.of(sf));
            assertTrue(sf.unwrap(org.hibernate.engine.spi.SessionFactoryImplementor.class).getServiceRegistry().requireService(org.hibernate.event.service.spi.EventListenerRegistry.class)
                    .getEventListenerGroup(org.hibernate.event.spi.EventType.POST_COMMIT_INSERT).isEmpty());
        }
        assertEquals(0, redis.commands().dbsize());
    }

    @Test
    void entitiesThatDoNotExtendVersionedEntityAreIgnored(TestRedis redis) {
        try (SessionFactory sf = TestNodes.node(TestNodes.newDatabase(), redis.uri(), true)) {
            sf.inTransaction(s -> s.persist(new Note(1, "plain")));
            sf.inTransaction(s -> s.find(Note.class, 1L).setText("changed"));
            assertEquals(0, redis.commands().keys("cachesync:Note*").size());
            assertThrows(IllegalArgumentException.class, () -> CacheSync.of(sf).find(Note.class, 1L));
        }
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "cachesync.redis.uri|http://127.0.0.1:6379",
            "cachesync.redis.uri|redis://",
            "cachesync.redis.uri|not a uri",
            "cachesync.redis.timeout|fast",
            "cachesync.redis.timeout|0ms",
            "cachesync.tombstone-ttl|-5s",
            "cachesync.key-prefix|a:b",
            "cachesync.key-prefix|with space",
            "cachesync.local.maximum-size|0",
            "cachesync.local.maximum-size|lots",
            "cachesync.local.enabled|yes",
            "cachesync.push.mode|eventually",
            "cachesync.repair.max-pending|-1",
            "cachesync.repair.max-pending|many",
            "cachesync.repair.max-backoff|0s",
            "cachesync.repair.max-backoff|soon",
            "cachesync.snapshot-ttl|-1s",
            "cachesync.snapshot-ttl|forever",
            "cachesync.tombstone-ttl|0ms",
            "cachesync.local.expire-after-write|0s",
            "cachesync.local.expire-after-write|PT",
            "cachesync.redis.breaker.failures|0",
            "cachesync.redis.breaker.failures|five",
            "cachesync.redis.breaker.probe-interval|0ms",
            "cachesync.redis.breaker.probe-interval|often",
            "cachesync.redis.tls.ca-file|/no/such/ca.pem",
            "cachesync.lock.lease|0s",
            "cachesync.lock.lease|long",
            "cachesync.lock.lease|100ms",
            "cachesync.lock.wait|-1s",
            "cachesync.lock.wait|a while",
            "cachesync.warm.enabled|sometimes",
            "cachesync.warm.top-k|0",
            "cachesync.warm.top-k|many",
            "cachesync.warm.sample-one-in|0",
            "cachesync.warm.sample-one-in|often",
            "cachesync.warm.publish-interval|0s",
            "cachesync.warm.half-life|never",
            "cachesync.warm.startup-wait|-1s",
            "cachesync.metrics.registry|not a registry"})
    void aMalformedKeyStopsTheBootstrapNamingKeyAndValue(String key, String value, TestRedis redis) {
        Map<String, Object> settings = TestNodes.settings(TestNodes.newDatabase(), redis.uri(), true);
        settings.put(key, value);
        RuntimeException failure = assertThrows(RuntimeException.class, () -> TestNodes.node(settings).close());
        Throwable cause = failure;
        while (!(cause instanceof InvalidSettingException) && cause.getCause() != null) {
            cause = cause.getCause();
        }
        assertTrue(cause instanceof InvalidSettingException, "cause: " + failure);
        assertTrue(cause.getMessage().contains(key), cause.getMessage());
        assertTrue(cause.getMessage().contains(value.length() > 12 ? value.substring(0, 12) : value),
                cause.getMessage());
    }

    /** Every cachesync key the settings define is covered by the malformed-value cases above. */
    @Test
    void everySettingKeyHasAMalformedCase() throws Exception {
        java.util.Set<String> covered = new java.util.HashSet<>();
        for (String row : getClass().getDeclaredMethod("aMalformedKeyStopsTheBootstrapNamingKeyAndValue", String.class,
                String.class, TestRedis.class).getAnnotation(CsvSource.class).value()) {
            covered.add(row.substring(0, row.indexOf('|')));
        }
        for (java.lang.reflect.Field field : CacheSyncSettings.class.getFields()) {
            if (field.getType() == String.class && java.lang.reflect.Modifier.isStatic(field.getModifiers())) {
                String key = (String) field.get(null);
                assertTrue(covered.contains(key), "no malformed-value case for " + key);
            }
        }
    }

    @Test
    void aPasswordInTheUriIsNeverLoggedNorInAnError() {
        String secret = "s3cr3t-pa55";
        try (LogCapture logs = new LogCapture()) {
            Map<String, Object> settings = TestNodes.settings(TestNodes.newDatabase(),
                    "redis://app:" + secret + "@127.0.0.1:1/0", true);
            settings.put(CacheSyncSettings.REDIS_TIMEOUT, "100ms");
            try (SessionFactory sf = TestNodes.node(settings)) {
                sf.inTransaction(s -> s.persist(new Account(1, "ann", BigDecimal.ONE)));
            }
            InvalidSettingException bad = assertThrows(InvalidSettingException.class, () ->
                    CacheSyncSettings.fromProperties(Map.of(CacheSyncSettings.REDIS_URI, "http://app:" + secret + "@h")));
            assertFalse(bad.getMessage().contains(secret), bad.getMessage());
            assertTrue(logs.text().contains("redis://app:***@127.0.0.1"), logs.text());
            assertFalse(logs.text().contains(secret), logs.text());
        }
    }
}
