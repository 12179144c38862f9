package io.cachesync.hibernate;

import org.hibernate.event.spi.PostDeleteEvent;
import org.hibernate.event.spi.PostDeleteEventListener;
import org.hibernate.event.spi.PostInsertEvent;
import org.hibernate.event.spi.PostInsertEventListener;
import org.hibernate.persister.entity.EntityPersister;

/**
 * Notes when each INSERT and DELETE statement of a synced entity ran, inside the transaction (Hibernate calls it
 * during the flush, before the commit). Only the time is kept, in the session's {@link TransactionSnapshots}; it
 * orders a re-inserted id against the tombstone of its previous row. Nothing leaves the process here.
 */
final class StatementTimeListener implements PostInsertEventListener, PostDeleteEventListener {

    private final CacheSyncRuntime runtime;

    StatementTimeListener(CacheSyncRuntime runtime) {
        this.runtime = runtime;
    }

    @Override
    public boolean requiresPostCommitHandling(EntityPersister persister) {
        return false;
    }

    @Override
    public void onPostInsert(PostInsertEvent event) {
        SyncedEntity entity = runtime.entity(event.getPersister());
        if (entity != null) {
            runtime.transaction(event.getSession()).statementRan(entity, event.getId(), true);
        }
    }

    @Override
    public void onPostDelete(PostDeleteEvent event) {
        SyncedEntity entity = runtime.entity(event.getPersister());
        if (entity != null) {
            runtime.transaction(event.getSession()).statementRan(entity, event.getId(), false);
        }
    }
}
