package io.cachesync.testsupport;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * A private {@code redis-server} process on a free loopback port: the {@code redis-server} on the PATH, or else
 * the binary that the embedded-redis jar ships. It keeps nothing on disk unless its extra args say so (e.g.
 * {@code --appendonly yes}). Tests use it to kill, restart or slow Redis, or to run it with a password, ACL users
 * or TLS; the demo uses it when no Redis is given.
 */
public final class LocalRedisServer implements AutoCloseable {

    private final Path binary;
    private final String source;
    private final List<String> extraArgs;
    private final Path dir;
    private int port;
    private boolean tls;
    private Process process;

    private LocalRedisServer(Path binary, String source, List<String> extraArgs) throws IOException {
        this.binary = binary;
        this.source = source;
        this.extraArgs = List.copyOf(extraArgs);
        this.dir = Files.createTempDirectory("cachesync-redis");
        this.dir.toFile().deleteOnExit();
    }

    /** Starts a server on a free port; {@code extraArgs} are passed to redis-server (e.g. --requirepass x). */
    public static LocalRedisServer start(String... extraArgs) throws IOException {
        Binary found = findBinary();
        LocalRedisServer server = new LocalRedisServer(found.path, found.source, List.of(extraArgs));
        server.port = freePort();
        server.launch();
        return server;
    }

    /** Starts a server on the given port (e.g. one that an application was told about before Redis came up). */
    public static LocalRedisServer startOn(int port, String... extraArgs) throws IOException {
        Binary found = findBinary();
        LocalRedisServer server = new LocalRedisServer(found.path, found.source, List.of(extraArgs));
        server.port = port;
        server.launch();
        return server;
    }

    /**
     * Starts a server that accepts only TLS ({@code rediss://}) on a free port, with the given server certificate
     * and key; clients are not asked for certificates. Throws if this redis-server was built without TLS.
     */
    public static LocalRedisServer startTls(Path certificate, Path key, Path caCertificate, String... extraArgs)
            throws IOException {
        Binary found = findBinary();
        List<String> args = new ArrayList<>(List.of("--tls-cert-file", certificate.toString(), "--tls-key-file",
                key.toString(), "--tls-ca-cert-file", caCertificate.toString(), "--tls-auth-clients", "no"));
        args.addAll(List.of(extraArgs));
        LocalRedisServer server = new LocalRedisServer(found.path, found.source, args);
        server.port = freePort();
        server.tls = true;
        server.launch();
        return server;
    }

    /** The redis-server that tests use (the PATH's, or the embedded jar's): to ask it about its build. */
    public static Path binary() throws IOException {
        return findBinary().path;
    }

    /** A loopback port that nothing listens on right now. */
    public static int unusedPort() throws IOException {
        return freePort();
    }

    private record Binary(Path path, String source) {
    }

    private static Binary findBinary() throws IOException {
        String path = System.getenv("PATH");
        if (path != null) {
            for (String dir : path.split(File.pathSeparator)) {
                Path candidate = Path.of(dir, "redis-server");
                if (Files.isExecutable(candidate)) {
                    return new Binary(candidate, "redis-server from the PATH (" + candidate + ")");
                }
            }
        }
        String resource = embeddedResourceName();
        try (InputStream in = LocalRedisServer.class.getResourceAsStream("/" + resource)) {
            if (in == null) {
                throw new IOException("no redis-server on the PATH and no " + resource
                        + " in the embedded-redis jar; set REDIS_URL to a Redis you can flush");
            }
            Path file = Files.createTempFile("redis-server", "");
            file.toFile().deleteOnExit();
            Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
            if (!file.toFile().setExecutable(true)) {
                throw new IOException("cannot make " + file + " executable");
            }
            return new Binary(file, "redis-server shipped in the embedded-redis jar (" + resource + ")");
        }
    }

    private static String embeddedResourceName() {
        String os = System.getProperty("os.name").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch").toLowerCase(Locale.ROOT);
        boolean arm = arch.contains("aarch64") || arch.contains("arm");
        if (os.contains("mac")) {
            return arm ? "redis-server-6.2.6-v5-darwin-arm64" : "redis-server-6.2.6-v5-darwin-amd64";
        }
        if (os.contains("win")) {
            return "redis-server-5.0.14.1-windows-amd64.exe";
        }
        return arm ? "redis-server-6.2.7-linux-arm64" : "redis-server-6.2.6-v5-linux-amd64";
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket()) {
            socket.setReuseAddress(true);
            socket.bind(new InetSocketAddress("127.0.0.1", 0));
            return socket.getLocalPort();
        }
    }

    private void launch() throws IOException {
        List<String> command = new ArrayList<>(List.of(binary.toString(),
                "--port", tls ? "0" : Integer.toString(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                "--daemonize", "no", "--protected-mode", "no", "--dir", dir.toString(), "--loglevel", "warning"));
        if (tls) {
            command.addAll(List.of("--tls-port", Integer.toString(port)));
        }
        command.addAll(extraArgs);
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(dir.resolve("redis.log").toFile());
        process = builder.start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IOException("redis-server exited at once: " + Files.readString(dir.resolve("redis.log")));
            }
            if (answersPing()) {
                return;
            }
            sleep(20);
        }
        process.destroyForcibly();
        throw new IOException("redis-server did not answer on port " + port + " within 10 s");
    }

    private boolean answersPing() {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 200);
            if (tls) {
                return true; // accepting connections is enough: the handshake is the client's test
            }
            socket.setSoTimeout(500);
            OutputStream out = socket.getOutputStream();
            out.write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            byte[] reply = new byte[64];
            int n = socket.getInputStream().read(reply);
            // "+PONG", or "-NOAUTH" when a password is set: either way the server is up
            return n > 0 && (reply[0] == '+' || reply[0] == '-');
        } catch (IOException e) {
            return false;
        }
    }

    public int port() {
        return port;
    }

    /** {@code redis://127.0.0.1:<port>} */
    public String uri() {
        return "redis://127.0.0.1:" + port;
    }

    /** Which binary runs, for a test's or the demo's output. */
    public String source() {
        return source;
    }

    public boolean running() {
        return process != null && process.isAlive();
    }

    /** Kills the server at once (SIGKILL): connections drop, data is lost. */
    public void kill() {
        if (process != null) {
            process.destroyForcibly();
            waitFor();
        }
    }

    /** The server's log file (its own directory also holds its data files). */
    public Path log() {
        return dir.resolve("redis.log");
    }

    /** Starts the server again on the same port: empty, unless its extra args made it persist its data. */
    public void restart() throws IOException {
        kill();
        launch();
    }

    @Override
    public void close() {
        if (process != null && process.isAlive()) {
            process.destroy();
            try {
                if (!process.waitFor(5, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                process.destroyForcibly();
            }
        }
    }

    private void waitFor() {
        try {
            process.waitFor(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
