package io.cachesync.core;

import java.util.Optional;

/** Loads the committed state of one row from the database: the last tier of a read. */
@FunctionalInterface
public interface SnapshotLoader {

    /** The row's snapshot, or empty when the row does not exist. */
    Optional<Snapshot> load(Object id);
}
