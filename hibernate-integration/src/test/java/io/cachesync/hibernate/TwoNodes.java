package io.cachesync.hibernate;

import org.hibernate.SessionFactory;

import java.util.Map;
import java.util.function.Consumer;

/** Two application nodes (two SessionFactories) over one database and one Redis, as two servers would be. */
final class TwoNodes implements AutoCloseable {

    final SessionFactory a;
    final SessionFactory b;
    final CacheSync syncA;
    final CacheSync syncB;

    TwoNodes(String redisUri) {
        this(redisUri, settings -> { });
    }

    TwoNodes(String redisUri, Consumer<Map<String, Object>> tweak) {
        this(redisUri, tweak, tweak);
    }

    /** Nodes configured differently, as during a rolling change of settings. */
    TwoNodes(String redisUri, Consumer<Map<String, Object>> tweakA, Consumer<Map<String, Object>> tweakB) {
        String db = TestNodes.newDatabase();
        a = TestNodes.node(db, redisUri, true, tweakA);
        b = TestNodes.node(db, redisUri, false, tweakB);
        syncA = CacheSync.of(a);
        syncB = CacheSync.of(b);
    }

    /** Waits until both nodes' invalidation channels are live. */
    TwoNodes ready() throws InterruptedException {
        RedisOutageNeverFailsACommitTest.waitUntil(() -> syncA.localTierServing() && syncB.localTierServing(),
                java.time.Duration.ofSeconds(10));
        return this;
    }

    @Override
    public void close() {
        b.close();
        a.close();
    }
}
