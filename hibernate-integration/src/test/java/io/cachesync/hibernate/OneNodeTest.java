package io.cachesync.hibernate;

import io.cachesync.testsupport.RedisExtension;
import io.cachesync.testsupport.TestRedis;
import org.hibernate.SessionFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.extension.ExtendWith;

/** One application node with cachesync on, over a fresh H2 database and the shared test Redis, per test. */
@ExtendWith(RedisExtension.class)
abstract class OneNodeTest {

    SessionFactory sf;
    CacheSync sync;

    @BeforeEach
    void startNode(TestRedis redis) {
        sf = TestNodes.node(TestNodes.newDatabase(), redis.uri(), true);
        sync = CacheSync.of(sf);
    }

    @AfterEach
    void stopNode() {
        sf.close();
    }
}
