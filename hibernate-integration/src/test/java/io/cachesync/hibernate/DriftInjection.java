package io.cachesync.hibernate;

import io.cachesync.core.Snapshot;
import io.cachesync.core.SnapshotCodec;
import io.cachesync.core.SnapshotSchema;
import io.cachesync.testsupport.TestRedis;
import org.hibernate.SessionFactory;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Makes drift the way production does: SQL that bypasses Hibernate, and Redis keys deleted, overwritten or
 * planted behind cachesync's back.
 */
final class DriftInjection {

    private final SessionFactory sf;
    private final TestRedis redis;
    private final CacheSyncRuntime runtime;
    private final SnapshotCodec codec;

    DriftInjection(SessionFactory sf, TestRedis redis) {
        this.sf = sf;
        this.redis = redis;
        this.runtime = CacheSync.of(sf).runtime();
        this.codec = runtime.cache().store().codec();
    }

    /** Runs SQL in its own transaction, invisible to cachesync's listeners. */
    void sql(String statement) {
        sf.inTransaction(s -> s.createNativeMutationQuery(statement).executeUpdate());
    }

    String key(Class<?> type, Object id) {
        return CacheSync.of(sf).key(type, id);
    }

    void delete(Class<?> type, Object id) {
        redis.commands().del(key(type, id));
    }

    void plant(Class<?> type, Object id, String bytes) {
        redis.commands().set(key(type, id), bytes);
    }

    /** A well-formed snapshot of the entity, at any version, stored directly. */
    void plantSnapshot(Class<?> type, Object id, long version, Instant lastUpdated, Map<String, Object> state) {
        SnapshotSchema schema = runtime.entity(type).schema();
        plant(type, id, new String(codec.encode(Snapshot.of(schema, id, version, lastUpdated, state)),
                StandardCharsets.UTF_8));
    }

    void plantTombstone(Class<?> type, Object id, long lastVersion) {
        SnapshotSchema schema = runtime.entity(type).schema();
        plant(type, id, new String(codec.encode(Snapshot.tombstone(schema, id, lastVersion, Instant.now())),
                StandardCharsets.UTF_8));
    }

    String encoded(Class<?> type, Object id, long version, Map<String, Object> state) {
        SnapshotSchema schema = runtime.entity(type).schema();
        return new String(codec.encode(Snapshot.of(schema, id, version, Instant.now(), state)), StandardCharsets.UTF_8);
    }

    /** Every cachesync key with its DUMP and whether it expires: equal maps mean Redis was not changed. */
    Map<String, String> dumpEveryKey() {
        Map<String, String> dump = new TreeMap<>();
        for (String key : redis.commands().keys("cachesync:*")) {
            byte[] bytes = redis.commands().dump(key);
            dump.put(key, java.util.HexFormat.of().formatHex(bytes) + " ttl=" + (redis.commands().pttl(key) > 0));
        }
        return dump;
    }

    /** Every row of the synced tables, as text: equal lists mean the database was not changed. */
    List<String> everyRow() {
        return sf.fromTransaction(s -> s.createNativeQuery(
                        "select 'a' || id || ':' || version || ':' || owner || ':' || balance from account "
                                + "union all select 'p' || id || ':' || version || ':' || nickname from profile "
                                + "order by 1", String.class)
                .list());
    }
}
