package io.cachesync.core;

import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The committed state of one entity at one version, as cachesync stores it in Redis.
 *
 * <p>Immutable: the state map cannot be modified. A tombstone marks a deleted row; its version is one above the
 * last version the row had, so that no snapshot of the row that was read before the delete can replace it.
 * The schema fingerprint ties the snapshot to the entity's mapping: a snapshot written under another mapping is
 * never decoded into the current one.
 */
public final class Snapshot {

    private final String entityName;
    private final Object id;
    private final long version;
    private final Instant lastUpdated;
    private final boolean tombstone;
    private final Map<String, Object> state;
    private final String schemaFingerprint;

    private Snapshot(String entityName, Object id, long version, Instant lastUpdated, boolean tombstone,
                     Map<String, Object> state, String schemaFingerprint) {
        this.entityName = Objects.requireNonNull(entityName, "entityName");
        this.id = Objects.requireNonNull(id, "id");
        if (version < 0) {
            throw new IllegalArgumentException("version must not be negative: " + version);
        }
        this.version = version;
        this.lastUpdated = lastUpdated;
        this.tombstone = tombstone;
        this.state = state;
        this.schemaFingerprint = Objects.requireNonNull(schemaFingerprint, "schemaFingerprint");
    }

    /**
     * A live row's snapshot. The state is copied; its iteration order (the schema's property order) is kept.
     */
    public static Snapshot of(SnapshotSchema schema, Object id, long version, Instant lastUpdated,
                              Map<String, Object> state) {
        return new Snapshot(schema.entityName(), id, version, lastUpdated, false,
                Collections.unmodifiableMap(new LinkedHashMap<>(state)), schema.fingerprint());
    }

    /** A tombstone for a row deleted at {@code lastVersion}: it carries {@code lastVersion + 1}. */
    public static Snapshot tombstone(SnapshotSchema schema, Object id, long lastVersion, Instant deletedAt) {
        return new Snapshot(schema.entityName(), id, lastVersion + 1, deletedAt, true, Map.of(),
                schema.fingerprint());
    }

    static Snapshot decoded(String entityName, Object id, long version, Instant lastUpdated, boolean tombstone,
                            Map<String, Object> state, String schemaFingerprint) {
        return new Snapshot(entityName, id, version, lastUpdated, tombstone,
                Collections.unmodifiableMap(state), schemaFingerprint);
    }

    public String entityName() {
        return entityName;
    }

    /** The entity's identifier, of the schema's id type. */
    public Object id() {
        return id;
    }

    public long version() {
        return version;
    }

    /** When the row was last written (for a tombstone: when it was deleted); may be null. */
    public Instant lastUpdated() {
        return lastUpdated;
    }

    public boolean tombstone() {
        return tombstone;
    }

    /** Persistent property name to value, in the schema's order; associations are held as the target's id. */
    public Map<String, Object> state() {
        return state;
    }

    public String schemaFingerprint() {
        return schemaFingerprint;
    }

    /** True when both describe the same row at the same version with equal state. */
    public boolean sameAs(Snapshot other) {
        return other != null && version == other.version && tombstone == other.tombstone
                && entityName.equals(other.entityName) && id.equals(other.id)
                && schemaFingerprint.equals(other.schemaFingerprint) && StateEquality.equal(state, other.state);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Snapshot other && sameAs(other) && Objects.equals(lastUpdated, other.lastUpdated);
    }

    @Override
    public int hashCode() {
        return Objects.hash(entityName, id, version, tombstone);
    }

    @Override
    public String toString() {
        return entityName + "#" + id + " v" + version + (tombstone ? " (deleted)" : "");
    }
}
