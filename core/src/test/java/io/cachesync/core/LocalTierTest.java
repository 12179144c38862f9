package io.cachesync.core;

import org.junit.jupiter.api.Test;

import java.time.Instant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The local tier's ordering rules, one interleaving at a time. */
class LocalTierTest {

    private final LocalTier tier = serving(new LocalTier(CacheSyncSettings.builder("redis://127.0.0.1:6379").build()));

    private static LocalTier serving(LocalTier tier) {
        tier.resume();
        return tier;
    }

    @Test
    void anInvalidationThatArrivesDuringAFillWins() {
        long epoch = tier.epoch();
        // reader: read v1 from Redis ... meanwhile another node commits v2 and its invalidation arrives
        tier.invalidate("Account", 1L, 2, false);
        assertFalse(tier.fill(TestSchemas.account(1, 1, "stale"), epoch));
        assertNull(tier.get("Account", 1L));
        assertTrue(tier.fill(TestSchemas.account(1, 2, "fresh"), epoch));
        assertEquals("fresh", tier.get("Account", 1L).state().get("owner"));
    }

    @Test
    void anOlderSnapshotNeverReplacesANewerOne() {
        long epoch = tier.epoch();
        assertTrue(tier.fill(TestSchemas.account(1, 5, "v5"), epoch));
        assertFalse(tier.fill(TestSchemas.account(1, 4, "v4"), epoch));
        tier.commit(TestSchemas.account(1, 3, "v3"), false, null);
        assertEquals(5, tier.get("Account", 1L).version());
        tier.invalidate("Account", 1L, 5, false); // our own announcement: keep the entry
        assertEquals(5, tier.get("Account", 1L).version());
        tier.invalidate("Account", 1L, 6, false);
        assertNull(tier.get("Account", 1L));
        assertEquals(6, tier.knownVersion("Account", 1L));
    }

    @Test
    void aClearRefusesEveryFillThatStartedBeforeIt() {
        long epoch = tier.epoch();
        tier.clearAndBypass();
        assertFalse(tier.fill(TestSchemas.account(1, 1, "before the drop"), epoch));
        tier.resume();
        assertFalse(tier.fill(TestSchemas.account(1, 1, "still from before"), epoch));
        assertTrue(tier.fill(TestSchemas.account(1, 1, "after"), tier.epoch()));
    }

    @Test
    void nothingIsServedWhileBypassed() {
        tier.commit(TestSchemas.account(1, 1, "x"), false, null);
        tier.clearAndBypass();
        tier.commit(TestSchemas.account(1, 2, "y"), false, null);
        assertNull(tier.get("Account", 1L));
        assertTrue(new LocalTier(CacheSyncSettings.builder("redis://127.0.0.1:6379").build()).bypassed(),
                "a new tier serves nothing until its channel is confirmed");
    }

    @Test
    void anInsertReplacesATombstoneOnTheCommittingNodeAndOnOthers() {
        Instant deletedAt = Instant.now();
        Snapshot tombstone = Snapshot.tombstone(TestSchemas.ACCOUNT, 1L, 3, deletedAt);
        tier.commit(tombstone, false, null);
        tier.commit(TestSchemas.account(1, 0, "reborn"), true, deletedAt.plusMillis(1));
        assertEquals("reborn", tier.get("Account", 1L).state().get("owner"));
        tier.commit(tombstone, false, null); // a delayed copy of the old tombstone: not newer than the live row's floor
        tier.invalidate("Account", 2L, 0, false);
        tier.commit(Snapshot.tombstone(TestSchemas.ACCOUNT, 2L, 3, Instant.now()), false, null);
        tier.invalidate("Account", 2L, 0, true);
        assertNull(tier.get("Account", 2L));
    }

    /**
     * An insert whose local update was delayed past the delete of the very row it inserted (its push is refused by
     * Redis for the same reason) must not bring the row back on the committing node in the meantime.
     */
    @Test
    void anInsertNeverReplacesATombstoneOfADeleteThatCameAfterIt() {
        Instant insertedAt = Instant.now();
        Snapshot tombstone = Snapshot.tombstone(TestSchemas.ACCOUNT, 3L, 1, insertedAt.plusMillis(2));
        tier.fill(tombstone, tier.epoch());
        tier.commit(TestSchemas.account(3, 0, "inserted, then deleted"), true, insertedAt);
        assertTrue(tier.get("Account", 3L).tombstone(), "the row came back after its delete");
    }

    @Test
    void aClearKeepsEveryVersionAsAFloorSoAnOlderRedisCopyIsNeverTaken() {
        tier.fill(TestSchemas.account(1, 5, "v5"), tier.epoch());
        tier.invalidate("Account", 2L, 7, false);
        tier.clearAndBypass();
        tier.resume();
        assertNull(tier.get("Account", 1L));
        assertEquals(5, tier.knownVersion("Account", 1L));
        assertEquals(7, tier.knownVersion("Account", 2L));
        assertFalse(tier.fill(TestSchemas.account(1, 3, "a lagging replica's copy"), tier.epoch()));
        assertTrue(tier.fill(TestSchemas.account(1, 5, "v5 again"), tier.epoch()));
        tier.clear();
        assertEquals(5, tier.knownVersion("Account", 1L));
    }

    @Test
    void whatTheNodeCommitsOrServesWhileBypassedRaisesItsFloor() {
        tier.fill(TestSchemas.account(1, 5, "v5"), tier.epoch());
        tier.clearAndBypass();
        tier.commit(TestSchemas.account(1, 6, "committed here"), false, null);
        assertFalse(tier.fill(TestSchemas.account(2, 9, "served from the database"), tier.epoch()));
        tier.resume();
        assertEquals(6, tier.knownVersion("Account", 1L));
        assertEquals(9, tier.knownVersion("Account", 2L));
        assertFalse(tier.fill(TestSchemas.account(2, 8, "older"), tier.epoch()));
    }

    @Test
    void onlyADatabaseReadStartedAfterARetainedFloorReplacesItWithALowerVersion() {
        tier.fill(TestSchemas.account(1, 5, "v5"), tier.epoch());
        long before = tier.epoch();
        tier.clearAndBypass();
        tier.resume();
        assertFalse(tier.fillLoaded(TestSchemas.account(1, 0, "read before the clear"), before));
        assertFalse(tier.fill(TestSchemas.account(1, 0, "a Redis copy"), tier.epoch()));
        assertTrue(tier.fillLoaded(TestSchemas.account(1, 0, "created again"), tier.epoch()),
                "a row deleted and created again restarts its versions");
        assertEquals("created again", tier.get("Account", 1L).state().get("owner"));

        long reading = tier.epoch();
        tier.invalidate("Account", 2L, 4, false); // a floor of a live invalidation, not a retained one
        assertFalse(tier.fillLoaded(TestSchemas.account(2, 3, "a slow read"), reading));
    }

    @Test
    void anInsertInvalidationReplacesAFloorOfTheRowsFormerLife() {
        tier.invalidate("Account", 1L, 6, false);
        tier.invalidate("Account", 1L, 0, true);
        assertEquals(0, tier.knownVersion("Account", 1L));
        assertTrue(tier.fill(TestSchemas.account(1, 0, "reborn"), tier.epoch()));
    }

    @Test
    void anInsertReplacesAFloorOfAnEarlierRowButNotOneOfItsOwnLaterVersion() {
        Instant insertedAt = Instant.now();
        // a read's fill of v1 (written after the insert ran) was refused: only a floor is left
        Snapshot later = Snapshot.of(TestSchemas.ACCOUNT, 1L, 1, insertedAt.plusMillis(5),
                TestSchemas.account(1, 1, "v1").state());
        tier.demote("Account", 1L, 1, later);
        tier.commit(TestSchemas.account(1, 0, "the insert, late"), true, insertedAt);
        assertNull(tier.get("Account", 1L), "the node served v1: its own late insert must not undercut it");
        assertEquals(1, tier.knownVersion("Account", 1L));

        Snapshot earlierRow = Snapshot.of(TestSchemas.ACCOUNT, 2L, 6, insertedAt.minusMillis(5),
                TestSchemas.account(2, 6, "deleted since").state());
        tier.demote("Account", 2L, 6, earlierRow);
        tier.commit(TestSchemas.account(2, 0, "created again"), true, insertedAt);
        assertEquals("created again", tier.get("Account", 2L).state().get("owner"));
    }

    @Test
    void aClearDuringAFillNeverMakesTheTierForgetAVersionItWasToldOf() {
        // told of v4 (a floor); a read then finds v4 in Redis and fills it; a clear (clearLocalTier, or the channel
        // dropping) lands between the fill's epoch check and its store
        tier.invalidate("Account", 1L, 4, false);
        long epoch = tier.epoch();
        tier.beforeFillStore = tier::clear;
        try {
            assertFalse(tier.fill(TestSchemas.account(1, 4, "v4"), epoch));
        } finally {
            tier.beforeFillStore = null;
        }
        assertNull(tier.get("Account", 1L));
        // the clear kept v4 as a floor; undoing the fill must not drop it, or a Redis that lost writes (a restore,
        // a failover) sends the next read back to v3
        assertEquals(4, tier.knownVersion("Account", 1L));
    }

    @Test
    void aClearDuringAFillKeepsTheVersionTheReadServed() {
        long epoch = tier.epoch();
        tier.beforeFillStore = () -> tier.clearAndBypass();
        try {
            assertFalse(tier.fill(TestSchemas.account(1, 4, "v4"), epoch));
        } finally {
            tier.beforeFillStore = null;
        }
        tier.resume();
        assertNull(tier.get("Account", 1L));
        assertEquals(4, tier.knownVersion("Account", 1L), "the read served v4 and filled it; the undo forgot it");
    }

    @Test
    void aLoadedFillRacingAnInvalidationUnderARetainedFloorLoses() {
        // the node knew v5 of a row; its channel dropped, and meanwhile the row was deleted and created again
        tier.invalidate("Account", 1L, 5, false);
        tier.clearAndBypass();
        tier.resume(); // a retained floor at v5
        // a read starts: Redis holds v0 of the new row, below the floor, so it loads v0 from the database...
        long epoch = tier.epoch();
        // ...then another node commits v1 of the new row; Redis takes it and the invalidation lands here
        tier.invalidate("Account", 1L, 1, false);
        // the read's fill of v0 comes last: it raced the invalidation of v1, so it must lose
        tier.fillLoaded(TestSchemas.account(1, 0, "v0"), epoch);
        Snapshot served = tier.get("Account", 1L);
        assertTrue(served == null || served.version() >= 1,
                "told of v1, the tier keeps serving v0 (until the row's next write or expire-after-write)");
        // a read that loads v1 (or later) may replace the floor: the row was created again
        assertTrue(tier.fillLoaded(TestSchemas.account(1, 1, "v1"), tier.epoch()));
        assertEquals(1, tier.get("Account", 1L).version());
    }

    @Test
    void anInsertReplacesAFloorAnnouncedBeforeItRanButNotOneAnnouncedAfter() throws InterruptedException {
        tier.invalidate("Account", 1L, 4, false); // an earlier row's version, heard before the INSERT below ran
        Thread.sleep(2);
        Instant insertedAt = Instant.now();
        tier.commit(TestSchemas.account(1, 0, "created again"), true, insertedAt);
        assertEquals("created again", tier.get("Account", 1L).state().get("owner"));

        Instant insertRan = Instant.now();
        Thread.sleep(2);
        tier.invalidate("Account", 2L, 1, false); // heard after the INSERT ran: maybe this very row's v1
        tier.commit(TestSchemas.account(2, 0, "the insert, late"), true, insertRan);
        assertNull(tier.get("Account", 2L));
        assertEquals(1, tier.knownVersion("Account", 2L));
    }
}
