package io.cachesync.hibernate;

import org.hibernate.event.spi.PostCommitDeleteEventListener;
import org.hibernate.event.spi.PostCommitInsertEventListener;
import org.hibernate.event.spi.PostCommitUpdateEventListener;
import org.hibernate.event.spi.PostDeleteEvent;
import org.hibernate.event.spi.PostInsertEvent;
import org.hibernate.event.spi.PostUpdateEvent;
import org.hibernate.persister.entity.EntityPersister;

/**
 * Hibernate's post-commit insert, update and delete listener: called only after the transaction committed,
 * with the state that was written. It snapshots the change into the session's {@link TransactionSnapshots};
 * nothing leaves the process here. A commit that failed calls the {@code ...CommitFailed} methods, which
 * record nothing. It never throws into the application's commit: a snapshot that cannot be taken is logged and
 * its entity marked for reconciliation.
 */
final class CommitListener implements PostCommitInsertEventListener, PostCommitUpdateEventListener,
        PostCommitDeleteEventListener {

    private final CacheSyncRuntime runtime;

    CommitListener(CacheSyncRuntime runtime) {
        this.runtime = runtime;
    }

    @Override
    public boolean requiresPostCommitHandling(EntityPersister persister) {
        return SyncedEntity.isSynced(persister);
    }

    @Override
    public void onPostInsert(PostInsertEvent event) {
        SyncedEntity entity = runtime.entity(event.getPersister());
        if (entity != null) {
            try {
                runtime.transaction(event.getSession()).add(entity, entity.snapshot(event.getId(), event.getState()),
                        true);
            } catch (RuntimeException e) {
                runtime.snapshotFailed(entity, event.getId(), e);
            }
        }
    }

    @Override
    public void onPostUpdate(PostUpdateEvent event) {
        SyncedEntity entity = runtime.entity(event.getPersister());
        if (entity != null) {
            try {
                runtime.transaction(event.getSession()).add(entity, entity.snapshot(event.getId(), event.getState()),
                        false);
            } catch (RuntimeException e) {
                runtime.snapshotFailed(entity, event.getId(), e);
            }
        }
    }

    @Override
    public void onPostDelete(PostDeleteEvent event) {
        SyncedEntity entity = runtime.entity(event.getPersister());
        if (entity != null) {
            try {
                TransactionSnapshots transaction = runtime.transaction(event.getSession());
                transaction.add(entity, entity.tombstone(event.getId(), event.getDeletedState(),
                        transaction.deleteTime(entity, event.getId())), false);
            } catch (RuntimeException e) {
                runtime.snapshotFailed(entity, event.getId(), e);
            }
        }
    }

    @Override
    public void onPostInsertCommitFailed(PostInsertEvent event) {
        // rolled back: nothing of it may reach any cache
    }

    @Override
    public void onPostUpdateCommitFailed(PostUpdateEvent event) {
        // rolled back: nothing of it may reach any cache
    }

    @Override
    public void onPostDeleteCommitFailed(PostDeleteEvent event) {
        // rolled back: nothing of it may reach any cache
    }
}
