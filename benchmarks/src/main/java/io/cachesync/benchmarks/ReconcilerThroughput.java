package io.cachesync.benchmarks;

import io.cachesync.core.CacheSyncSettings;
import io.cachesync.hibernate.Reconciler;
import io.cachesync.hibernate.ReconciliationReport;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.hibernate.SessionFactory;
import org.hibernate.StatelessSession;
import org.hibernate.Transaction;
import org.hibernate.boot.MetadataSources;
import org.hibernate.boot.registry.StandardServiceRegistry;
import org.hibernate.boot.registry.StandardServiceRegistryBuilder;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryUsage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The Reconciler over large tables: rows per second for a repair run that finds every key missing and for a
 * check-only run that finds every key consistent, and the largest heap left after any garbage collection during
 * each run, sampled by a full collection every two seconds (live data, not garbage). The table lives in an H2
 * file database, so that it is not on the heap.
 *
 * <p>Run: {@code java -Xmx512m -cp benchmarks/target/benchmarks.jar io.cachesync.benchmarks.ReconcilerThroughput
 * 100000 1000000} (sizes; optional {@code --batch-size N}, default 1000; {@code --cluster}: against a private
 * Redis Cluster of three masters and three replicas instead of one Redis, which needs redis-cli on the PATH;
 * {@code --postgres [jdbc-url]}: the table in PostgreSQL instead of H2, default
 * {@code jdbc:postgresql://127.0.0.1:5432/test} as user {@code postgres} (or {@code CACHESYNC_PG_USER} /
 * {@code CACHESYNC_PG_PASSWORD}), in a schema of its own that is dropped afterwards).
 */
public final class ReconcilerThroughput {

    private static final AtomicLong maxHeapAfterGc = new AtomicLong();
    private static boolean cluster;
    private static String postgresUrl;

    private ReconcilerThroughput() {
    }

    public static void main(String[] args) throws Exception {
        List<Integer> sizes = new ArrayList<>();
        int batchSize = 1_000;
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--cluster")) {
                cluster = true;
            } else if (args[i].equals("--postgres")) {
                postgresUrl = i + 1 < args.length && args[i + 1].startsWith("jdbc:") ? args[++i]
                        : "jdbc:postgresql://127.0.0.1:5432/test";
            } else if (args[i].equals("--batch-size")) {
                batchSize = Integer.parseInt(args[++i]);
            } else {
                sizes.add(Integer.parseInt(args[i].replace("_", "")));
            }
        }
        if (sizes.isEmpty()) {
            sizes = List.of(100_000, 1_000_000);
        }
        startLiveHeapSampler();
        System.out.printf("Reconciler throughput on %s and %s, batch size %d, -Xmx%d MB, %d cores%n",
                cluster ? "a Redis Cluster (3 masters, 3 replicas)" : "one Redis",
                postgresUrl != null ? "PostgreSQL at " + postgresUrl : "an H2 file database", batchSize,
                Runtime.getRuntime().maxMemory() >> 20, Runtime.getRuntime().availableProcessors());
        List<String> rows = new ArrayList<>();
        for (int size : sizes) {
            rows.addAll(measure(size, batchSize));
        }
        System.out.println();
        System.out.println("| rows | run | seconds | rows/s | keys repaired | live heap, max (MB) |");
        System.out.println("| ---: | --- | ---: | ---: | ---: | ---: |");
        rows.forEach(System.out::println);
    }

    private static List<String> measure(int size, int batchSize) throws Exception {
        List<String> rows = new ArrayList<>();
        Path dir = Files.createTempDirectory("reconciler-bench");
        io.cachesync.testsupport.LocalRedisCluster clusterRedis = cluster
                ? io.cachesync.testsupport.LocalRedisCluster.start(3, 1) : null;
        String pgSchema = createPgSchema();
        try (BenchmarkRedis redis = cluster ? null : BenchmarkRedis.start();
             SessionFactory sf = node(cluster ? clusterRedis.uri() : redis.uri(), dir, pgSchema)) {
            populate(sf, size);
            if (pgSchema != null) {
                sf.inTransaction(s -> s.createNativeMutationQuery("analyze account").executeUpdate());
            }
            ReconciliationReport repair = timed(rows, size, "repair, every key missing",
                    () -> Reconciler.of(sf).batchSize(batchSize).run());
            if (repair.repaired() != size) {
                throw new IllegalStateException("repaired " + repair.repaired() + " of " + size);
            }
            ReconciliationReport check = timed(rows, size, "check-only, every key consistent",
                    () -> Reconciler.of(sf).batchSize(batchSize).checkOnly(true).run());
            if (check.consistent() != size || check.inconsistent() + check.missing() + check.orphaned() != 0) {
                throw new IllegalStateException("check found drift: " + check);
            }
        } finally {
            dropPgSchema(pgSchema);
            if (clusterRedis != null) {
                clusterRedis.close();
            }
            try (var files = Files.walk(dir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
        return rows;
    }

    private static ReconciliationReport timed(List<String> rows, int size, String label,
                                              java.util.function.Supplier<ReconciliationReport> run) {
        System.gc();
        maxHeapAfterGc.set(usedHeap());
        long start = System.nanoTime();
        ReconciliationReport report = run.get();
        double seconds = (System.nanoTime() - start) / 1e9;
        long heap = Math.max(maxHeapAfterGc.get(), 0);
        String row = String.format("| %,d | %s | %.2f | %,.0f | %,d | %d |", size, label, seconds, size / seconds,
                report.repaired(), heap >> 20);
        System.out.println(row);
        rows.add(row);
        return report;
    }

    private static SessionFactory node(String redisUri, Path dir, String pgSchema) {
        Map<String, Object> settings = new HashMap<>();
        if (pgSchema == null) {
            settings.put("hibernate.connection.url", "jdbc:h2:file:" + dir.resolve("db") + ";CACHE_SIZE=65536");
            settings.put("hibernate.connection.username", "sa");
            settings.put("hibernate.connection.password", "");
        } else {
            settings.put("hibernate.connection.url", postgresUrl + (postgresUrl.contains("?") ? "&" : "?")
                    + "currentSchema=" + pgSchema + "&reWriteBatchedInserts=true");
            settings.put("hibernate.connection.username", pgUser());
            settings.put("hibernate.connection.password", pgPassword());
            settings.put("hibernate.default_schema", pgSchema);
        }
        settings.put("hibernate.connection.pool_size", "4");
        settings.put("hibernate.hbm2ddl.auto", "create");
        settings.put("hibernate.jdbc.batch_size", "1000");
        settings.put(CacheSyncSettings.REDIS_URI, redisUri);
        settings.put(CacheSyncSettings.REDIS_TIMEOUT, "2s");
        settings.put(io.cachesync.hibernate.CacheSyncIntegrator.METER_REGISTRY, new SimpleMeterRegistry());
        StandardServiceRegistry registry = new StandardServiceRegistryBuilder().applySettings(settings).build();
        return new MetadataSources(registry).addAnnotatedClass(Account.class).buildMetadata().buildSessionFactory();
    }

    private static String pgUser() {
        return System.getenv().getOrDefault("CACHESYNC_PG_USER", "postgres");
    }

    private static String pgPassword() {
        return System.getenv().getOrDefault("CACHESYNC_PG_PASSWORD", "");
    }

    /** A fresh schema for one measurement, or null on H2. */
    private static String createPgSchema() throws java.sql.SQLException {
        if (postgresUrl == null) {
            return null;
        }
        String schema = "cachesync_bench_" + Long.toHexString(System.nanoTime());
        try (java.sql.Connection c = java.sql.DriverManager.getConnection(postgresUrl, pgUser(), pgPassword());
             java.sql.Statement s = c.createStatement()) {
            s.execute("create schema " + schema);
        }
        return schema;
    }

    private static void dropPgSchema(String schema) throws java.sql.SQLException {
        if (schema != null) {
            try (java.sql.Connection c = java.sql.DriverManager.getConnection(postgresUrl, pgUser(), pgPassword());
                 java.sql.Statement s = c.createStatement()) {
                s.execute("drop schema " + schema + " cascade");
            }
        }
    }

    /** Rows written with a StatelessSession: no post-commit push, so Redis starts empty. */
    private static void populate(SessionFactory sf, int size) {
        long start = System.nanoTime();
        int chunk = 20_000;
        for (int from = 1; from <= size; from += chunk) {
            try (StatelessSession session = sf.openStatelessSession()) {
                Transaction tx = session.beginTransaction();
                for (long id = from; id < from + chunk && id <= size; id++) {
                    session.insert(new Account(id, "owner-" + id, "owner" + id + "@example.com", 100_00L + id,
                            id % 10 == 0 ? "FROZEN" : "OPEN"));
                }
                tx.commit();
            }
            System.out.printf("\r  loading %,d rows: %,d", size, Math.min(from + chunk - 1, size));
        }
        System.out.printf("\r  loaded %,d rows in %.1f s%n", size, (System.nanoTime() - start) / 1e9);
    }

    private static long usedHeap() {
        MemoryUsage heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
        return heap.getUsed();
    }

    /**
     * Every two seconds a full collection, then the heap still in use: the live set. (The heap after a young
     * collection still holds old garbage, so it would measure the collector, not the Reconciler.)
     */
    private static void startLiveHeapSampler() {
        Thread sampler = new Thread(() -> {
            while (true) {
                try {
                    Thread.sleep(2_000);
                } catch (InterruptedException e) {
                    return;
                }
                System.gc();
                maxHeapAfterGc.accumulateAndGet(usedHeap(), Math::max);
            }
        }, "live-heap-sampler");
        sampler.setDaemon(true);
        sampler.start();
    }
}
