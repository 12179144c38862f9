package io.cachesync.core.drift;

import io.cachesync.core.Snapshot;
import io.cachesync.core.SnapshotCodec;
import io.cachesync.core.SnapshotSchema;
import io.cachesync.core.SnapshotWrite;
import io.cachesync.core.WriteMode;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Each drift class is recognised, and each names the one versioned write that repairs it. */
class DriftClassifierTest {

    private static final SnapshotSchema SCHEMA = new SnapshotSchema("Account", Long.class, List.of("owner"),
            List.of(String.class));
    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

    private final SnapshotCodec codec = new SnapshotCodec();
    private final DriftClassifier classifier = new DriftClassifier(SCHEMA, codec);

    private static Snapshot row(long id, long version, String owner, Instant at) {
        return Snapshot.of(SCHEMA, id, version, at, Map.of("owner", owner));
    }

    @Test
    void theSameVersionAndStateIsConsistentWhateverTheTimestamp() {
        Drift drift = classifier.classify(1L, row(1, 3, "ann", T0), codec.encode(row(1, 3, "ann", T0.plusNanos(1000))));
        assertInstanceOf(Drift.Consistent.class, drift);
        assertFalse(drift.isDrift());
        assertTrue(drift.repair(true).isEmpty());
    }

    @Test
    void aLowerCachedVersionIsStaleAndRepairedWithAVersionedWrite() {
        Drift drift = classifier.classify(1L, row(1, 3, "ann", T0), codec.encode(row(1, 2, "ann", T0)));
        Drift.Stale stale = assertInstanceOf(Drift.Stale.class, drift);
        assertFalse(stale.sameVersion());
        SnapshotWrite write = drift.repair(false).orElseThrow();
        assertEquals(WriteMode.NEWER, write.mode());
        assertEquals(3, write.snapshot().version());
    }

    @Test
    void aDifferentStateAtTheSameVersionIsStaleAndRepairedOnlyIfTheBytesAreUnchanged() {
        byte[] read = codec.encode(row(1, 3, "mallory", T0));
        Drift drift = classifier.classify(1L, row(1, 3, "ann", T0), read);
        assertTrue(assertInstanceOf(Drift.Stale.class, drift).sameVersion());
        SnapshotWrite write = drift.repair(false).orElseThrow();
        assertEquals(WriteMode.UNCHANGED_SINCE_READ, write.mode());
        assertArrayEquals(read, write.expected());
    }

    @Test
    void anAbsentKeyOfALiveRowIsMissing() {
        Drift drift = classifier.classify(1L, row(1, 0, "ann", T0), null);
        assertEquals("missing", drift.label());
        assertEquals(WriteMode.NEWER, drift.repair(false).orElseThrow().mode());
        assertInstanceOf(Drift.Consistent.class, classifier.classify(1L, null, null));
    }

    @Test
    void aSnapshotWithoutARowIsOrphanedAndReplacedByATombstoneAboveIt() {
        byte[] read = codec.encode(row(9, 4, "ghost", T0));
        Drift drift = classifier.classify(9L, null, read);
        assertInstanceOf(Drift.Orphaned.class, drift);
        SnapshotWrite write = drift.repair(false).orElseThrow();
        assertTrue(write.snapshot().tombstone());
        assertEquals(5, write.snapshot().version());
        assertEquals(WriteMode.UNCHANGED_SINCE_READ, write.mode());
        assertArrayEquals(read, write.expected());
    }

    @Test
    void aTombstoneWithoutARowIsConsistent() {
        byte[] read = codec.encode(Snapshot.tombstone(SCHEMA, 9L, 4, T0));
        assertInstanceOf(Drift.Consistent.class, classifier.classify(9L, null, read));
    }

    @Test
    void aTombstoneOverALiveRowIsJudgedByVersions() {
        byte[] older = codec.encode(Snapshot.tombstone(SCHEMA, 1L, 1, T0)); // v2
        assertInstanceOf(Drift.Stale.class, classifier.classify(1L, row(1, 3, "ann", T0), older));
        byte[] newer = codec.encode(Snapshot.tombstone(SCHEMA, 1L, 5, T0)); // v6
        assertInstanceOf(Drift.CacheAhead.class, classifier.classify(1L, row(1, 3, "ann", T0), newer));
    }

    @Test
    void aNewerCachedVersionOrLaterTimestampIsCacheAheadAndRepairedOnlyWhenForced() {
        byte[] read = codec.encode(row(1, 7, "future", T0));
        Drift drift = classifier.classify(1L, row(1, 3, "ann", T0), read);
        assertEquals("cache-ahead", drift.label());
        assertTrue(drift.repair(false).isEmpty());
        SnapshotWrite forced = drift.repair(true).orElseThrow();
        assertEquals(WriteMode.UNCHANGED_SINCE_READ, forced.mode());
        assertEquals(3, forced.snapshot().version());

        byte[] later = codec.encode(row(1, 3, "other", T0.plusSeconds(5)));
        assertInstanceOf(Drift.CacheAhead.class, classifier.classify(1L, row(1, 3, "ann", T0), later));
    }

    @Test
    void undecodableBytesAreCorruptAndReplacedByTheRowOrATombstone() {
        byte[] garbage = "{\"version\":1,".getBytes(StandardCharsets.UTF_8);
        Drift withRow = classifier.classify(1L, row(1, 3, "ann", T0), garbage);
        assertInstanceOf(Drift.Corrupt.class, withRow);
        assertEquals(3, withRow.repair(false).orElseThrow().snapshot().version());
        Drift withoutRow = classifier.classify(2L, null, garbage);
        SnapshotWrite write = withoutRow.repair(false).orElseThrow();
        assertTrue(write.snapshot().tombstone());
        assertEquals(WriteMode.UNCHANGED_SINCE_READ, write.mode());
        assertArrayEquals(garbage, write.expected());
    }

    @Test
    void theBytesHeldCannotBeChangedFromOutside() {
        byte[] read = codec.encode(row(1, 2, "ann", T0));
        Drift.Stale stale = (Drift.Stale) classifier.classify(1L, row(1, 3, "ann", T0), read);
        read[0] = 'x';
        stale.read()[1] = 'y';
        assertEquals('{', stale.read()[0]);
        assertEquals('"', stale.read()[1]);
    }
}
