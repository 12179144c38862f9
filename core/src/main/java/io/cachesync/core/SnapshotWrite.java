package io.cachesync.core;

import java.util.Objects;

/**
 * One snapshot to write, with the rule by which Redis may accept it.
 *
 * @param snapshot the snapshot
 * @param mode     what it may replace
 * @param expected for {@link WriteMode#UNCHANGED_SINCE_READ}: the bytes read before (null: the key was absent)
 */
public record SnapshotWrite(Snapshot snapshot, WriteMode mode, byte[] expected) {

    public SnapshotWrite {
        Objects.requireNonNull(snapshot, "snapshot");
        Objects.requireNonNull(mode, "mode");
    }

    public static SnapshotWrite newer(Snapshot snapshot) {
        return new SnapshotWrite(snapshot, WriteMode.NEWER, null);
    }

    public static SnapshotWrite insert(Snapshot snapshot) {
        return new SnapshotWrite(snapshot, WriteMode.INSERT, null);
    }

    public static SnapshotWrite unchangedSince(Snapshot snapshot, byte[] expected) {
        return new SnapshotWrite(snapshot, WriteMode.UNCHANGED_SINCE_READ, expected);
    }
}
