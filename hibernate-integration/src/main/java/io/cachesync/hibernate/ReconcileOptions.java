package io.cachesync.hibernate;

import java.time.Duration;
import java.util.function.Consumer;

/** The settings of one run, validated by {@link Reconciler}. */
record ReconcileOptions(int batchSize, long maxInstances, boolean checkOnly, boolean force,
                        Duration progressEvery, Consumer<String> discrepancies, Duration pause) {

    /** Without a pause between batches. */
    ReconcileOptions(int batchSize, long maxInstances, boolean checkOnly, boolean force, Duration progressEvery,
                     Consumer<String> discrepancies) {
        this(batchSize, maxInstances, checkOnly, force, progressEvery, discrepancies, Duration.ZERO);
    }
}
