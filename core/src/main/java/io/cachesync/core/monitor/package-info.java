/**
 * The live consistency monitor: a sampled share of commits is checked against the database after each
 * configured delay (the idea behind Meta's Polaris), reported per model and overall as a ratio and in nines, and
 * drift it finds is repaired at once through the versioned write. The same background thread watches for Redis
 * data loss (the server's {@code run_id} changing) and for repair-queue overflows, and asks the ORM integration
 * to reconcile the affected models.
 *
 * <p>Depends on {@code io.cachesync.core} and {@code io.cachesync.core.drift} only; like the rest of core it must
 * never depend on Hibernate or Jakarta Persistence: the integration hands in each model's schema and loader.
 */
package io.cachesync.core.monitor;
