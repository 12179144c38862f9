package io.cachesync.core;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;

import java.time.Instant;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The in-process tier: one bounded Caffeine cache per entity, keyed by id, holding decoded snapshots.
 *
 * <p>Coherence rests on versions, never on timing. Every entry carries a version; a store is accepted only if it
 * is newer than what the entry knows. An invalidation does not just remove an entry, it leaves a <em>floor</em>
 * (the announced version, without a value): a fill that raced the invalidation and carries an older version is
 * refused, even though it started before the invalidation arrived. This is the "loading mark" of Redis'
 * client-side caching, made exact by versions.
 *
 * <p>When the invalidation channel drops, the tier is cleared and bypassed until the channel is back; an epoch
 * counter, bumped on every clear, refuses fills that started before it. A clear drops values but keeps each row's
 * version as a floor, and while bypassed the tier still raises floors to what this node commits and serves: a
 * Redis that lost writes (a failover to a replica that lagged, a restore from a backup) cannot make this node go
 * back in version, because the read path treats a Redis copy below a floor as a miss. (Floors are bounded like
 * values: {@code maximum-size} and {@code expire-after-write}.)
 */
final class LocalTier {

    /**
     * A known version of one row: a snapshot (possibly a tombstone), or only a floor when snapshot is null. A floor
     * kept across a clear, or raised while the tier was bypassed, is <em>retained</em>: {@code retainedAt} is the
     * epoch it was set in (else -1). A database read that started in that epoch or later is newer than the floor
     * in time, so if it finds a lower version the row was deleted and created again (versions restart with it),
     * and it replaces the floor.
     *
     * <p>{@code rowSince} (microseconds, -1 if unknown) is a lower bound of the lastUpdated of the row the floor
     * came from. An insert committed on this node replaces a floor only if that row predates the insert (an
     * earlier row with the same id, deleted since): a floor of the inserted row's own later version stays.
     *
     * <p>{@code announced} is the highest version announced for the row (an invalidation) after a retained floor
     * was set, at or below the floor (else -1): a database read may have started before that version committed, so
     * a loaded snapshot replaces the floor only at that version or above. Without it, a read of the new row's v0
     * racing the invalidation of its v1 would win, and the tier would serve v0 until the row's next write.
     *
     * <p>{@code heardAt} (microseconds on this node's clock, -1 if never) is when an invalidation last reached this
     * floor: the version it announced committed before then. If that was before this node's INSERT ran, it was an
     * earlier row's, and the insert replaces the floor; if after, it may be a later version of the very row
     * inserted (another node updated it while this node's post-commit step was late), and the floor stays. (The
     * node then reads its insert from the database until the insert's own invalidation arrives.)
     */
    record Entry(long version, Snapshot snapshot, long retainedAt, long rowSince, long announced, long heardAt) {
        Entry(long version, Snapshot snapshot) {
            this(version, snapshot, -1, snapshot == null ? -1 : since(snapshot), -1, -1);
        }

        static Entry floor(long version, long retainedAt, long rowSince, long heardAt) {
            return new Entry(version, null, retainedAt, rowSince, -1, heardAt);
        }
    }

    private static long nowMicros() {
        return SnapshotCodec.micros(Instant.now());
    }

    /** The snapshot's lastUpdated in microseconds (as the write script compares them), or -1. */
    static long since(Snapshot snapshot) {
        return snapshot.lastUpdated() == null ? -1 : SnapshotCodec.micros(snapshot.lastUpdated());
    }

    private final ConcurrentHashMap<String, Cache<Object, Entry>> byEntity = new ConcurrentHashMap<>();
    private final CacheSyncSettings settings;
    private final AtomicLong epoch = new AtomicLong();
    /** Orders the epoch moves that stamp retained floors (rare: clears, and commits or reads while bypassed). */
    private final Object floorLock = new Object();
    private volatile boolean bypassed;

    LocalTier(CacheSyncSettings settings) {
        this.settings = settings;
        this.bypassed = true; // until the invalidation channel is confirmed live
    }

    /** The cached snapshot, or null on a miss (a floor is a miss). */
    Snapshot get(String entityName, Object id) {
        if (bypassed) {
            return null;
        }
        Cache<Object, Entry> cache = byEntity.get(entityName);
        if (cache == null) {
            return null;
        }
        Entry entry = cache.getIfPresent(id);
        return entry == null ? null : entry.snapshot;
    }

    /** What this node knows of a row (a floor or a snapshot, served or not), or null. */
    Entry entry(String entityName, Object id) {
        Cache<Object, Entry> cache = byEntity.get(entityName);
        return cache == null ? null : cache.getIfPresent(id);
    }

    /**
     * A read found the row gone in the database where this node knew {@code expected} of it: stores the deletion
     * ({@code tombstone}), unless the tier learned anything of the row since (an insert of the id, a newer version,
     * a clear) or is bypassed, when the tombstone's version only raises the floor.
     */
    void recordDeletion(Snapshot tombstone, Entry expected, long startEpoch) {
        if (bypassed) {
            raiseFloor(tombstone);
            return;
        }
        Cache<Object, Entry> cache = byEntity.get(tombstone.entityName());
        if (cache != null && epoch.get() == startEpoch) {
            cache.asMap().replace(tombstone.id(), expected, new Entry(tombstone.version(), tombstone));
        }
    }

    /** The version this node knows for a row (floor or snapshot), or -1. */
    long knownVersion(String entityName, Object id) {
        Entry entry = entry(entityName, id);
        return entry == null ? -1 : entry.version;
    }

    long epoch() {
        return epoch.get();
    }

    /**
     * Stores a snapshot read from Redis or the database, unless the tier was cleared since {@code startEpoch} or
     * knows a newer version. Returns whether it was stored.
     */
    boolean fill(Snapshot snapshot, long startEpoch) {
        return fill(snapshot, startEpoch, false);
    }

    /**
     * As {@link #fill(Snapshot, long)}, for a snapshot just loaded from the database: it also replaces a retained
     * floor set before {@code startEpoch}, whatever its version, unless a version announced since is newer than
     * the snapshot (see {@link Entry}).
     */
    boolean fillLoaded(Snapshot snapshot, long startEpoch) {
        return fill(snapshot, startEpoch, true);
    }

    private boolean fill(Snapshot snapshot, long startEpoch, boolean loaded) {
        if (bypassed) {
            raiseFloor(snapshot);
            return false;
        }
        if (epoch.get() != startEpoch) {
            return false;
        }
        Runnable hook = beforeFillStore;
        if (hook != null) {
            hook.run();
        }
        Entry[] replaced = {null};
        Entry stored = store(snapshot, false, null, loaded ? startEpoch : -1, replaced);
        if (stored != null && epoch.get() != startEpoch) {
            // Cleared while we stored: the clear may have come before our compute, so undo our value. Only our
            // value, and keep its version as a floor (the read serves it): removing the entry would also drop the
            // floor that the clear kept (or that an invalidation set since), and this node would forget a version
            // it was told of or served.
            Entry before = replaced[0];
            cache(snapshot.entityName()).asMap().computeIfPresent(snapshot.id(), (id, current) -> current != stored
                    ? current
                    : before != null && before.snapshot == null && before.version >= snapshot.version() ? before
                    : Entry.floor(snapshot.version(), -1, since(snapshot), -1));
            return false;
        }
        return stored != null;
    }

    /** Test hook: runs in a fill after its epoch check, before its store. Null in production. */
    volatile Runnable beforeFillStore;

    /**
     * The committing node's own write: stored at once, so that it reads its own writes. An insert also replaces
     * a floor, or a tombstone of a row deleted before the insert ran (the same rule as Redis' write script): the
     * row exists again, and versions restart with it. A tombstone deleted after the insert stays: that delete
     * removed this very row, and a push delayed past it must not bring the row back here, even until Redis
     * refuses the insert. (If Redis refuses an insert that replaced a floor, the caller demotes the entry.)
     *
     * @param insertedAt for an insert, when its INSERT statement ran; null otherwise
     */
    void commit(Snapshot snapshot, boolean insert, Instant insertedAt) {
        if (bypassed) {
            raiseFloor(snapshot);
        } else {
            store(snapshot, insert, insertedAt, -1, null);
        }
    }

    /**
     * While bypassed: this node committed or served {@code snapshot}, so it must never serve an older version of
     * the row once it serves again. The epoch moves on, so that the floor's {@link Entry#retainedAt} is later than
     * the start of every read that could have seen an older version.
     */
    private void raiseFloor(Snapshot snapshot) {
        if (!settings.localEnabled()) {
            return; // no tier to serve from, ever: nothing to protect
        }
        synchronized (floorLock) {
            long at = epoch.incrementAndGet();
            cache(snapshot.entityName()).asMap().compute(snapshot.id(), (id, old) ->
                    old != null && old.version >= snapshot.version() ? old
                            : Entry.floor(snapshot.version(), at, since(snapshot), old == null ? -1 : old.heardAt));
        }
    }

    /**
     * @param loadedSince for a snapshot loaded from the database, the epoch its read started in (it replaces a
     *                    floor retained in that epoch or before); else -1
     * @param replaced    if not null, receives the entry the store replaced
     * @return the entry stored, or null if the tier kept what it knew
     */
    private Entry store(Snapshot snapshot, boolean insert, Instant insertedAt, long loadedSince, Entry[] replaced) {
        Entry[] stored = {null};
        cache(snapshot.entityName()).asMap().compute(snapshot.id(), (id, old) -> {
            if (old == null || old.version < snapshot.version()
                    || (old.version == snapshot.version() && old.snapshot == null)
                    || (insert && (old.snapshot == null ? rowBefore(old, insertedAt)
                            : deletedBefore(old.snapshot, insertedAt)))
                    || (old.snapshot == null && old.retainedAt >= 0 && loadedSince >= old.retainedAt
                            && snapshot.version() >= old.announced)) {
                if (replaced != null) {
                    replaced[0] = old;
                }
                stored[0] = new Entry(snapshot.version(), snapshot);
                return stored[0];
            }
            return old;
        });
        return stored[0];
    }

    /**
     * True if a floor belongs to a row older than an INSERT that ran at {@code insertedAt}: neither its row's time
     * nor the arrival of its last invalidation is at or after the INSERT (unknown times: true). See {@link Entry}.
     */
    private static boolean rowBefore(Entry floor, Instant insertedAt) {
        if (insertedAt == null) {
            return true;
        }
        long inserted = SnapshotCodec.micros(insertedAt);
        return floor.rowSince < inserted && floor.heardAt < inserted;
    }

    /** True if {@code old} is a tombstone of a delete that ran before {@code insertedAt} (unknown times: true). */
    private static boolean deletedBefore(Snapshot old, Instant insertedAt) {
        if (!old.tombstone()) {
            return false;
        }
        if (old.lastUpdated() == null || insertedAt == null) {
            return true;
        }
        // in microseconds, as the write script compares them
        return SnapshotCodec.micros(insertedAt) > since(old);
    }

    /**
     * Another node wrote {@code version}: forget anything older and refuse older fills from now on. An insert
     * also replaces a tombstone or a floor, whatever its version: Redis took the insert, so the row was created
     * again and its versions restarted (Redis announces a key's writes in the order it took them).
     */
    void invalidate(String entityName, Object id, long version, boolean insert) {
        cache(entityName).asMap().compute(id, (key, old) -> {
            if (insert && old != null && (old.snapshot == null || old.snapshot.tombstone())) {
                return Entry.floor(version, -1, -1, nowMicros());
            }
            if (old != null && old.version >= version) {
                if (old.snapshot == null && old.retainedAt >= 0 && version > old.announced) {
                    // a retained floor absorbs it, and must still make an older fill in flight lose (see Entry)
                    return new Entry(old.version, null, old.retainedAt, old.rowSince, version, nowMicros());
                }
                return old; // the common case, e.g. this node's own commit announced back to it: nothing to stamp
            }
            // a newer version of the same row, or of a later one: the old lower bound of the row's time still holds
            return Entry.floor(version, -1, old == null ? -1 : old.rowSince, nowMicros());
        });
    }

    /**
     * Redis holds {@code version} of a row (a write or fill of ours was refused): drops what this node holds for
     * it unless that is a snapshot strictly newer, keeping (at least) {@code version} as a floor. {@code ours} is
     * the refused snapshot: the row Redis holds is at least as recent. A newer snapshot
     * stays because it is this node's own commit (or was read after it) whose push has not landed yet: dropping
     * it would send the next read to Redis' older version.
     */
    void demote(String entityName, Object id, long version, Snapshot ours) {
        cache(entityName).asMap().compute(id, (key, old) -> {
            if (old != null && old.snapshot != null && old.version > version) {
                return old;
            }
            long rowSince = Math.max(since(ours), old == null ? -1 : old.rowSince);
            return Entry.floor(old == null ? version : Math.max(old.version, version), -1, rowSince,
                    old == null ? -1 : old.heardAt);
        });
    }

    /** Drops every value, keeping floors, and serves nothing until {@link #resume()}. */
    void clearAndBypass() {
        bypassed = true;
        keepOnlyFloors();
    }

    /** Drops every value, keeping floors; fills that started before are refused. */
    void clear() {
        keepOnlyFloors();
    }

    /** Serves again, from no values (invalidations may have been missed), keeping floors. */
    void resume() {
        keepOnlyFloors();
        bypassed = !settings.localEnabled();
    }

    private void keepOnlyFloors() {
        // First refuse every fill in flight; then convert; then open the epoch that the floors name, so that only
        // a read started after the last conversion counts as newer than them (an invalidation may set a floor
        // while we convert).
        synchronized (floorLock) {
            long at = epoch.incrementAndGet() + 1;
            for (Cache<Object, Entry> cache : byEntity.values()) {
                cache.asMap().replaceAll((id, entry) -> entry.snapshot == null && entry.retainedAt >= 0 ? entry
                        : Entry.floor(entry.version, at, entry.rowSince, entry.heardAt));
            }
            epoch.incrementAndGet();
        }
    }

    boolean bypassed() {
        return bypassed;
    }

    long size() {
        long size = 0;
        for (Cache<Object, Entry> cache : byEntity.values()) {
            size += cache.estimatedSize();
        }
        return size;
    }

    private Cache<Object, Entry> cache(String entityName) {
        Cache<Object, Entry> cache = byEntity.get(entityName);
        if (cache != null) {
            return cache;
        }
        // Caffeine's default executor (ForkJoinPool.commonPool) does the upkeep. Running it on the calling thread
        // instead made two threads' local-tier hits 30% slower (each reader draining the read buffers in turn)
        // and did not make commits faster (A/B in benchmarks/results/2026-11-26-c9e6cfe/experiments.md).
        return byEntity.computeIfAbsent(entityName, name -> Caffeine.newBuilder()
                .maximumSize(settings.localMaximumSize())
                .expireAfterWrite(settings.localExpireAfterWrite())
                .build());
    }
}
