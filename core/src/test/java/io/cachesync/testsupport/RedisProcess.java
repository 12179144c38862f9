package io.cachesync.testsupport;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * One {@code redis-server} process of a test topology (a cluster node, a replica, a sentinel) in a directory of
 * its own, and the {@code redis-cli} calls that tests make to it. Used by {@link LocalRedisCluster} and
 * {@link LocalRedisSentinels}; {@link #close()} kills the process.
 */
public final class RedisProcess implements AutoCloseable {

    private final int port;
    private final Path dir;
    private final List<String> command;
    private Process process;

    private RedisProcess(int port, Path dir, List<String> command) {
        this.port = port;
        this.dir = dir;
        this.command = command;
    }

    /** Starts {@code redis-server <args>} (args may start with a config file) and waits until it answers. */
    static RedisProcess start(int port, Path dir, List<String> args) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(LocalRedisServer.binary().toString());
        command.addAll(args);
        RedisProcess node = new RedisProcess(port, dir, command);
        node.launch();
        return node;
    }

    private void launch() throws IOException {
        process = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("redis.log").toFile())).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IOException("redis-server on port " + port + " exited at once: "
                        + Files.readString(dir.resolve("redis.log")));
            }
            try {
                if (cli("PING").startsWith("PONG")) {
                    return;
                }
            } catch (IOException e) {
                // not up yet
            }
            sleep(20);
        }
        process.destroyForcibly();
        throw new IOException("redis-server did not answer on port " + port + " within 10 s");
    }

    public int port() {
        return port;
    }

    public Path dir() {
        return dir;
    }

    public boolean running() {
        return process != null && process.isAlive();
    }

    /** SIGKILL: connections drop, whatever was not replicated is lost. */
    public void kill() {
        if (process != null && process.isAlive()) {
            process.destroyForcibly();
            try {
                process.waitFor(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** SIGSTOP: the process stops answering (its peers see it as down) but keeps its data. */
    public void pause() throws IOException {
        signal("-STOP");
    }

    /** SIGCONT after {@link #pause()}. */
    public void resume() throws IOException {
        signal("-CONT");
    }

    private void signal(String signal) throws IOException {
        run(List.of("kill", signal, Long.toString(process.pid())));
    }

    /** {@code redis-cli -p <port> <args>}: its output, trimmed. */
    public String cli(String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of(redisCli().toString(), "-h", "127.0.0.1", "-p",
                Integer.toString(port)));
        command.addAll(List.of(args));
        return run(command);
    }

    static String run(List<String> command) throws IOException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        try (InputStream in = p.getInputStream()) {
            String out = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException(String.join(" ", command) + " did not finish");
            }
            if (p.exitValue() != 0) {
                throw new IOException(String.join(" ", command) + " exited " + p.exitValue() + ": " + out);
            }
            return out.trim();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.destroyForcibly();
            throw new IOException("interrupted", e);
        }
    }

    /** The {@code redis-cli} on the PATH; tests that need it are skipped without it. */
    public static Path redisCli() throws IOException {
        String path = System.getenv("PATH");
        if (path != null) {
            for (String d : path.split(File.pathSeparator)) {
                Path candidate = Path.of(d, "redis-cli");
                if (Files.isExecutable(candidate)) {
                    return candidate;
                }
            }
        }
        throw new IOException("no redis-cli on the PATH");
    }

    /** True when both redis-server and redis-cli can be run here. */
    public static boolean toolsAvailable() {
        try {
            redisCli();
            LocalRedisServer.binary();
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** A loopback port that is free, and (for a cluster node) whose bus port, port + 10000, is free too. */
    static int freePort(boolean withBusPort) throws IOException {
        for (int attempt = 0; attempt < 200; attempt++) {
            int port = withBusPort ? ThreadLocalRandom.current().nextInt(20_000, 50_000) : anyPort();
            if (free(port) && (!withBusPort || free(port + 10_000))) {
                return port;
            }
        }
        throw new IOException("no free loopback port pair found");
    }

    private static int anyPort() throws IOException {
        try (ServerSocket socket = new ServerSocket()) {
            socket.bind(new InetSocketAddress("127.0.0.1", 0));
            return socket.getLocalPort();
        }
    }

    private static boolean free(int port) {
        try (ServerSocket socket = new ServerSocket()) {
            socket.bind(new InetSocketAddress("127.0.0.1", port));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** Deletes a topology's directory tree (configs, logs, node files) once its processes are gone. */
    static void deleteTree(Path dir) {
        try (var files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException | RuntimeException e) {
            // a leftover temp directory is harmless
        }
    }

    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        if (process != null && process.isAlive()) {
            try {
                resume(); // a paused process cannot act on SIGKILL's cleanup promptly otherwise
            } catch (IOException | RuntimeException e) {
                // it is killed below anyway
            }
            kill();
        }
    }
}
