/**
 * The ORM-neutral heart of cachesync: version-stamped {@link io.cachesync.core.Snapshot}s, their JSON codec,
 * the Redis store that refuses older versions atomically, the local Caffeine tier, cross-node invalidation, the
 * repair queue and distributed locks on rows ({@link io.cachesync.core.RedisLock}), composed behind
 * {@link io.cachesync.core.SnapshotCache}.
 *
 * <p>This package depends on Lettuce, Caffeine, Jackson, Micrometer and SLF4J only. It must never depend on
 * Hibernate or Jakarta Persistence, so that another ORM can drive it.
 */
package io.cachesync.core;
