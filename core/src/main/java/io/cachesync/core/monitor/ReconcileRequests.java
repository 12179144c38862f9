package io.cachesync.core.monitor;

import java.util.Set;

/** Where the monitor sends the models that need a full reconciliation, and why. Called on its own thread. */
@FunctionalInterface
public interface ReconcileRequests {

    /**
     * @param entities entity names to reconcile
     * @param reason   one phrase for the log, e.g. "Redis restarted (run_id changed)"
     */
    void reconcile(Set<String> entities, String reason);
}
