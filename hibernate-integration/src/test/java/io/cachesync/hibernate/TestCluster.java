package io.cachesync.hibernate;

import io.cachesync.testsupport.LocalRedisCluster;
import io.cachesync.testsupport.RedisProcess;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.api.sync.RedisAdvancedClusterCommands;
import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.util.List;
import java.util.stream.Collectors;

/**
 * A private Redis Cluster (three masters, three replicas) for one test class, with a plain Lettuce cluster
 * connection for the test's own inspections and injections. Skips the class when redis-server or redis-cli is
 * missing.
 */
final class TestCluster implements AutoCloseable {

    final LocalRedisCluster cluster;
    private final RedisClusterClient client;
    private final StatefulRedisClusterConnection<String, String> connection;

    private TestCluster(LocalRedisCluster cluster) {
        this.cluster = cluster;
        this.client = RedisClusterClient.create(cluster.running().stream()
                .map(n -> io.lettuce.core.RedisURI.create("127.0.0.1", n.port())).collect(Collectors.toList()));
        this.connection = client.connect();
    }

    static TestCluster start() throws IOException {
        Assumptions.assumeTrue(RedisProcess.toolsAvailable(), "redis-server and redis-cli are needed on the PATH");
        long start = System.nanoTime();
        LocalRedisCluster cluster = LocalRedisCluster.start(3, 1);
        System.out.printf("[cluster] 3 masters + 3 replicas up in %d ms: %s%n",
                (System.nanoTime() - start) / 1_000_000, cluster.uri());
        return new TestCluster(cluster);
    }

    String uri() {
        return cluster.uri();
    }

    /** Commands routed by slot; KEYS, DBSIZE, FLUSHALL and SCAN cover every master. */
    RedisAdvancedClusterCommands<String, String> commands() {
        return connection.sync();
    }

    /** Ids whose Account key lands on each master, {@code perMaster} of each, all at or above {@code from}. */
    List<List<Long>> accountIdsPerMaster(SessionFactoryKeys keys, long from, int perMaster) throws IOException {
        var masters = cluster.masters();
        List<List<Long>> out = new java.util.ArrayList<>();
        List<List<long[]>> ranges = new java.util.ArrayList<>();
        for (RedisProcess master : masters) {
            out.add(new java.util.ArrayList<>());
            ranges.add(cluster.slotRanges(master));
        }
        for (long id = from; out.stream().anyMatch(l -> l.size() < perMaster); id++) {
            int slot = io.lettuce.core.cluster.SlotHash.getSlot(keys.key(id));
            for (int m = 0; m < masters.size(); m++) {
                if (owns(ranges.get(m), slot) && out.get(m).size() < perMaster) {
                    out.get(m).add(id);
                }
            }
        }
        return out;
    }

    private static boolean owns(List<long[]> ranges, int slot) {
        for (long[] range : ranges) {
            if (slot >= range[0] && slot <= range[1]) {
                return true;
            }
        }
        return false;
    }

    /** The key of an id. */
    interface SessionFactoryKeys {
        String key(long id);
    }

    @Override
    public void close() {
        try {
            connection.close();
            client.shutdown();
        } finally {
            cluster.close();
        }
    }
}
