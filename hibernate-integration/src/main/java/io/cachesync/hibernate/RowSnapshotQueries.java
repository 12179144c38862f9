package io.cachesync.hibernate;

import io.cachesync.core.Snapshot;
import io.cachesync.core.SnapshotSchema;
import org.hibernate.StatelessSession;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The Reconciler's reads of one entity's rows: pages in id order by keyset ({@code where id > :last order by id},
 * never OFFSET), rows by id, and which ids exist.
 *
 * <p>Rows are selected as tuples of the snapshot's columns, to-one associations as their foreign key
 * ({@code e.account.id}): no entity is instantiated and no association is loaded, so a page is one SQL statement
 * however the associations are fetched.
 */
final class RowSnapshotQueries {

    private final SyncedEntity entity;
    private final SnapshotSchema schema;
    private final String firstPage;
    private final String nextPage;
    private final String byIds;
    private final String existingIds;
    private final String count;
    private final int stateOffset;

    RowSnapshotQueries(SyncedEntity entity) {
        this.entity = entity;
        this.schema = entity.schema();
        String id = "e." + entity.idPropertyName();
        StringBuilder select = new StringBuilder("select ").append(id).append(", e.").append(entity.versionPropertyName());
        if (entity.hasLastUpdated()) {
            select.append(", e.lastUpdated");
        }
        this.stateOffset = entity.hasLastUpdated() ? 3 : 2;
        List<String> names = schema.propertyNames();
        for (int p = 0; p < names.size(); p++) {
            // e.account.id names the foreign key column itself: Hibernate neither joins nor loads the target
            select.append(", e.").append(names.get(p));
            if (entity.isAssociation(p)) {
                select.append('.').append(entity.targetIdPropertyName(p));
            }
        }
        String from = " from " + entity.entityName() + " e";
        this.firstPage = select + from + " order by " + id;
        this.nextPage = select + from + " where " + id + " > :last order by " + id;
        this.byIds = select + from + " where " + id + " in :ids";
        this.existingIds = "select " + id + from + " where " + id + " in :ids";
        this.count = "select count(*)" + from;
    }

    /** Up to {@code limit} rows with ids above {@code after} (null: from the first), in id order. */
    List<Snapshot> page(StatelessSession session, Object after, int limit) {
        List<Object[]> tuples = (after == null
                ? session.createSelectionQuery(firstPage, Object[].class)
                : session.createSelectionQuery(nextPage, Object[].class).setParameter("last", after))
                .setMaxResults(limit)
                .setReadOnly(true)
                .list();
        List<Snapshot> rows = new ArrayList<>(tuples.size());
        for (Object[] tuple : tuples) {
            rows.add(snapshot(tuple));
        }
        return rows;
    }

    /** The current snapshots of the rows with these ids, by id; absent ids have no row. */
    Map<Object, Snapshot> rows(StatelessSession session, Collection<?> ids) {
        if (ids.isEmpty()) {
            return Map.of();
        }
        Map<Object, Snapshot> rows = new HashMap<>();
        for (Object[] tuple : session.createSelectionQuery(byIds, Object[].class).setParameterList("ids", ids)
                .setReadOnly(true).list()) {
            Snapshot row = snapshot(tuple);
            rows.put(row.id(), row);
        }
        return rows;
    }

    /** Which of these ids have a row. */
    Set<Object> existing(StatelessSession session, Collection<?> ids) {
        if (ids.isEmpty()) {
            return Set.of();
        }
        return new HashSet<>(session.createSelectionQuery(existingIds, Object.class).setParameterList("ids", ids)
                .list());
    }

    long count(StatelessSession session) {
        return session.createSelectionQuery(count, Long.class).getSingleResult();
    }

    private Snapshot snapshot(Object[] tuple) {
        List<String> names = schema.propertyNames();
        Map<String, Object> state = new LinkedHashMap<>(names.size() * 2);
        for (int p = 0; p < names.size(); p++) {
            state.put(names.get(p), tuple[stateOffset + p]);
        }
        long version = tuple[1] == null ? 0 : ((Number) tuple[1]).longValue();
        return Snapshot.of(schema, tuple[0], version, stateOffset == 3 ? (Instant) tuple[2] : null, state);
    }

    SyncedEntity entity() {
        return entity;
    }
}
