package io.cachesync.core.drift;

import io.cachesync.core.DecodeResult;
import io.cachesync.core.Snapshot;
import io.cachesync.core.SnapshotCodec;
import io.cachesync.core.SnapshotSchema;

import java.time.Instant;
import java.util.Objects;

/**
 * Classifies one key of one entity from the row's snapshot (or none) and the bytes under the key (or none).
 *
 * <p>The rules, in order: no bytes is {@link Drift.Missing} (or consistent when there is no row either); bytes
 * that do not decode are {@link Drift.Corrupt}; without a row, a tombstone is consistent and a snapshot is
 * {@link Drift.Orphaned}; with a row, a higher cached version is {@link Drift.CacheAhead}, a lower one
 * {@link Drift.Stale}; at the same version, {@link Snapshot#sameAs} decides consistent, and otherwise the later
 * {@code lastUpdated} decides between cache-ahead and stale. A tombstone under a live row is judged by
 * versions like any snapshot. Differences of {@code lastUpdated} alone do not count: databases may keep less
 * precision than the clock that stamped the snapshot.
 *
 * <p>Stateless apart from its schema; thread-safe.
 */
public final class DriftClassifier {

    private final SnapshotSchema schema;
    private final SnapshotCodec codec;

    public DriftClassifier(SnapshotSchema schema, SnapshotCodec codec) {
        this.schema = Objects.requireNonNull(schema, "schema");
        this.codec = Objects.requireNonNull(codec, "codec");
    }

    public SnapshotSchema schema() {
        return schema;
    }

    /**
     * @param id       the row's id, of the schema's id type
     * @param database the row's snapshot as the database holds it now, or null when there is no row
     * @param read     the bytes read under the row's key, or null when the key holds no value
     */
    public Drift classify(Object id, Snapshot database, byte[] read) {
        Objects.requireNonNull(id, "id");
        if (database != null && !database.id().equals(id)) {
            throw new IllegalArgumentException("the database snapshot " + database + " is not of id " + id);
        }
        if (read == null) {
            return database == null ? new Drift.Consistent(id, null, null) : new Drift.Missing(database);
        }
        DecodeResult decoded = codec.decode(schema, id, read);
        if (decoded instanceof DecodeResult.Undecodable bad) {
            Snapshot replacement = database != null ? database : Snapshot.tombstone(schema, id, -1, Instant.now());
            return new Drift.Corrupt(id, database, read, bad.reason(), replacement);
        }
        Snapshot cached = ((DecodeResult.Decoded) decoded).snapshot();
        if (database == null) {
            return cached.tombstone() ? new Drift.Consistent(id, null, cached)
                    : new Drift.Orphaned(cached, read, Snapshot.tombstone(schema, id, cached.version(), Instant.now()));
        }
        if (cached.version() > database.version()) {
            return new Drift.CacheAhead(database, cached, read);
        }
        if (cached.version() < database.version()) {
            return new Drift.Stale(database, cached, read);
        }
        if (cached.sameAs(database)) {
            return new Drift.Consistent(id, database, cached);
        }
        if (cached.lastUpdated() != null && database.lastUpdated() != null
                && cached.lastUpdated().isAfter(database.lastUpdated())) {
            return new Drift.CacheAhead(database, cached, read);
        }
        return new Drift.Stale(database, cached, read);
    }
}
