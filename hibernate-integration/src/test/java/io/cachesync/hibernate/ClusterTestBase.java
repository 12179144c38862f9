package io.cachesync.hibernate;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * For test classes that run on a local Redis Cluster: starts one (three masters, three replicas) before the
 * class's first test and stops every process after its last; skipped where redis-server or redis-cli is missing.
 */
abstract class ClusterTestBase {

    static TestCluster redis;

    @BeforeAll
    static void startCluster() throws Exception {
        redis = TestCluster.start();
    }

    @AfterAll
    static void stopCluster() {
        if (redis != null) {
            redis.close();
            redis = null;
        }
    }
}
