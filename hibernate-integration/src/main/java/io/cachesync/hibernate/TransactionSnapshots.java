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

    TransactionSnapshots(CacheSyncRuntime runtime, SharedSessionContractImplementor session) {
        this.runtime = runtime;
        this.session = session;
    }

    /**
     * When each row's INSERT or DELETE statement ran in this transaction, taken right after the statement (before
     * the commit). A delete of a row can only run after that row's insert committed, so these times order an
     * insert and a delete of the same id even when their post-commit listeners run in the other order.
     */
    private final Map<String, Instant> statementTimes = new HashMap<>();

    void statementRan(SyncedEntity entity, Object id) {
        statementTimes.put(entity.entityName() + ':' + id, Instant.now());
    }

    Instant statementTime(SyncedEntity entity, Object id) {
        Instant time = statementTimes.get(entity.entityName() + ':' + id);
        return time != null ? time : Instant.now();
    }

    void add(SyncedEntity entity, Snapshot snapshot, boolean insert) {
        String key = entity.entityName() + ':' + snapshot.id();
        SnapshotWrite previous = writes.get(key);
        Instant insertedAt = insert ? statementTime(entity, snapshot.id())
                : previous != null ? previous.insertedAt() : null;
        if (previous == null || previous.snapshot().version() <= snapshot.version()) {
            writes.put(key, insertedAt != null ? SnapshotWrite.insert(snapshot, insertedAt)
                    : SnapshotWrite.newer(snapshot));
        }
    }

    @Override
    public void transactionCompletion(boolean successful) {
        statementTimes.clear();
        if (writes.isEmpty()) {
            return;
        }
        List<SnapshotWrite> batch = new ArrayList<>(writes.values());
        writes.clear();
        if (successful) {
            runtime.publish(batch);
        }
    }

    @Override
    public void end() {
        runtime.forget(session);
    }
}
