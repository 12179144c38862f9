package io.cachesync.core.monitor;

import java.time.Duration;
import java.time.Instant;

/**
 * One inconsistency the monitor found: the key, the delay of the check, what Redis and the database held.
 *
 * @param entity        the entity name
 * @param id            the row's id
 * @param kind          the drift class: stale, missing, corrupt, orphaned or cache-ahead
 * @param delay         the check's delay after the sampled commit (zero for a key handed in by a read)
 * @param sampledVersion the version the commit wrote (-1 for a key handed in by a read)
 * @param redisVersion  the version Redis held (-1: absent or undecodable)
 * @param databaseVersion the row's version (-1: no row)
 * @param age           time from the commit to the check
 * @param at            when it was found
 * @param repair        what was done: repaired, refused (a newer write won), failed, or left alone
 */
public record Inconsistency(String entity, Object id, String kind, Duration delay, long sampledVersion,
                            long redisVersion, long databaseVersion, Duration age, Instant at, String repair) {
}
