package io.cachesync.core;

import java.time.Instant;
import java.util.AbstractMap;
import java.util.AbstractSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Set;

/**
 * The committed state of one entity at one version, as cachesync stores it in Redis.
 *
 * <p>Immutable: the state cannot be modified. A tombstone marks a deleted row; its version is one above the
 * last version the row had, so that no snapshot of the row that was read before the delete can replace it.
 * The schema fingerprint ties the snapshot to the entity's mapping: a snapshot written under another mapping is
 * never decoded into the current one.
 */
public final class Snapshot {

    private static final Object[] NO_VALUES = new Object[0];

    private final String entityName;
    private final Object id;
    private final long version;
    private final Instant lastUpdated;
    private final boolean tombstone;
    /** Property names in schema order, shared with the schema; values at the same positions. */
    private final List<String> names;
    private final Object[] values;
    private final String schemaFingerprint;

    private Snapshot(String entityName, Object id, long version, Instant lastUpdated, boolean tombstone,
                     List<String> names, Object[] values, String schemaFingerprint) {
        this.entityName = Objects.requireNonNull(entityName, "entityName");
        this.id = Objects.requireNonNull(id, "id");
        if (version < 0) {
            throw new IllegalArgumentException("version must not be negative: " + version);
        }
        this.version = version;
        this.lastUpdated = lastUpdated;
        this.tombstone = tombstone;
        this.names = names;
        this.values = values;
        this.schemaFingerprint = Objects.requireNonNull(schemaFingerprint, "schemaFingerprint");
    }

    /** A live row's snapshot from a map of property name to value; every schema property must be present. */
    public static Snapshot of(SnapshotSchema schema, Object id, long version, Instant lastUpdated,
                              Map<String, Object> state) {
        List<String> names = schema.propertyNames();
        if (state.size() != names.size()) {
            throw new IllegalArgumentException(schema.entityName() + " has properties " + names + ", given "
                    + state.keySet());
        }
        Object[] values = new Object[names.size()];
        for (int i = 0; i < values.length; i++) {
            if (!state.containsKey(names.get(i))) {
                throw new IllegalArgumentException(schema.entityName() + " state lacks " + names.get(i));
            }
            values[i] = state.get(names.get(i));
        }
        return new Snapshot(schema.entityName(), id, version, lastUpdated, false, names, values, schema.fingerprint());
    }

    /** A live row's snapshot from its property values in schema order (the array is copied). */
    public static Snapshot ofValues(SnapshotSchema schema, Object id, long version, Instant lastUpdated,
                                    Object[] values) {
        if (values.length != schema.propertyNames().size()) {
            throw new IllegalArgumentException(schema.entityName() + " has " + schema.propertyNames().size()
                    + " properties, given " + values.length + " values");
        }
        return new Snapshot(schema.entityName(), id, version, lastUpdated, false, schema.propertyNames(),
                values.clone(), schema.fingerprint());
    }

    /** A tombstone for a row deleted at {@code lastVersion}: it carries {@code lastVersion + 1}. */
    public static Snapshot tombstone(SnapshotSchema schema, Object id, long lastVersion, Instant deletedAt) {
        return new Snapshot(schema.entityName(), id, lastVersion + 1, deletedAt, true, List.of(), NO_VALUES,
                schema.fingerprint());
    }

    /** From the codec, which owns {@code values} and hands it over. */
    static Snapshot decoded(SnapshotSchema schema, Object id, long version, Instant lastUpdated, boolean tombstone,
                            Object[] values) {
        return tombstone
                ? new Snapshot(schema.entityName(), id, version, lastUpdated, true, List.of(), NO_VALUES,
                schema.fingerprint())
                : new Snapshot(schema.entityName(), id, version, lastUpdated, false, schema.propertyNames(), values,
                schema.fingerprint());
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

    /**
     * Persistent property name to value, in the schema's order; associations are held as the target's id. An
     * unmodifiable view: reading it allocates nothing until it is iterated. Empty for a tombstone.
     */
    public Map<String, Object> state() {
        return new StateView();
    }

    /** The value of the property at {@code index} of the schema's property list. */
    public Object value(int index) {
        return values[index];
    }

    /** The property names, in schema order (empty for a tombstone). */
    List<String> stateNames() {
        return names;
    }

    /** The number of properties (0 for a tombstone). */
    public int size() {
        return values.length;
    }

    public String schemaFingerprint() {
        return schemaFingerprint;
    }

    /** True when both describe the same row at the same version with equal state. */
    public boolean sameAs(Snapshot other) {
        if (other == null || version != other.version || tombstone != other.tombstone
                || !entityName.equals(other.entityName) || !id.equals(other.id)
                || !schemaFingerprint.equals(other.schemaFingerprint) || values.length != other.values.length
                || !names.equals(other.names)) {
            return false;
        }
        for (int i = 0; i < values.length; i++) {
            if (!StateEquality.valueEqual(values[i], other.values[i])) {
                return false;
            }
        }
        return true;
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

    /** The state as a read-only map over {@link #names} and {@link #values}. */
    private final class StateView extends AbstractMap<String, Object> {

        @Override
        public Object get(Object key) {
            int index = names.indexOf(key);
            return index < 0 ? null : values[index];
        }

        @Override
        public boolean containsKey(Object key) {
            return names.contains(key);
        }

        @Override
        public int size() {
            return values.length;
        }

        @Override
        public Set<Entry<String, Object>> entrySet() {
            return new AbstractSet<>() {
                @Override
                public Iterator<Entry<String, Object>> iterator() {
                    return new Iterator<>() {
                        private int next;

                        @Override
                        public boolean hasNext() {
                            return next < values.length;
                        }

                        @Override
                        public Entry<String, Object> next() {
                            if (next >= values.length) {
                                throw new NoSuchElementException();
                            }
                            int i = next++;
                            return new SimpleImmutableEntry<>(names.get(i), values[i]);
                        }
                    };
                }

                @Override
                public int size() {
                    return values.length;
                }
            };
        }
    }
}
