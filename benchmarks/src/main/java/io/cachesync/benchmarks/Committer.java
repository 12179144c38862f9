package io.cachesync.benchmarks;

/** One way of committing an update of one account, adapted into the benchmark harness. Thread-safe. */
interface Committer extends AutoCloseable {

    /** Loads the account in a new session, changes its balance, commits. */
    void commitOneUpdate(Long id);

    @Override
    void close();
}
