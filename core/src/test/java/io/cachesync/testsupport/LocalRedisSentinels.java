package io.cachesync.testsupport;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * A private Sentinel setup for tests: one master, one replica and three sentinels ({@code redis-server <conf>
 * --sentinel}, each with a writable config file of its own, as Sentinel requires), all on free loopback ports,
 * watching a master named {@value #MASTER_NAME} with a quorum of two and a 1 s down-after. Ready once every
 * sentinel knows the replica and the other two sentinels. {@link #close()} kills every process.
 */
public final class LocalRedisSentinels implements AutoCloseable {

    public static final String MASTER_NAME = "mymaster";

    private final Path dir;
    private final List<RedisProcess> servers = new ArrayList<>();
    private final List<RedisProcess> sentinels = new ArrayList<>();

    private LocalRedisSentinels() throws IOException {
        this.dir = Files.createTempDirectory("cachesync-sentinel");
        this.dir.toFile().deleteOnExit();
    }

    public static LocalRedisSentinels start() throws IOException {
        LocalRedisSentinels setup = new LocalRedisSentinels();
        try {
            int masterPort = RedisProcess.freePort(false);
            setup.servers.add(setup.server(masterPort, List.of()));
            int replicaPort = RedisProcess.freePort(false);
            setup.servers.add(setup.server(replicaPort, List.of("--replicaof", "127.0.0.1",
                    Integer.toString(masterPort))));
            for (int i = 0; i < 3; i++) {
                int port = RedisProcess.freePort(false);
                Path sentinelDir = Files.createDirectories(setup.dir.resolve("sentinel-" + port));
                Path conf = sentinelDir.resolve("sentinel.conf");
                Files.writeString(conf, String.join("\n",
                        "port " + port,
                        "bind 127.0.0.1",
                        "protected-mode no",
                        "dir " + sentinelDir,
                        "sentinel monitor " + MASTER_NAME + " 127.0.0.1 " + masterPort + " 2",
                        "sentinel down-after-milliseconds " + MASTER_NAME + " 1000",
                        "sentinel failover-timeout " + MASTER_NAME + " 5000",
                        "sentinel parallel-syncs " + MASTER_NAME + " 1",
                        ""));
                setup.sentinels.add(RedisProcess.start(port, sentinelDir, List.of(conf.toString(), "--sentinel")));
            }
            setup.awaitReady(TimeUnit.SECONDS.toMillis(30));
            return setup;
        } catch (IOException | RuntimeException e) {
            setup.close();
            throw e;
        }
    }

    private RedisProcess server(int port, List<String> extra) throws IOException {
        Path serverDir = Files.createDirectories(dir.resolve("redis-" + port));
        List<String> args = new ArrayList<>(List.of("--port", Integer.toString(port), "--bind", "127.0.0.1",
                "--protected-mode", "no", "--daemonize", "no", "--save", "", "--appendonly", "no",
                "--loglevel", "warning", "--dir", serverDir.toString()));
        args.addAll(extra);
        return RedisProcess.start(port, serverDir, args);
    }

    /**
     * Waits until exactly one server is master, every other running one is its replica in sync, and every
     * sentinel knows a replica and both other sentinels.
     */
    public void awaitReady(long timeoutMillis) throws IOException {
        long deadline = System.currentTimeMillis() + timeoutMillis;
        String last = "";
        while (System.currentTimeMillis() < deadline) {
            boolean ready = true;
            int masters = 0;
            for (RedisProcess server : servers) {
                if (!server.running()) {
                    continue;
                }
                if (server.cli("ROLE").startsWith("master")) {
                    masters++;
                } else if (!server.cli("INFO", "replication").contains("master_link_status:up")) {
                    ready = false;
                    last = server.port() + " not in sync";
                }
            }
            if (masters != 1) {
                // after a failover the old master goes on as a master until a sentinel converts it
                ready = false;
                last = masters + " servers say they are master";
            }
            for (RedisProcess sentinel : sentinels) {
                String master = sentinel.cli("SENTINEL", "MASTER", MASTER_NAME);
                if (!master.matches("(?s).*num-other-sentinels\\s+2\\b.*") || !master.matches("(?s).*num-slaves\\s+[1-9].*")) {
                    ready = false;
                    last = sentinel.port() + ": " + master.replace('\n', ' ');
                }
            }
            if (ready) {
                return;
            }
            RedisProcess.sleep(100);
        }
        throw new IOException("the sentinels did not become ready: " + last);
    }

    /** Lettuce's form: {@code redis-sentinel://127.0.0.1:s1,127.0.0.1:s2,127.0.0.1:s3#mymaster}. */
    public String uri() {
        return "redis-sentinel://" + sentinels.stream().map(s -> "127.0.0.1:" + s.port())
                .collect(Collectors.joining(",")) + "#" + MASTER_NAME;
    }

    /** The port of the master as the sentinels report it now. */
    public int masterPort() throws IOException {
        String[] address = sentinels.get(0).cli("SENTINEL", "GET-MASTER-ADDR-BY-NAME", MASTER_NAME).split("\\s+");
        return Integer.parseInt(address[address.length - 1]);
    }

    /** The master and the replica, in the order they were started. */
    public List<RedisProcess> servers() {
        return List.copyOf(servers);
    }

    public List<RedisProcess> sentinels() {
        return List.copyOf(sentinels);
    }

    /** The server listening on {@code port}. */
    public RedisProcess server(int port) {
        return servers.stream().filter(s -> s.port() == port).findFirst().orElseThrow();
    }

    @Override
    public void close() {
        for (RedisProcess sentinel : sentinels) {
            sentinel.close();
        }
        for (RedisProcess server : servers) {
            server.close();
        }
        RedisProcess.deleteTree(dir);
    }
}
