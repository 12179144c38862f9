package io.cachesync.hibernate;

import io.cachesync.core.Snapshot;
import io.cachesync.core.drift.Drift;

/**
 * The one-line description of a drifted key: entity, id, class, both versions and timestamps, and what was done.
 * Never contains the snapshot's state or the raw bytes, which may hold personal data.
 */
final class DiscrepancyLine {

    private DiscrepancyLine() {
    }

    static String of(String entityName, Drift drift, String action) {
        StringBuilder line = new StringBuilder(96).append(entityName).append('#').append(drift.id()).append(": ")
                .append(drift.label()).append(" (database ");
        describe(line, drift.database(), "no row");
        line.append("; Redis ");
        if (drift instanceof Drift.Corrupt corrupt) {
            line.append("undecodable: ").append(corrupt.reason());
        } else {
            describe(line, drift.cached(), "no key");
        }
        return line.append(") -> ").append(action).toString();
    }

    private static void describe(StringBuilder line, Snapshot snapshot, String none) {
        if (snapshot == null) {
            line.append(none);
            return;
        }
        line.append('v').append(snapshot.version());
        if (snapshot.tombstone()) {
            line.append(" tombstone");
        }
        line.append(" at ").append(snapshot.lastUpdated() == null ? "-" : snapshot.lastUpdated());
    }
}
