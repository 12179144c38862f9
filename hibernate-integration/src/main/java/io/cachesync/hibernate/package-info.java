/**
 * cachesync for Hibernate ORM: entities extend {@link io.cachesync.hibernate.VersionedEntity}, the
 * {@link io.cachesync.hibernate.CacheSyncIntegrator} (found through {@code ServiceLoader}) switches on when
 * {@code cachesync.redis.uri} is set, post-commit listeners push every committed change, and
 * {@link io.cachesync.hibernate.CacheSync} is the runtime handle for reads. The repair path:
 * {@link io.cachesync.hibernate.Reconciler} finds and repairs drift (classified by
 * {@code io.cachesync.core.drift}) and reports it as a {@link io.cachesync.hibernate.ReconciliationReport};
 * {@link io.cachesync.hibernate.ReconcileCommand} is its command line.
 *
 * <p>Depends on Hibernate, Jakarta Persistence and {@code io.cachesync.core}; nothing in core depends on it.
 */
package io.cachesync.hibernate;
