package io.cachesync.benchmarks;

import io.cachesync.hibernate.CacheSync;
import org.hibernate.Session;
import org.hibernate.SessionFactory;

/** Brings a subject to its steady state before measurement, and checks that it got there. */
final class Warmup {

    private Warmup() {
    }

    /** The local tier serves only once the invalidation channel is confirmed live. */
    static void awaitLocalTierServing(CacheSync sync) {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!sync.localTierServing()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("cachesync's local tier did not start serving within 10 s");
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
    }

    /** Loads every row once, each in its own session, so that a second-level cache holds all of them. */
    static void loadEveryRow(SessionFactory factory) {
        for (long id = 1; id <= Nodes.ROWS; id++) {
            try (Session session = factory.openSession()) {
                if (session.find(Account.class, id) == null) {
                    throw new IllegalStateException("account " + id + " is missing");
                }
            }
        }
    }

    /** Fails unless the second-level cache holds every row. */
    static void requireCached(SessionFactory factory) {
        for (long id = 1; id <= Nodes.ROWS; id++) {
            if (!factory.getCache().containsEntity(Account.class, id)) {
                throw new IllegalStateException("account " + id + " is not in the second-level cache after warm-up");
            }
        }
    }
}
