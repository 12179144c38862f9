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
 * Redis Cluster of three masters and three replicas instead of one Redis, which needs redis-cli on the PATH).
 */
public final class ReconcilerThroughput {

    private static final AtomicLong maxHeapAfterGc = new AtomicLong();
    private static boolean cluster;

    private ReconcilerThroughput() {
    }

    public static void main(String[] args) throws Exception {
        List<Integer> sizes = new ArrayList<>();
        int batchSize = 1_000;
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--cluster")) {
                cluster = true;
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
        System.out.printf("Reconciler throughput on %s, batch size %d, -Xmx%d MB, %d cores%n",
                cluster ? "a Redis Cluster (3 masters, 3 replicas)" : "one Redis", batchSize,
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
        try (BenchmarkRedis redis = cluster ? null : BenchmarkRedis.start();
             SessionFactory sf = node(cluster ? clusterRedis.uri() : redis.uri(), dir)) {
            populate(sf, size);
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

    private static SessionFactory node(String redisUri, Path dir) {
        Map<String, Object> settings = new HashMap<>();
        settings.put("hibernate.connection.url", "jdbc:h2:file:" + dir.resolve("db") + ";CACHE_SIZE=65536");
        settings.put("hibernate.connection.username", "sa");
        settings.put("hibernate.connection.password", "");
        settings.put("hibernate.connection.pool_size", "4");
        settings.put("hibernate.hbm2ddl.auto", "create");
        settings.put("hibernate.jdbc.batch_size", "1000");
        settings.put(CacheSyncSettings.REDIS_URI, redisUri);
        settings.put(CacheSyncSettings.REDIS_TIMEOUT, "2s");
        settings.put(io.cachesync.hibernate.CacheSyncIntegrator.METER_REGISTRY, new SimpleMeterRegistry());
        StandardServiceRegistry registry = new StandardServiceRegistryBuilder().applySettings(settings).build();
        return new MetadataSources(registry).addAnnotatedClass(Account.class).buildMetadata().buildSessionFactory();
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
