package io.cachesync.core;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code redis-cluster://} seeds are read into one URI each, and a malformed one names the key and the value. */
class ClusterUriIsReadOrRefusedByNameTest {

    private static CacheSyncSettings read(String uri) {
        return CacheSyncSettings.fromProperties(Map.of(CacheSyncSettings.REDIS_URI, uri));
    }

    @Test
    void everySeedBecomesOneUriWithTheSharedCredentialsAndOptions() {
        CacheSyncSettings settings = read("redis-cluster://app:secret@10.0.0.1:7000,10.0.0.2:7001, 10.0.0.3:7002/0?timeout=2s");
        assertTrue(settings.cluster());
        assertEquals(3, settings.clusterSeeds().size());
        var second = settings.clusterSeeds().get(1);
        assertEquals("10.0.0.2", second.getHost());
        assertEquals(7001, second.getPort());
        var credentials = second.getCredentialsProvider().resolveCredentials().block();
        assertEquals("app", credentials.getUsername());
        assertEquals("secret", new String(credentials.getPassword()));
        assertFalse(second.isSsl());
        assertEquals(settings.clusterSeeds().get(0), settings.redisUri());
        assertTrue(read("rediss-cluster://h:1").clusterSeeds().get(0).isSsl());
        String logged = settings.redisUriForLogs();
        assertFalse(logged.contains("secret"), logged);
        assertTrue(logged.contains("10.0.0.3:7002"), logged);
    }

    @Test
    void aPlainUriIsNoCluster() {
        CacheSyncSettings settings = read("redis://127.0.0.1:6379/0");
        assertFalse(settings.cluster());
        assertTrue(settings.clusterSeeds().isEmpty());
    }

    @Test
    void aMalformedClusterUriNamesTheKeyAndTheMaskedValue() {
        for (String bad : new String[]{"redis-cluster://", "redis-cluster://host", "redis-cluster://h:1,h2",
                "redis-cluster://h:port", "redis-cluster://h:70000", "redis-cluster://:pw@h:1/2",
                "redis-cluster://h:1,,h:2"}) {
            InvalidSettingException e = assertThrows(InvalidSettingException.class, () -> read(bad), bad);
            assertEquals(CacheSyncSettings.REDIS_URI, e.key());
            assertTrue(e.getMessage().contains(CacheSyncSettings.REDIS_URI), e.getMessage());
            assertFalse(e.getMessage().contains(":pw@"), e.getMessage());
        }
    }
}
