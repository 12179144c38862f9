package io.cachesync.core;

import java.time.Instant;
import java.util.Objects;

/**
 * One snapshot to write, with the rule by which Redis may accept it.
 *
 * @param snapshot the snapshot
 * @param mode     what it may replace
 * @param expected   for {@link WriteMode#UNCHANGED_SINCE_READ}: the bytes read before (null: the key was absent)
 * @param insertedAt for {@link WriteMode#INSERT}: when the row's INSERT statement ran; the insert replaces only a
 *                   tombstone of a row deleted before that (a delete of this very row comes after it)
 */
public record SnapshotWrite(Snapshot snapshot, WriteMode mode, byte[] expected, Instant insertedAt) {

    public SnapshotWrite {
        Objects.requireNonNull(snapshot, "snapshot");
        Objects.requireNonNull(mode, "mode");
        if (mode == WriteMode.INSERT) {
            Objects.requireNonNull(insertedAt, "insertedAt");
        }
    }

    public static SnapshotWrite newer(Snapshot snapshot) {
        return new SnapshotWrite(snapshot, WriteMode.NEWER, null, null);
    }

    /** A committed insert, whose INSERT statement ran at {@code insertedAt}. */
    public static SnapshotWrite insert(Snapshot snapshot, Instant insertedAt) {
        return new SnapshotWrite(snapshot, WriteMode.INSERT, null, insertedAt);
    }

    public static SnapshotWrite unchangedSince(Snapshot snapshot, byte[] expected) {
        return new SnapshotWrite(snapshot, WriteMode.UNCHANGED_SINCE_READ, expected, null);
    }
}
