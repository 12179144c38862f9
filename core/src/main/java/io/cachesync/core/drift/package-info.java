/**
 * The repair path's judgement: how the bytes under one key compare with the row they cache, as one of six
 * named, immutable {@link io.cachesync.core.drift.Drift} classes, and which versioned write repairs each.
 *
 * <p>Depends on {@code io.cachesync.core} only. Like the rest of core it must never depend on Hibernate or
 * Jakarta Persistence: an ORM integration reads the rows and hands their snapshots in.
 */
package io.cachesync.core.drift;
