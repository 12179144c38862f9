package io.cachesync.hibernate;

import io.cachesync.core.DecodeResult;
import io.cachesync.core.RedisSnapshotStore;
import io.cachesync.core.Snapshot;
import io.cachesync.core.SnapshotCodec;
import org.hibernate.SessionFactory;
import org.hibernate.StatelessSession;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * The check every cache test ends with: each row of each synced entity has exactly its snapshot in Redis (same
 * version, same state), and every snapshot in Redis that is not a tombstone has its row. Written independently
 * of the Reconciler, so that it can judge it.
 */
final class CacheAgreesWithDatabase {

    private CacheAgreesWithDatabase() {
    }

    /**
     * Fails listing every disagreement; {@code requireAll}: a row without a snapshot is a disagreement too. A read
     * of Redis that times out (a machine busy with other builds) is tried again, twice: this checks the data, not
     * Redis' latency.
     */
    static void assertAgrees(SessionFactory sessionFactory, boolean requireAll) {
        for (int attempt = 1; ; attempt++) {
            try {
                check(sessionFactory, requireAll);
                return;
            } catch (io.cachesync.core.RedisUnavailableException e) {
                if (attempt == 3) {
                    throw e;
                }
                try {
                    Thread.sleep(500);
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
        }
    }

    private static void check(SessionFactory sessionFactory, boolean requireAll) {
        List<String> problems = new ArrayList<>();
        CacheSyncRuntime runtime = CacheSync.of(sessionFactory).runtime();
        RedisSnapshotStore store = runtime.cache().store();
        SnapshotCodec codec = store.codec();
        for (SyncedEntity entity : runtime.entities().values()) {
            Map<Object, Snapshot> rows = new HashMap<>();
            try (StatelessSession session = sessionFactory.openStatelessSession()) {
                for (Object row : session.createSelectionQuery("from " + entity.entityName(), Object.class).list()) {
                    Snapshot snapshot = entity.snapshotOf(row);
                    rows.put(snapshot.id(), snapshot);
                }
            }
            List<String> keys = new ArrayList<>();
            store.scan(entity.entityName(), 1000, keys::add);
            List<byte[]> values = store.readAll(keys);
            Map<Object, Snapshot> cached = new HashMap<>();
            for (int i = 0; i < keys.size(); i++) {
                Object id = SnapshotCodec.parseId(entity.schema().idType(),
                        store.keys().idTextOf(entity.entityName(), keys.get(i)));
                DecodeResult decoded = codec.decode(entity.schema(), id, values.get(i));
                if (decoded instanceof DecodeResult.Decoded d) {
                    cached.put(id, d.snapshot());
                } else {
                    problems.add(keys.get(i) + " does not decode: " + decoded);
                }
            }
            for (Snapshot row : rows.values()) {
                Snapshot inRedis = cached.get(row.id());
                if (inRedis == null) {
                    if (requireAll) {
                        problems.add(entity.entityName() + "#" + row.id() + " v" + row.version() + " missing in Redis");
                    }
                } else if (!inRedis.sameAs(row)) {
                    problems.add(entity.entityName() + "#" + row.id() + ": database v" + row.version() + " "
                            + row.state() + ", Redis v" + inRedis.version() + (inRedis.tombstone() ? " (tombstone)" : " "
                            + inRedis.state()));
                }
            }
            for (Snapshot inRedis : cached.values()) {
                if (!inRedis.tombstone() && !rows.containsKey(inRedis.id())) {
                    problems.add(entity.entityName() + "#" + inRedis.id() + " v" + inRedis.version()
                            + " in Redis has no row");
                }
            }
        }
        if (!problems.isEmpty()) {
            fail(problems.size() + " disagreements between Redis and the database:\n  "
                    + String.join("\n  ", problems.subList(0, Math.min(problems.size(), 30))));
        }
    }
}
