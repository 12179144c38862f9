package io.cachesync.core;

import org.junit.jupiter.api.Test;

import java.time.Instant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Two failed pushes of one key merge into the write that leaves Redis in the row's final state. */
class RepairQueueKeepsTheFinalStateTest {

    private static final Instant T0 = Instant.parse("2026-11-26T10:00:00Z");

    @Test
    void withinOneGenerationTheNewerVersionWinsAndAnInsertKeepsItsRightOverOldTombstones() {
        SnapshotWrite insert = SnapshotWrite.insert(TestSchemas.account(1, 0, "new"), T0);
        SnapshotWrite update = SnapshotWrite.newer(TestSchemas.account(1, 1, "updated"));
        SnapshotWrite merged = RepairQueue.merge(insert, update);
        assertEquals(WriteMode.INSERT, merged.mode());
        assertEquals(T0, merged.insertedAt());
        assertEquals(1, merged.snapshot().version());
        assertSame(update, RepairQueue.merge(SnapshotWrite.newer(TestSchemas.account(1, 0, "a")), update));
        SnapshotWrite older = SnapshotWrite.newer(TestSchemas.account(1, 0, "older"));
        assertSame(update, RepairQueue.merge(update, older));
    }

    @Test
    void aReinsertAfterAQueuedDeleteReplacesTheTombstoneAndALateDeleteOfTheOldRowDoesNot() {
        SnapshotWrite tombstone = SnapshotWrite.newer(Snapshot.tombstone(TestSchemas.ACCOUNT, 1L, 5, T0));
        SnapshotWrite reinsert = SnapshotWrite.insert(TestSchemas.account(1, 0, "reborn"), T0.plusMillis(5));
        assertSame(reinsert, RepairQueue.merge(tombstone, reinsert));
        assertSame(reinsert, RepairQueue.merge(reinsert, tombstone), "the delete ran before the insert");
        SnapshotWrite deleteOfTheNewRow = SnapshotWrite.newer(Snapshot.tombstone(TestSchemas.ACCOUNT, 1L, 0,
                T0.plusMillis(9)));
        assertTrue(RepairQueue.merge(reinsert, deleteOfTheNewRow).snapshot().tombstone());
    }

    @Test
    void aRunClearsAnOverflowMarkOnlyIfNothingMarkedTheEntityAgainMeanwhile() {
        RepairQueue queue = new RepairQueue(1, () -> { });
        queue.markForReconciliation("Account");
        long atStart = queue.markOf("Account");
        queue.markForReconciliation("Account"); // a push failed while the run went on: it may have escaped the run
        queue.reconciled("Account", atStart);
        assertEquals(java.util.Set.of("Account"), queue.entitiesNeedingReconciliation());

        long atNextStart = queue.markOf("Account");
        queue.reconciled("Account", atNextStart);
        assertEquals(java.util.Set.of(), queue.entitiesNeedingReconciliation());
    }
}
