package io.cachesync.core.drift;

import io.cachesync.core.Snapshot;
import io.cachesync.core.SnapshotWrite;

import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;

/**
 * How one key compares with its row: {@link Consistent}, {@link Stale}, {@link Missing}, {@link Orphaned},
 * {@link CacheAhead} or {@link Corrupt}. Produced by {@link DriftClassifier}.
 *
 * <p>Each class names the write that repairs it ({@link #repair}). Every repair goes through the versioned-write
 * script: either {@code NEWER} (Redis keeps anything at or above the repaired version) or
 * {@code UNCHANGED_SINCE_READ} with the exact bytes that were classified (Redis keeps anything written since).
 * So a snapshot pushed by a live commit after the classification always wins over the repair.
 *
 * <p>Immutable: the bytes a class holds are copied in and out.
 */
public sealed interface Drift
        permits Drift.Consistent, Drift.Stale, Drift.Missing, Drift.Orphaned, Drift.CacheAhead, Drift.Corrupt {

    /** The row's id (of the schema's id type). */
    Object id();

    /** The name used in reports and logs: consistent, stale, missing, orphaned, cache-ahead or corrupt. */
    String label();

    /** The database's snapshot of the row, or null when there is no row. */
    Snapshot database();

    /** The snapshot Redis holds (a tombstone included), or null when the key is absent or does not decode. */
    Snapshot cached();

    /**
     * The write that repairs this key, or empty when none is due (consistent keys; cache-ahead keys unless
     * {@code force}).
     */
    Optional<SnapshotWrite> repair(boolean force);

    /** True for every class but {@link Consistent}. */
    default boolean isDrift() {
        return !(this instanceof Consistent);
    }

    /**
     * Redis holds what the database holds: the same version with the same state, or a tombstone (or nothing)
     * for a row that does not exist.
     */
    record Consistent(Object id, Snapshot database, Snapshot cached) implements Drift {
        public Consistent {
            Objects.requireNonNull(id, "id");
        }

        @Override
        public String label() {
            return "consistent";
        }

        @Override
        public Optional<SnapshotWrite> repair(boolean force) {
            return Optional.empty();
        }
    }

    /**
     * Redis holds an older version than the database, or the same version with a different state (a write that
     * bypassed the ORM). Repaired with {@code NEWER} when the version is lower, else compare-and-set on the bytes
     * read.
     */
    record Stale(Snapshot database, Snapshot cached, byte[] read) implements Drift {
        public Stale {
            Objects.requireNonNull(database, "database");
            Objects.requireNonNull(cached, "cached");
            read = read.clone();
        }

        /** The bytes read under the key, the expectation of a compare-and-set repair. */
        @Override
        public byte[] read() {
            return read.clone();
        }

        /** True when only the state differs, not the version. */
        public boolean sameVersion() {
            return cached.version() == database.version();
        }

        @Override
        public Object id() {
            return database.id();
        }

        @Override
        public String label() {
            return "stale";
        }

        @Override
        public Optional<SnapshotWrite> repair(boolean force) {
            return Optional.of(sameVersion() ? SnapshotWrite.unchangedSince(database, read)
                    : SnapshotWrite.newer(database));
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Stale s && database.equals(s.database) && cached.equals(s.cached)
                    && Arrays.equals(read, s.read);
        }

        @Override
        public int hashCode() {
            return Objects.hash(database, cached, Arrays.hashCode(read));
        }

        @Override
        public String toString() {
            return "Stale[" + database + " cached " + cached + "]";
        }
    }

    /** The row exists and its key holds nothing. Repaired with {@code NEWER}. */
    record Missing(Snapshot database) implements Drift {
        public Missing {
            Objects.requireNonNull(database, "database");
        }

        @Override
        public Object id() {
            return database.id();
        }

        @Override
        public String label() {
            return "missing";
        }

        @Override
        public Snapshot cached() {
            return null;
        }

        @Override
        public Optional<SnapshotWrite> repair(boolean force) {
            return Optional.of(SnapshotWrite.newer(database));
        }
    }

    /**
     * A snapshot (not a tombstone) whose row does not exist. Repaired by replacing it, compare-and-set on the bytes
     * read, with a tombstone one version above it, so that no reader can bring the row back.
     */
    record Orphaned(Snapshot cached, byte[] read, Snapshot replacement) implements Drift {
        public Orphaned {
            Objects.requireNonNull(cached, "cached");
            Objects.requireNonNull(replacement, "replacement");
            read = read.clone();
        }

        @Override
        public byte[] read() {
            return read.clone();
        }

        @Override
        public Object id() {
            return cached.id();
        }

        @Override
        public String label() {
            return "orphaned";
        }

        @Override
        public Snapshot database() {
            return null;
        }

        @Override
        public Optional<SnapshotWrite> repair(boolean force) {
            return Optional.of(SnapshotWrite.unchangedSince(replacement, read));
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Orphaned x && cached.equals(x.cached) && Arrays.equals(read, x.read);
        }

        @Override
        public int hashCode() {
            return Objects.hash(cached, Arrays.hashCode(read));
        }

        @Override
        public String toString() {
            return "Orphaned[" + cached + "]";
        }
    }

    /**
     * Redis holds a newer version than the database (or, at the same version, a different state written later).
     * Only a restore of an older database, or writes that bypassed the ORM, produce it; the Reconciler cannot
     * know which side is right, so it reports it always and repairs it (compare-and-set to the database's
     * snapshot) only when forced.
     */
    record CacheAhead(Snapshot database, Snapshot cached, byte[] read) implements Drift {
        public CacheAhead {
            Objects.requireNonNull(database, "database");
            Objects.requireNonNull(cached, "cached");
            read = read.clone();
        }

        @Override
        public byte[] read() {
            return read.clone();
        }

        @Override
        public Object id() {
            return database.id();
        }

        @Override
        public String label() {
            return "cache-ahead";
        }

        @Override
        public Optional<SnapshotWrite> repair(boolean force) {
            return force ? Optional.of(SnapshotWrite.unchangedSince(database, read)) : Optional.empty();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof CacheAhead c && database.equals(c.database) && cached.equals(c.cached)
                    && Arrays.equals(read, c.read);
        }

        @Override
        public int hashCode() {
            return Objects.hash(database, cached, Arrays.hashCode(read));
        }

        @Override
        public String toString() {
            return "CacheAhead[" + database + " cached " + cached + "]";
        }
    }

    /**
     * The bytes under the key do not decode to a snapshot of this row under the current schema (truncated,
     * foreign, written under another mapping). Repaired, compare-and-set on the bytes read, with the database's
     * snapshot, or with a version-0 tombstone when there is no row.
     *
     * @param reason why the bytes do not decode, never the bytes themselves
     */
    record Corrupt(Object id, Snapshot database, byte[] read, String reason, Snapshot replacement) implements Drift {
        public Corrupt {
            Objects.requireNonNull(id, "id");
            Objects.requireNonNull(replacement, "replacement");
            read = read.clone();
        }

        @Override
        public byte[] read() {
            return read.clone();
        }

        @Override
        public String label() {
            return "corrupt";
        }

        @Override
        public Snapshot cached() {
            return null;
        }

        @Override
        public Optional<SnapshotWrite> repair(boolean force) {
            return Optional.of(SnapshotWrite.unchangedSince(replacement, read));
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Corrupt c && id.equals(c.id) && Objects.equals(database, c.database)
                    && Arrays.equals(read, c.read);
        }

        @Override
        public int hashCode() {
            return Objects.hash(id, database, Arrays.hashCode(read));
        }

        @Override
        public String toString() {
            return "Corrupt[" + id + ": " + reason + "]";
        }
    }
}
