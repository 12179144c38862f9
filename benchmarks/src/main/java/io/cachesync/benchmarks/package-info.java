/**
 * JMH benchmarks of cachesync against its floors (raw Caffeine, raw Lettuce, plain Hibernate) and its peers
 * (Hibernate's second-level cache on JCache/Caffeine and on Redisson), all adapted into one harness so that a
 * table compares like with like. Depends on cachesync's public API and on the peers; nothing depends on it.
 */
package io.cachesync.benchmarks;
