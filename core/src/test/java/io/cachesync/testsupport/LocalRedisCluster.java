package io.cachesync.testsupport;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * A private Redis Cluster for tests: {@code masters} masters with {@code replicasPerMaster} replicas each, every
 * node a {@code redis-server --cluster-enabled yes} process on a free loopback port (its bus port, port + 10000,
 * free too), created with {@code redis-cli --cluster create} and ready once every node reports
 * {@code cluster_state:ok}. A short {@code cluster-node-timeout} (1 s) makes failovers quick. {@link #close()}
 * kills every process.
 */
public final class LocalRedisCluster implements AutoCloseable {

    private final List<RedisProcess> nodes = new ArrayList<>();
    private final Path dir;

    private LocalRedisCluster() throws IOException {
        this.dir = Files.createTempDirectory("cachesync-cluster");
        this.dir.toFile().deleteOnExit();
    }

    /** Starts and creates the cluster; throws if it does not reach {@code cluster_state:ok} within 30 s. */
    public static LocalRedisCluster start(int masters, int replicasPerMaster) throws IOException {
        LocalRedisCluster cluster = new LocalRedisCluster();
        try {
            int count = masters * (1 + replicasPerMaster);
            List<String> addresses = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                int port = RedisProcess.freePort(true);
                Path nodeDir = Files.createDirectories(cluster.dir.resolve("node-" + port));
                cluster.nodes.add(RedisProcess.start(port, nodeDir, List.of(
                        "--port", Integer.toString(port), "--bind", "127.0.0.1", "--protected-mode", "no",
                        "--daemonize", "no", "--save", "", "--appendonly", "no", "--loglevel", "warning",
                        "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
                        "--cluster-node-timeout", "1000",
                        // a replica whose link was cut on purpose (to make a failover lose writes) must still
                        // take over, however long a loaded machine kept it cut off
                        "--cluster-replica-validity-factor", "0",
                        "--dir", nodeDir.toString())));
                addresses.add("127.0.0.1:" + port);
            }
            List<String> create = new ArrayList<>(List.of(RedisProcess.redisCli().toString(), "--cluster", "create"));
            create.addAll(addresses);
            create.addAll(List.of("--cluster-replicas", Integer.toString(replicasPerMaster), "--cluster-yes"));
            RedisProcess.run(create);
            cluster.awaitHealthy(masters, TimeUnit.SECONDS.toMillis(30));
            return cluster;
        } catch (IOException | RuntimeException e) {
            cluster.close();
            throw e;
        }
    }

    /**
     * Waits until every running node says {@code cluster_state:ok} and sees {@code masters} masters, each with
     * every slot it should have, none failed.
     */
    public void awaitHealthy(int masters, long timeoutMillis) throws IOException {
        long deadline = System.currentTimeMillis() + timeoutMillis;
        String last = "";
        while (System.currentTimeMillis() < deadline) {
            boolean ok = true;
            for (RedisProcess node : running()) {
                try {
                    String info = node.cli("CLUSTER", "INFO");
                    String view = node.cli("CLUSTER", "NODES");
                    long liveMasters = view.lines().filter(l -> l.contains("master") && !l.contains("fail")
                            && l.split(" ").length > 8).count();
                    if (!info.contains("cluster_state:ok") || liveMasters != masters) {
                        ok = false;
                        last = node.port() + ": " + info.lines().findFirst().orElse("") + "\n" + view;
                        break;
                    }
                } catch (IOException e) {
                    ok = false;
                    last = e.toString();
                    break;
                }
            }
            if (ok) {
                return;
            }
            RedisProcess.sleep(100);
        }
        throw new IOException("the cluster did not become healthy: " + last);
    }

    /** {@code redis-cluster://127.0.0.1:p1,127.0.0.1:p2,...} over every running node. */
    public String uri() {
        return "redis-cluster://" + running().stream().map(n -> "127.0.0.1:" + n.port())
                .collect(Collectors.joining(","));
    }

    public List<RedisProcess> nodes() {
        return List.copyOf(nodes);
    }

    public List<RedisProcess> running() {
        return nodes.stream().filter(RedisProcess::running).toList();
    }

    /** The running masters right now, as the cluster itself reports them. */
    public List<RedisProcess> masters() throws IOException {
        List<RedisProcess> out = new ArrayList<>();
        for (RedisProcess node : running()) {
            if (node.cli("ROLE").startsWith("master")) {
                out.add(node);
            }
        }
        return out;
    }

    /** The running node that serves the key's slot as master. */
    public RedisProcess masterOf(String key) throws IOException {
        long slot = Long.parseLong(running().get(0).cli("CLUSTER", "KEYSLOT", key));
        return masterOfSlot(slot);
    }

    /** The running master that owns {@code slot}. */
    public RedisProcess masterOfSlot(long slot) throws IOException {
        for (RedisProcess master : masters()) {
            for (long[] range : slotRanges(master)) {
                if (slot >= range[0] && slot <= range[1]) {
                    return master;
                }
            }
        }
        throw new IOException("no running master owns slot " + slot);
    }

    /** The slot ranges that a master owns, read from its own {@code CLUSTER NODES} line. */
    public List<long[]> slotRanges(RedisProcess master) throws IOException {
        String self = master.cli("CLUSTER", "NODES").lines().filter(l -> l.contains("myself")).findFirst()
                .orElseThrow();
        String[] fields = self.split(" ");
        List<long[]> ranges = new ArrayList<>();
        for (int i = 8; i < fields.length; i++) {
            if (fields[i].startsWith("[")) {
                continue; // a slot being migrated
            }
            String[] bounds = fields[i].split("-");
            long from = Long.parseLong(bounds[0]);
            ranges.add(new long[]{from, bounds.length > 1 ? Long.parseLong(bounds[1]) : from});
        }
        return ranges;
    }

    /** The running replicas of a master. */
    public List<RedisProcess> replicasOf(RedisProcess master) throws IOException {
        String id = master.cli("CLUSTER", "MYID");
        List<RedisProcess> out = new ArrayList<>();
        for (RedisProcess node : running()) {
            String self = node.cli("CLUSTER", "NODES").lines().filter(l -> l.contains("myself")).findFirst()
                    .orElse("");
            if (self.split(" ").length > 3 && self.split(" ")[3].equals(id)) {
                out.add(node);
            }
        }
        return out;
    }

    /** The number of keys on each running master, by port. */
    public Map<Integer, Long> keysPerMaster() throws IOException {
        Map<Integer, Long> out = new TreeMap<>();
        for (RedisProcess master : masters()) {
            out.put(master.port(), Long.parseLong(master.cli("DBSIZE")));
        }
        return out;
    }

    /** Empties every master (replicas follow). */
    public void flushAll() throws IOException {
        for (RedisProcess master : masters()) {
            master.cli("FLUSHALL");
        }
    }

    @Override
    public void close() {
        for (RedisProcess node : nodes) {
            node.close();
        }
        RedisProcess.deleteTree(dir);
    }
}
