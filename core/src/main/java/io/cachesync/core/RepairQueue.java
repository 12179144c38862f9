package io.cachesync.core;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Keys whose push failed, each with the newest snapshot that failed for it, waiting to be pushed again.
 *
 * <p>Bounded: when full, a further key is not silently dropped; its entity is marked as needing a full
 * reconciliation, and the overflow is logged at ERROR once per entity until the mark is cleared.
 */
final class RepairQueue {

    private static final Logger log = LoggerFactory.getLogger(RepairQueue.class);

    private final ConcurrentHashMap<String, SnapshotWrite> pending = new ConcurrentHashMap<>();
    /**
     * Entities marked for a full reconciliation, each with the number of its latest mark: a run clears a mark only
     * if nothing marked the entity again after the run started (that change may have escaped the run).
     */
    private final ConcurrentHashMap<String, Long> needsReconciliation = new ConcurrentHashMap<>();
    private final AtomicLong marks = new AtomicLong();
    private final AtomicInteger size = new AtomicInteger();
    private final int capacity;
    private final Runnable onOverflow;

    RepairQueue(int capacity, Runnable onOverflow) {
        this.capacity = capacity;
        this.onOverflow = onOverflow;
    }

    /** Queues a write, keeping only the newest version per key. Returns false if the queue was full. */
    boolean offer(String key, SnapshotWrite write) {
        boolean[] added = {false};
        boolean[] full = {false};
        pending.compute(key, (k, old) -> {
            if (old != null) {
                return merge(old, write);
            }
            if (size.get() >= capacity) {
                full[0] = true;
                return null;
            }
            size.incrementAndGet();
            added[0] = true;
            return asNewer(write);
        });
        if (full[0]) {
            String entity = write.snapshot().entityName();
            if (mark(entity)) {
                log.error("cachesync repair queue is full ({} keys): {}#{} v{} was not queued; every {} key is now "
                                + "marked for a full reconciliation (run the Reconciler for {})", capacity, entity,
                        write.snapshot().id(), write.snapshot().version(), entity, entity);
            }
            onOverflow.run();
            return false;
        }
        return true;
    }

    /**
     * The write that leaves Redis in the row's final state, of a queued one and a later one for the same key:
     * within one generation of the row the newer version; across a delete and a re-insert of the id, whichever
     * statement ran last (the times of the DELETE and the INSERT decide, as in the write script).
     */
    static SnapshotWrite merge(SnapshotWrite old, SnapshotWrite write) {
        Snapshot queued = old.snapshot();
        Snapshot next = write.snapshot();
        if (write.mode() == WriteMode.INSERT && queued.tombstone() && queued.lastUpdated() != null
                && write.insertedAt().isAfter(queued.lastUpdated())) {
            return asNewer(write); // the id was re-inserted after the queued delete
        }
        if (old.insertedAt() != null && next.tombstone() && next.lastUpdated() != null
                && next.lastUpdated().isBefore(old.insertedAt())) {
            return old; // a late delete of the row before the queued insert
        }
        if (queued.version() >= next.version() && !(old.insertedAt() != null && next.tombstone())) {
            return old;
        }
        if (old.insertedAt() != null && write.mode() == WriteMode.NEWER && !next.tombstone()) {
            // an update of a queued insert keeps the insert's right to replace an older tombstone
            return SnapshotWrite.insert(next, old.insertedAt());
        }
        return asNewer(write);
    }

    /**
     * A queued write replays as a versioned write, except a queued insert, which must still be able to replace
     * a tombstone of an earlier row with the same id.
     */
    private static SnapshotWrite asNewer(SnapshotWrite write) { // an insert keeps its insertedAt
        return write.mode() == WriteMode.UNCHANGED_SINCE_READ ? SnapshotWrite.newer(write.snapshot()) : write;
    }

    /** Up to {@code max} queued writes, still queued until {@link #done} removes them. */
    List<Map.Entry<String, SnapshotWrite>> peek(int max) {
        List<Map.Entry<String, SnapshotWrite>> batch = new ArrayList<>(Math.min(max, size.get()));
        for (Map.Entry<String, SnapshotWrite> entry : pending.entrySet()) {
            if (batch.size() >= max) {
                break;
            }
            batch.add(Map.entry(entry.getKey(), entry.getValue()));
        }
        return batch;
    }

    /** Removes a key if it still holds the write that was pushed (a newer failure stays queued). */
    void done(String key, SnapshotWrite pushed) {
        if (pending.remove(key, pushed)) {
            size.decrementAndGet();
        }
    }

    int size() {
        return size.get();
    }

    /** The version of the write queued for a key, or -1 when none is queued. Cheap when the queue is empty. */
    long pendingVersion(String key) {
        if (size.get() == 0) {
            return -1;
        }
        SnapshotWrite write = pending.get(key);
        return write == null ? -1 : write.snapshot().version();
    }

    Set<String> entitiesNeedingReconciliation() {
        return Set.copyOf(needsReconciliation.keySet());
    }

    void markForReconciliation(String entityName) {
        mark(entityName);
    }

    /** Marks the entity (again); true if it was not marked before. */
    private boolean mark(String entityName) {
        return needsReconciliation.put(entityName, marks.incrementAndGet()) == null;
    }

    /** The entity's latest mark, to hand to {@link #reconciled} once a run that started now has covered it. */
    long markOf(String entityName) {
        return needsReconciliation.getOrDefault(entityName, 0L);
    }

    /** Clears the entity's mark if it is still {@code mark}: a mark set after the run started stays. */
    void reconciled(String entityName, long mark) {
        needsReconciliation.remove(entityName, mark);
    }

    List<SnapshotWrite> snapshotOfPending() {
        return new ArrayList<>(pending.values());
    }
}
