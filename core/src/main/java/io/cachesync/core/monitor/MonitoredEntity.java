package io.cachesync.core.monitor;

import io.cachesync.core.SnapshotLoader;
import io.cachesync.core.SnapshotSchema;

import java.util.Objects;

/** A model the monitor checks: its schema and how to load a row's committed state from the database. */
public record MonitoredEntity(SnapshotSchema schema, SnapshotLoader loader) {
    public MonitoredEntity {
        Objects.requireNonNull(schema, "schema");
        Objects.requireNonNull(loader, "loader");
    }
}
