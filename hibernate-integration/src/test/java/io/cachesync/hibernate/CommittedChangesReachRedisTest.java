package io.cachesync.hibernate;

import io.cachesync.core.Snapshot;
import io.cachesync.testsupport.TestRedis;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.time.LocalDate;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CommittedChangesReachRedisTest extends OneNodeTest {

    @Test
    void insertLandsAsVersionZeroWithItsState(TestRedis redis) {
        sf.inTransaction(s -> s.persist(new Account(42, "ann", new BigDecimal("120.50"))));

        Snapshot snapshot = sync.snapshot(Account.class, 42L).orElseThrow();
        assertEquals(0, snapshot.version());
        assertFalse(snapshot.tombstone());
        assertEquals("ann", snapshot.state().get("owner"));
        assertEquals(new BigDecimal("120.50"), snapshot.state().get("balance"));
        assertEquals(Account.Status.OPEN, snapshot.state().get("status"));
        assertNotNull(snapshot.lastUpdated());
        String raw = redis.commands().get("cachesync:Account:42");
        assertTrue(raw.startsWith("{\"version\":0,\"deleted\":false,\"schema\":\""), raw);
        assertTrue(raw.contains("\"owner\":\"ann\""), raw);
        CacheAgreesWithDatabase.assertAgrees(sf, true);
    }

    @Test
    void everyUpdateLandsWithTheNewVersion() {
        sf.inTransaction(s -> s.persist(new Account(1, "bob", BigDecimal.TEN)));
        for (int i = 1; i <= 3; i++) {
            int n = i;
            sf.inTransaction(s -> s.find(Account.class, 1L).setBalance(BigDecimal.valueOf(10 + n)));
            Snapshot snapshot = sync.snapshot(Account.class, 1L).orElseThrow();
            assertEquals(n, snapshot.version());
            assertEquals(0, BigDecimal.valueOf(10 + n).compareTo((BigDecimal) snapshot.state().get("balance")));
        }
        CacheAgreesWithDatabase.assertAgrees(sf, true);
    }

    @Test
    void deleteLeavesATombstoneOneVersionAboveTheRowWithATtl(TestRedis redis) {
        sf.inTransaction(s -> s.persist(new Account(7, "cy", BigDecimal.ONE)));
        sf.inTransaction(s -> s.find(Account.class, 7L).setOwner("cyd"));
        sf.inTransaction(s -> s.remove(s.find(Account.class, 7L)));

        Snapshot tombstone = sync.snapshot(Account.class, 7L).orElseThrow();
        assertTrue(tombstone.tombstone());
        assertEquals(2, tombstone.version());
        long ttl = redis.commands().pttl("cachesync:Account:7");
        assertTrue(ttl > 0 && ttl <= sync.settings().tombstoneTtl().toMillis(), "tombstone TTL " + ttl);
        CacheAgreesWithDatabase.assertAgrees(sf, true);
    }

    @Test
    void associationsAreStoredAsTheTargetsIdAndFindRebuildsTheRow() {
        sf.inTransaction(s -> {
            Account account = new Account(5, "dee", BigDecimal.ONE);
            s.persist(account);
            Profile profile = new Profile("dee:main", "D", account);
            profile.setBirthday(LocalDate.of(1990, 2, 3));
            s.persist(profile);
        });

        Snapshot snapshot = sync.snapshot(Profile.class, "dee:main").orElseThrow();
        assertEquals(5L, snapshot.state().get("account"));
        assertEquals(LocalDate.of(1990, 2, 3), snapshot.state().get("birthday"));
        Optional<Profile> found = sync.find(Profile.class, "dee:main");
        assertEquals("D", found.orElseThrow().getNickname());
        assertEquals(5L, found.get().getAccount().getId());
        assertEquals(0, found.get().getVersion());
        assertNotNull(found.get().getLastUpdated());
        Account account = sync.find(Account.class, 5L).orElseThrow(); // has a collection: set property by property
        assertEquals("dee", account.getOwner());
        assertEquals(0, BigDecimal.ONE.compareTo(account.getBalance()));
        assertEquals(Account.Status.OPEN, account.getStatus());
        assertTrue(account.getProfiles().isEmpty(), "collections are not cached; the constructor's list stays");
        CacheAgreesWithDatabase.assertAgrees(sf, true);
    }

    @Test
    void oneTransactionWithManyChangesLandsThemAll() {
        sf.inTransaction(s -> {
            for (long id = 100; id < 150; id++) {
                s.persist(new Account(id, "batch" + id, BigDecimal.valueOf(id)));
            }
        });
        sf.inTransaction(s -> {
            for (long id = 100; id < 125; id++) {
                s.find(Account.class, id).setOwner("changed" + id);
            }
            for (long id = 125; id < 130; id++) {
                s.remove(s.find(Account.class, id));
            }
        });
        assertEquals(1, sync.snapshot(Account.class, 110L).orElseThrow().version());
        assertTrue(sync.snapshot(Account.class, 126L).orElseThrow().tombstone());
        assertEquals(0, sync.snapshot(Account.class, 140L).orElseThrow().version());
        CacheAgreesWithDatabase.assertAgrees(sf, true);
    }

    @Test
    void aRowInsertedAndUpdatedInOneTransactionLandsOnceAtItsLastVersion() {
        sf.inTransaction(s -> {
            Account a = new Account(9, "eve", BigDecimal.ONE);
            s.persist(a);
            s.flush();
            a.setOwner("eva");
        });
        Snapshot snapshot = sync.snapshot(Account.class, 9L).orElseThrow();
        assertEquals(1, snapshot.version());
        assertEquals("eva", snapshot.state().get("owner"));
    }

    @Test
    void aReinsertedIdReplacesItsTombstone() {
        sf.inTransaction(s -> s.persist(new Account(11, "fay", BigDecimal.ONE)));
        sf.inTransaction(s -> s.find(Account.class, 11L).setOwner("fay2"));
        sf.inTransaction(s -> s.remove(s.find(Account.class, 11L)));
        assertTrue(sync.snapshot(Account.class, 11L).orElseThrow().tombstone());

        sf.inTransaction(s -> s.persist(new Account(11, "gus", BigDecimal.TEN)));
        Snapshot snapshot = sync.snapshot(Account.class, 11L).orElseThrow();
        assertFalse(snapshot.tombstone());
        assertEquals("gus", snapshot.state().get("owner"));
        assertEquals("gus", sync.find(Account.class, 11L).orElseThrow().getOwner());
        CacheAgreesWithDatabase.assertAgrees(sf, true);
    }
}
