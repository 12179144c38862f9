package io.cachesync.hibernate;

import io.cachesync.core.CacheSyncSettings;
import io.cachesync.core.InvalidSettingException;
import io.cachesync.core.SnapshotSchema;
import io.cachesync.testsupport.RedisExtension;
import io.cachesync.testsupport.TestRedis;
import org.hibernate.SessionFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.math.BigDecimal;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Keys cannot collide: ids holding {@code :}, spaces, glob characters, hash-tag braces, unicode or another
 * entity's key each get their own key, read back their own row, survive an update and a delete of a neighbour,
 * and are found by the Reconciler's SCAN without drift; entity names and prefixes that could make two keys meet
 * are refused.
 */
@ExtendWith(RedisExtension.class)
class OddIdsNeverShareAKeyTest {

    private static final List<String> IDS = List.of("a", "b", "a:b", "a:b:c", ":", "::", "a:", ":a", "*", "a*", "?",
            "[ab]", "\\", "{x}", "{a}:b", "with space", " ", "tab\there", "new\nline", "ünïcødé ✓", "日本",
            "Account:1", "cachesync:Account:1", "Profile:a", "%", "\"quoted\"", "1");

    @Test
    void everyOddIdHasItsOwnKeyAndItsOwnRow(TestRedis redis) throws Exception {
        try (SessionFactory sf = TestNodes.node(TestNodes.newDatabase(), redis.uri(), true)) {
            CacheSync sync = CacheSync.of(sf);
            RedisOutageNeverFailsACommitTest.waitUntil(sync::localTierServing, java.time.Duration.ofSeconds(10));
            sf.inTransaction(s -> s.persist(new Account(1, "account one", BigDecimal.ONE)));
            for (String id : IDS) {
                sf.inTransaction(s -> s.persist(new Profile(id, "nick of " + id, null)));
            }
            Set<String> keys = new HashSet<>();
            for (String id : IDS) {
                assertTrue(keys.add(sync.key(Profile.class, id)), "two ids share the key " + sync.key(Profile.class, id));
                assertEquals("nick of " + id, sync.snapshot(Profile.class, id).orElseThrow().state().get("nickname"));
            }
            assertEquals(IDS.size() + 1, redis.commands().dbsize(), "one key per row, nothing more");

            // change every other row and delete one: neighbours whose ids share a prefix must not move
            for (int i = 0; i < IDS.size(); i += 2) {
                String id = IDS.get(i);
                sf.inTransaction(s -> s.find(Profile.class, id).setNickname("changed " + id));
            }
            sf.inTransaction(s -> s.remove(s.find(Profile.class, "a:b")));
            sync.clearLocalTier();
            for (int i = 0; i < IDS.size(); i++) {
                String id = IDS.get(i);
                if (id.equals("a:b")) {
                    assertTrue(sync.find(Profile.class, id).isEmpty());
                    assertTrue(sync.snapshot(Profile.class, id).orElseThrow().tombstone());
                } else {
                    assertEquals((i % 2 == 0 ? "changed " : "nick of ") + id,
                            sync.find(Profile.class, id).orElseThrow().getNickname(), "Profile#" + id);
                }
            }
            assertEquals("account one", sync.find(Account.class, 1L).orElseThrow().getOwner());
            ReconciliationReport check = Reconciler.of(sf).checkOnly(true).run();
            assertEquals(0, check.inconsistent() + check.missing() + check.orphaned(), check.toString());
            assertEquals(IDS.size(), check.model("Profile").orElseThrow().consistent(), check.toString());
            CacheAgreesWithDatabase.assertAgrees(sf, true);
            System.out.printf("[odd-ids] %d Profile ids with : * ? [] {} spaces, control characters and unicode: %d "
                    + "distinct keys, zero drift%n", IDS.size(), keys.size());
        }
    }

    @Test
    void namesThatCouldMakeTwoKeysMeetAreRefused() {
        for (String name : List.of("Acc:ount", "Acc ount", "Acc*", "A?", "A[b]", "A\\b", "")) {
            assertThrows(IllegalArgumentException.class, () -> new SnapshotSchema(name, Long.class, List.of(),
                    List.of()), name);
        }
        for (String prefix : List.of("a:b", "a b", "a*", "")) {
            InvalidSettingException e = assertThrows(InvalidSettingException.class, () -> CacheSyncSettings
                    .fromProperties(Map.of(CacheSyncSettings.REDIS_URI, "redis://h:1",
                            CacheSyncSettings.KEY_PREFIX, prefix)));
            assertTrue(e.getMessage().contains(CacheSyncSettings.KEY_PREFIX), e.getMessage());
        }
    }
}
