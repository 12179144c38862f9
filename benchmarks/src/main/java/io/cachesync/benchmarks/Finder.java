package io.cachesync.benchmarks;

/** One way of reading an account by id, adapted into the benchmark harness. Thread-safe. */
interface Finder extends AutoCloseable {

    /** The account (or the cached bytes, for the raw Redis floor); never null for an existing id. */
    Object find(Long id);

    @Override
    void close();
}
