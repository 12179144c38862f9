package io.cachesync.benchmarks;

import io.cachesync.core.CacheStatistics;
import io.cachesync.core.CacheSyncSettings;
import io.cachesync.hibernate.CacheSync;
import io.cachesync.hibernate.CacheSyncIntegrator;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.hibernate.SessionFactory;
import org.hibernate.StatelessSession;
import org.hibernate.Transaction;
import org.hibernate.boot.MetadataSources;
import org.hibernate.boot.registry.StandardServiceRegistry;
import org.hibernate.boot.registry.StandardServiceRegistryBuilder;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Cache warming, measured: the local tier's hit ratio in the first seconds after a node restarts (a new
 * SessionFactory over the same database and Redis), under a Zipf-skewed read workload, with and without
 * {@code cachesync.warm.enabled}.
 *
 * <p>Each run: a node lives through {@code --prior-reads} reads of the workload (so Redis holds what it read and,
 * with warming, the shared hot set its sampled top-K keys), then closes; a new node is built and, the moment
 * its SessionFactory is returned, one thread reads the same workload for {@code --seconds}, and the local tier's
 * hits are counted per {@code --bucket-ms}. Each mode uses a key prefix of its own, so neither sees the other's
 * keys. The SessionFactory's build time is reported too: with warming it includes the wait for the first warm-up
 * (at most {@code cachesync.warm.startup-wait}). A time bucket's ratio is weighted by reads, and a loaded machine
 * changes how many reads fit in it; so each run also restarts once more and counts the hits among the first 100,
 * 1,000, 10,000 and 50,000 reads, which no machine speed changes.
 *
 * <p>Run: {@code java -cp benchmarks/target/benchmarks.jar io.cachesync.benchmarks.WarmRestartHitRatio}
 * (optional: {@code --rows 10000 --zipf 1.0 --top-k 1000 --seconds 3 --bucket-ms 250 --runs 3
 * --prior-reads 500000}).
 */
public final class WarmRestartHitRatio {

    private int rows = 10_000;
    private double zipf = 1.0;
    private int topK = 1_000;
    private double seconds = 3;
    private int bucketMillis = 250;
    private int runs = 3;
    private int priorReads = 500_000;

    private WarmRestartHitRatio() {
    }

    public static void main(String[] args) throws Exception {
        WarmRestartHitRatio bench = new WarmRestartHitRatio();
        for (int i = 0; i < args.length; i++) {
            String value = args[++i].replace("_", "");
            switch (args[i - 1]) {
                case "--rows" -> bench.rows = Integer.parseInt(value);
                case "--zipf" -> bench.zipf = Double.parseDouble(value);
                case "--top-k" -> bench.topK = Integer.parseInt(value);
                case "--seconds" -> bench.seconds = Double.parseDouble(value);
                case "--bucket-ms" -> bench.bucketMillis = Integer.parseInt(value);
                case "--runs" -> bench.runs = Integer.parseInt(value);
                case "--prior-reads" -> bench.priorReads = Integer.parseInt(value);
                default -> throw new IllegalArgumentException("unknown option " + args[i - 1]);
            }
        }
        bench.run();
    }

    private void run() throws Exception {
        int buckets = (int) Math.ceil(seconds * 1000 / bucketMillis);
        System.out.printf("Local-tier hit ratio after a restart: %,d rows, Zipf s=%.2f, top-K %,d, %d runs of %,d "
                        + "prior reads, then %.1f s in %d ms buckets, 1 reader thread, %d cores%n", rows, zipf, topK,
                runs, priorReads, seconds, bucketMillis, Runtime.getRuntime().availableProcessors());
        Zipf workload = new Zipf(rows, zipf, 42);
        System.out.printf("  (the %,d hottest rows take %.1f%% of the reads)%n", topK, 100 * workload.shareOfTop(topK));
        String db = "jdbc:h2:mem:warmbench;DB_CLOSE_DELAY=-1";
        try (BenchmarkRedis redis = BenchmarkRedis.start()) {
            populate(db, redis.uri());
            long[][] hits = new long[2][buckets];
            long[][] reads = new long[2][buckets];
            long[] startupMillis = new long[2];
            long[] warmed = new long[2];
            long[][] firstHits = new long[2][READ_MARKS.length];
            for (int run = 0; run < runs; run++) {
                for (int mode = 0; mode < 2; mode++) {
                    boolean warm = mode == 1;
                    String prefix = "warmbench" + run + (warm ? "on" : "off");
                    try (SessionFactory prior = node(db, redis.uri(), prefix, warm)) {
                        waitServing(CacheSync.of(prior));
                        SplittableRandom random = new SplittableRandom(1_000 + run);
                        for (int i = 0; i < priorReads; i++) {
                            CacheSync.of(prior).find(Account.class, workload.next(random));
                        }
                    }
                    long started = System.nanoTime();
                    try (SessionFactory restarted = node(db, redis.uri(), prefix, warm)) {
                        startupMillis[mode] += (System.nanoTime() - started) / 1_000_000;
                        CacheSync sync = CacheSync.of(restarted);
                        warmed[mode] += sync.statistics().warming().keysWarmed();
                        measure(sync, workload, new SplittableRandom(2_000 + run), hits[mode], reads[mode]);
                    }
                    // the same again, counted by reads rather than by time, which a loaded machine cannot skew
                    try (SessionFactory restarted = node(db, redis.uri(), prefix, warm)) {
                        countFirstReads(CacheSync.of(restarted), workload, new SplittableRandom(3_000 + run),
                                firstHits[mode]);
                    }
                    System.out.printf("  run %d %s warming: done%n", run + 1, warm ? "with" : "without");
                }
            }
            System.out.println();
            System.out.printf("SessionFactory build after the restart: %d ms without warming, %d ms with (%,d keys "
                    + "warmed)%n", startupMillis[0] / runs, startupMillis[1] / runs, warmed[1] / runs);
            System.out.println();
            System.out.println("| since restart (ms) | hit ratio, no warming | hit ratio, warming | reads per bucket "
                    + "(no warming / warming) |");
            System.out.println("| ---: | ---: | ---: | ---: |");
            for (int b = 0; b < buckets; b++) {
                System.out.printf("| %d-%d | %.1f%% | %.1f%% | %,d / %,d |%n", b * bucketMillis, (b + 1) * bucketMillis,
                        ratio(hits[0][b], reads[0][b]), ratio(hits[1][b], reads[1][b]), reads[0][b] / runs,
                        reads[1][b] / runs);
            }
            long[] total = {Arrays.stream(hits[0]).sum(), Arrays.stream(hits[1]).sum()};
            long[] all = {Arrays.stream(reads[0]).sum(), Arrays.stream(reads[1]).sum()};
            System.out.printf("| all %d ms | %.1f%% | %.1f%% | %,d / %,d |%n", buckets * bucketMillis,
                    ratio(total[0], all[0]), ratio(total[1], all[1]), all[0] / runs, all[1] / runs);
            System.out.println();
            System.out.println("| first reads after the restart | hit ratio, no warming | hit ratio, warming |");
            System.out.println("| ---: | ---: | ---: |");
            for (int m = 0; m < READ_MARKS.length; m++) {
                System.out.printf("| %,d | %.1f%% | %.1f%% |%n", READ_MARKS[m],
                        ratio(firstHits[0][m], (long) READ_MARKS[m] * runs),
                        ratio(firstHits[1][m], (long) READ_MARKS[m] * runs));
            }
        }
    }

    /** Reads for the configured time, counting the local tier's hits per bucket (one thread, so exact). */
    private void measure(CacheSync sync, Zipf workload, SplittableRandom random, long[] hits, long[] reads) {
        long start = System.nanoTime();
        long bucketNanos = bucketMillis * 1_000_000L;
        int buckets = hits.length;
        CacheStatistics before = sync.statistics();
        int bucket = 0;
        long bucketEnd = start + bucketNanos;
        while (bucket < buckets) {
            sync.find(Account.class, workload.next(random));
            long now = System.nanoTime();
            if (now >= bucketEnd) {
                CacheStatistics after = sync.statistics();
                hits[bucket] += after.localHits() - before.localHits();
                reads[bucket] += after.reads() - before.reads();
                before = after;
                bucket++;
                bucketEnd += bucketNanos;
            }
        }
    }

    private static final int[] READ_MARKS = {100, 1_000, 10_000, 50_000};

    /** Local-tier hits among the first 100, 1,000, ... reads (each read checked on its own: slow, but exact). */
    private static void countFirstReads(CacheSync sync, Zipf workload, SplittableRandom random, long[] hits) {
        long hitsSoFar = 0;
        int mark = 0;
        for (int read = 1; read <= READ_MARKS[READ_MARKS.length - 1]; read++) {
            long before = sync.statistics().localHits();
            sync.find(Account.class, workload.next(random));
            hitsSoFar += sync.statistics().localHits() - before;
            if (read == READ_MARKS[mark]) {
                hits[mark++] += hitsSoFar;
            }
        }
    }

    private static double ratio(long part, long whole) {
        return whole == 0 ? 0 : 100.0 * part / whole;
    }

    private SessionFactory node(String db, String redisUri, String prefix, boolean warm) {
        Map<String, Object> settings = new HashMap<>();
        settings.put("hibernate.connection.url", db);
        settings.put("hibernate.connection.username", "sa");
        settings.put("hibernate.connection.password", "");
        settings.put("hibernate.connection.pool_size", "8");
        settings.put("hibernate.hbm2ddl.auto", "none");
        settings.put(CacheSyncSettings.REDIS_URI, redisUri);
        settings.put(CacheSyncSettings.KEY_PREFIX, prefix);
        settings.put(CacheSyncSettings.LOCAL_MAXIMUM_SIZE, Integer.toString(2 * rows));
        settings.put(CacheSyncSettings.WARM_ENABLED, Boolean.toString(warm));
        settings.put(CacheSyncSettings.WARM_TOP_K, Integer.toString(topK));
        settings.put(CacheSyncIntegrator.METER_REGISTRY, new SimpleMeterRegistry());
        StandardServiceRegistry registry = new StandardServiceRegistryBuilder().applySettings(settings).build();
        return new MetadataSources(registry).addAnnotatedClass(Account.class).buildMetadata().buildSessionFactory();
    }

    /** Creates the table and its rows, without cachesync (Redis starts empty for every prefix). */
    private void populate(String db, String redisUri) {
        Map<String, Object> settings = new HashMap<>();
        settings.put("hibernate.connection.url", db);
        settings.put("hibernate.connection.username", "sa");
        settings.put("hibernate.connection.password", "");
        settings.put("hibernate.hbm2ddl.auto", "create");
        StandardServiceRegistry registry = new StandardServiceRegistryBuilder().applySettings(settings).build();
        try (SessionFactory sf = new MetadataSources(registry).addAnnotatedClass(Account.class).buildMetadata()
                .buildSessionFactory(); StatelessSession session = sf.openStatelessSession()) {
            Transaction tx = session.beginTransaction();
            for (long id = 1; id <= rows; id++) {
                session.insert(new Account(id, "owner-" + id, "owner" + id + "@example.com", 100_00L + id, "OPEN"));
            }
            tx.commit();
        }
    }

    private static void waitServing(CacheSync sync) throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!sync.localTierServing() && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
    }

    /** Ids drawn with P(rank k) proportional to 1/k^s; ranks mapped to ids by a fixed shuffle. */
    static final class Zipf {
        private final double[] cumulative;
        private final long[] idOfRank;

        Zipf(int n, double s, long seed) {
            cumulative = new double[n];
            double sum = 0;
            for (int k = 1; k <= n; k++) {
                sum += 1 / Math.pow(k, s);
                cumulative[k - 1] = sum;
            }
            for (int k = 0; k < n; k++) {
                cumulative[k] /= sum;
            }
            List<Long> ids = new ArrayList<>(n);
            for (long id = 1; id <= n; id++) {
                ids.add(id);
            }
            java.util.Collections.shuffle(ids, new java.util.Random(seed));
            idOfRank = ids.stream().mapToLong(Long::longValue).toArray();
        }

        long next(SplittableRandom random) {
            int rank = Arrays.binarySearch(cumulative, random.nextDouble());
            rank = rank >= 0 ? rank : Math.min(-rank - 1, cumulative.length - 1);
            return idOfRank[rank];
        }

        double shareOfTop(int k) {
            return cumulative[Math.min(k, cumulative.length) - 1];
        }
    }
}
