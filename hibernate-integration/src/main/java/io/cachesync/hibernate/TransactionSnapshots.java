package io.cachesync.hibernate;

import io.cachesync.core.Snapshot;
import io.cachesync.core.SnapshotWrite;
import org.hibernate.engine.spi.SharedSessionContractImplementor;
import org.hibernate.SessionEventListener;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The snapshots that one session's committed transaction produced, collected from the post-commit listeners and
 * published together when Hibernate reports the transaction complete: one Redis round trip per transaction, not
 * one per entity.
 *
 * <p>Hibernate runs every post-commit listener of a transaction before it tells session event listeners that the
 * transaction completed, so by then this buffer holds the whole transaction. A session is single-threaded, so no
 * locking is needed; one buffer serves every transaction of its session and is dropped when the session ends.
 */
final class TransactionSnapshots implements SessionEventListener {

    private final CacheSyncRuntime runtime;
    private final SharedSessionContractImplementor session;
    /** Per key, the newest snapshot of the transaction; an insert keeps its right to replace a tombstone. */
    private final Map<String, SnapshotWrite> writes = new LinkedHashMap<>();
    /** Suffix of the entry holding a tombstone that must reach Redis before the re-insert of the same id. */
    private static final String DELETED_BEFORE = "\u0000deleted-before";

    TransactionSnapshots(CacheSyncRuntime runtime, SharedSessionContractImplementor session) {
        this.runtime = runtime;
        this.session = session;
    }

    /**
     * When each row's INSERT and DELETE statements ran in this transaction, taken right after the statement
     * (before the commit). A delete of a row can only run after that row's insert committed, so these times order
     * an insert and a delete of the same id even when their post-commit listeners run in the other order, and
     * within one transaction they tell a delete of the old row from a delete of the re-inserted one.
     */
    private final Map<String, Instant> insertTimes = new HashMap<>();
    private final Map<String, Instant> deleteTimes = new HashMap<>();

    void statementRan(SyncedEntity entity, Object id, boolean insert) {
        (insert ? insertTimes : deleteTimes).put(entity.entityName() + ':' + id, Instant.now());
    }

    /** When the row's DELETE ran in this transaction (now, if the listener did not see it). */
    Instant deleteTime(SyncedEntity entity, Object id) {
        Instant time = deleteTimes.get(entity.entityName() + ':' + id);
        return time != null ? time : Instant.now();
    }

    private Instant insertTime(String key) {
        Instant time = insertTimes.get(key);
        return time != null ? time : Instant.now();
    }

    /**
     * Keeps, per key, the write that leaves Redis in the row's final state: the newest version within one
     * generation of the row, and across a delete and a re-insert of the same id, whichever statement ran last.
     */
    void add(SyncedEntity entity, Snapshot snapshot, boolean insert) {
        String key = entity.entityName() + ':' + snapshot.id();
        SnapshotWrite previous = writes.get(key);
        if (insert) {
            Instant insertedAt = insertTime(key);
            if (previous != null && previous.snapshot().tombstone()
                    && insertedAt.isAfter(previous.snapshot().lastUpdated())) {
                // deleted and re-inserted in this transaction: Redis still holds the old row, which only the
                // tombstone may replace, so both go, in this order, in the same pipeline
                writes.remove(key);
                writes.put(key + DELETED_BEFORE, previous);
                writes.put(key, SnapshotWrite.insert(snapshot, insertedAt));
            } else if (previous == null || previous.snapshot().version() <= snapshot.version()) {
                writes.put(key, SnapshotWrite.insert(snapshot, insertedAt));
            }
        } else if (snapshot.tombstone()) {
            boolean deletesAnEarlierGeneration = previous != null && previous.insertedAt() != null
                    && snapshot.lastUpdated().isBefore(previous.insertedAt());
            if (!deletesAnEarlierGeneration
                    && (previous == null || previous.snapshot().version() <= snapshot.version()
                    || previous.insertedAt() != null)) {
                writes.put(key, SnapshotWrite.newer(snapshot));
            }
        } else if (previous == null || previous.snapshot().version() <= snapshot.version()) {
            // an update keeps the right of this transaction's insert to replace an older tombstone
            writes.put(key, previous != null && previous.insertedAt() != null
                    ? SnapshotWrite.insert(snapshot, previous.insertedAt()) : SnapshotWrite.newer(snapshot));
        }
    }

    @Override
    public void transactionCompletion(boolean successful) {
        insertTimes.clear();
        deleteTimes.clear();
        if (writes.isEmpty()) {
            return;
        }
        List<SnapshotWrite> batch = new ArrayList<>(writes.values());
        writes.clear();
        if (successful) {
            try {
                runtime.publish(batch);
            } catch (RuntimeException e) {
                // the transaction has committed: a cache failure must not reach the application's commit()
                runtime.publishFailed(batch, e);
            }
        }
    }

    @Override
    public void end() {
        runtime.forget(session);
    }
}
